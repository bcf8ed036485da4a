package subject

// pageTexts are the words of the verification page in one language.
type pageTexts struct {
	lang                    string
	verifiedTitle, verified string
	unknownTitle, unknown   string
	expiredTitle, expired   string
	closedTitle, closed     string
	laterTitle, later       string
}

var pageLanguages = map[string]pageTexts{
	"en": {lang: "en",
		verifiedTitle: "Thank you: your identity is confirmed", verified: "We have started work on your request. We will write to you at the address you used when it is done, or if we need anything else.",
		unknownTitle: "This link is not valid", unknown: "Please open the link exactly as it appears in our mail, or reply to our mail with the code it contains.",
		expiredTitle: "This link has expired", expired: "Verification links are valid for 7 days. Please write to us again to make your request.",
		closedTitle: "This request is closed", closed: "The request this link belongs to has been closed. Please write to us again if you still want to make it.",
		laterTitle: "Please try again in a few minutes", later: "We could not record your confirmation just now. Nothing is lost: open the link again a little later."},
	"fr": {lang: "fr",
		verifiedTitle: "Merci : votre identité est confirmée", verified: "Nous avons commencé à traiter votre demande. Nous vous écrirons à l'adresse que vous avez utilisée lorsqu'elle sera traitée, ou si nous avons besoin d'autre chose.",
		unknownTitle: "Ce lien n'est pas valide", unknown: "Ouvrez le lien exactement tel qu'il figure dans notre e-mail, ou répondez à notre e-mail en indiquant le code qu'il contient.",
		expiredTitle: "Ce lien a expiré", expired: "Les liens de vérification sont valables 7 jours. Écrivez-nous à nouveau pour faire votre demande.",
		closedTitle: "Cette demande est close", closed: "La demande à laquelle ce lien se rapporte a été close. Écrivez-nous à nouveau si vous souhaitez toujours la faire.",
		laterTitle: "Veuillez réessayer dans quelques minutes", later: "Nous n'avons pas pu enregistrer votre confirmation pour le moment. Rien n'est perdu : rouvrez le lien un peu plus tard."},
	"de": {lang: "de",
		verifiedTitle: "Vielen Dank: Ihre Identität ist bestätigt", verified: "Wir haben mit der Bearbeitung Ihres Antrags begonnen. Wir schreiben Ihnen an die verwendete Adresse, sobald er erledigt ist oder wir weitere Angaben benötigen.",
		unknownTitle: "Dieser Link ist ungültig", unknown: "Bitte öffnen Sie den Link genau so, wie er in unserer E-Mail steht, oder antworten Sie auf unsere E-Mail mit dem darin enthaltenen Code.",
		expiredTitle: "Dieser Link ist abgelaufen", expired: "Bestätigungslinks sind 7 Tage gültig. Bitte schreiben Sie uns erneut, um Ihren Antrag zu stellen.",
		closedTitle: "Dieser Antrag ist abgeschlossen", closed: "Der Antrag, zu dem dieser Link gehört, wurde abgeschlossen. Bitte schreiben Sie uns erneut, wenn Sie ihn weiterhin stellen möchten.",
		laterTitle: "Bitte versuchen Sie es in einigen Minuten erneut", later: "Wir konnten Ihre Bestätigung gerade nicht speichern. Es geht nichts verloren: Öffnen Sie den Link etwas später erneut."},
	"es": {lang: "es",
		verifiedTitle: "Gracias: su identidad está confirmada", verified: "Hemos empezado a tramitar su solicitud. Le escribiremos a la dirección que utilizó cuando esté resuelta o si necesitamos algo más.",
		unknownTitle: "Este enlace no es válido", unknown: "Abra el enlace exactamente como aparece en nuestro correo, o responda a nuestro correo con el código que contiene.",
		expiredTitle: "Este enlace ha caducado", expired: "Los enlaces de verificación son válidos durante 7 días. Escríbanos de nuevo para presentar su solicitud.",
		closedTitle: "Esta solicitud está cerrada", closed: "La solicitud a la que pertenece este enlace se ha cerrado. Escríbanos de nuevo si todavía desea presentarla.",
		laterTitle: "Vuelva a intentarlo en unos minutos", later: "No hemos podido registrar su confirmación en este momento. No se ha perdido nada: abra el enlace de nuevo un poco más tarde."},
	"it": {lang: "it",
		verifiedTitle: "Grazie: la sua identità è confermata", verified: "Abbiamo iniziato a gestire la sua richiesta. Le scriveremo all'indirizzo che ha usato quando sarà evasa, o se avremo bisogno di altro.",
		unknownTitle: "Questo link non è valido", unknown: "Apra il link esattamente come appare nella nostra e-mail, oppure risponda alla nostra e-mail indicando il codice che contiene.",
		expiredTitle: "Questo link è scaduto", expired: "I link di verifica sono validi 7 giorni. Ci scriva di nuovo per presentare la sua richiesta.",
		closedTitle: "Questa richiesta è chiusa", closed: "La richiesta a cui appartiene questo link è stata chiusa. Ci scriva di nuovo se desidera ancora presentarla.",
		laterTitle: "Riprovi tra qualche minuto", later: "Non è stato possibile registrare la sua conferma in questo momento. Non si è perso nulla: riapra il link tra poco."},
	"nl": {lang: "nl",
		verifiedTitle: "Dank u: uw identiteit is bevestigd", verified: "We zijn met uw verzoek aan de slag gegaan. We schrijven u op het adres dat u gebruikte zodra het is afgehandeld, of als we nog iets nodig hebben.",
		unknownTitle: "Deze link is ongeldig", unknown: "Open de link precies zoals hij in onze e-mail staat, of beantwoord onze e-mail met de code die erin staat.",
		expiredTitle: "Deze link is verlopen", expired: "Verificatielinks zijn 7 dagen geldig. Schrijf ons opnieuw om uw verzoek in te dienen.",
		closedTitle: "Dit verzoek is gesloten", closed: "Het verzoek waar deze link bij hoort is gesloten. Schrijf ons opnieuw als u het nog steeds wilt indienen.",
		laterTitle: "Probeer het over een paar minuten opnieuw", later: "We konden uw bevestiging nu niet vastleggen. Er gaat niets verloren: open de link iets later opnieuw."},
	"pt": {lang: "pt",
		verifiedTitle: "Obrigado: a sua identidade está confirmada", verified: "Começámos a tratar o seu pedido. Escreveremos para o endereço que utilizou quando estiver concluído, ou se precisarmos de mais alguma coisa.",
		unknownTitle: "Esta ligação não é válida", unknown: "Abra a ligação exatamente como aparece no nosso e-mail, ou responda ao nosso e-mail com o código que ele contém.",
		expiredTitle: "Esta ligação expirou", expired: "As ligações de verificação são válidas durante 7 dias. Escreva-nos novamente para fazer o seu pedido.",
		closedTitle: "Este pedido está encerrado", closed: "O pedido a que esta ligação pertence foi encerrado. Escreva-nos novamente se ainda o quiser fazer.",
		laterTitle: "Tente novamente dentro de alguns minutos", later: "Não foi possível registar a sua confirmação neste momento. Nada se perdeu: abra a ligação novamente um pouco mais tarde."},
}

func texts(lang string) pageTexts {
	if t, ok := pageLanguages[lang]; ok {
		return t
	}
	return pageLanguages["en"]
}
