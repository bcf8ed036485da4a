package classify

import "dsr/internal/domain"

// Rights are the six data-subject rights Classify recognises, in the order Types lists
// them: what a request asks to receive (access, portability) comes before what changes
// or removes data, and erasure comes last, so that a copy is made before the data goes.
var Rights = domain.InExecutionOrder(domain.RequestTypes)

// ruleClass says what context a lexicon phrase needs to count.
type ruleClass int

const (
	// personal phrases carry their own requester: a first- or third-person possessive or
	// pronoun ("delete my account", "erase her profile", "send me a copy"). They count in any
	// statement and, halved, in a question.
	personal ruleClass = iota
	// named phrases name a right or a request for one without saying whose ("right of
	// access", "Auskunft", "portabilité", an article number). They count in the subject line
	// or in a statement of a mail whose sender speaks for themselves, never in a question
	// (unless it also asks: "could you..."), nor next to words about processes, policies,
	// compliance or prices.
	named
)

// lexEntry is a group of phrases of one language for one right.
type lexEntry struct {
	right  domain.RequestType
	lang   string
	tag    string
	class  ruleClass
	weight float64
	// questionOK phrases are requests even as questions ("what data do you hold about me?").
	questionOK bool
	// negOK phrases contain their own negation ("no longer send me", "nicht mehr"), so no
	// negation check applies to them.
	negOK bool
	// yield names a right that takes this phrase over when it is found in the same
	// sentence ("send me my data in a machine-readable format" is portability, not access).
	yield domain.RequestType
	pats  []string
}

// lexicon lists the phrases of the six rights in the seven languages. Patterns use the
// syntax of pattern.go; text and patterns are folded (lower case, no accents).
var lexicon = []lexEntry{
	// ---------------------------------------------------------------- access
	{right: domain.Access, lang: "en", tag: "named", class: named, weight: 3, pats: []string{
		"right of|to access", "subject access", "subject access request*", "dsar|dsars",
		"data access request*", "request access to", "request for access", "access to personal data",
		"access to the personal data", "access to the data you", "access under article",
	}},
	{right: domain.Access, lang: "en", tag: "access_request", class: named, weight: 2, pats: []string{
		"access request*", "copy of ~ personal data|information", "sar",
	}},
	{right: domain.Access, lang: "en", tag: "copy_mine", class: personal, weight: 3, yield: domain.Portability, pats: []string{
		"copy of ~ @my ~ @obj", "copy of ~ data|information|everything ... about|on|regarding|concerning me",
		"copies of ~ @my ~ @obj", "send|give|provide|email|forward me ~ copy|copies $",
		"send|give|provide|email|forward me ~ copy|copies of ~ @my|@obj",
		"provide me with ~ copy|copies $", "provide me with ~ copy|copies of ~ @my|@obj",
		"send|give|provide|forward|email me ~ @my ~ @obj",
		"access ~ to ~ @my ~ @obj", "see ~ @my ~ data|information", "access @my ~ @obj",
		"know ~ what ~ data|information ... about|on me", "tell me ~ what ~ data|information",
		"which of @my ~ data|information",
		"provide|send|give|disclose|share|forward ~ data|information|details|everything ... about|on|regarding|concerning me",
	}},
	{right: domain.Access, lang: "en", tag: "which_data", class: named, weight: 2, pats: []string{
		"which|what ~ personal data|information ... you ~ process|hold|store|have|collect|keep|processing|holding|storing",
	}},
	{right: domain.Access, lang: "en", tag: "what_you_hold", class: personal, weight: 3, questionOK: true, pats: []string{
		"what|which ... you ~ have|hold|store|keep|process|processing|collected|stored|holding|storing|keeping ~ on|about|regarding|concerning me",
		"tell|show me ~ everything|all ~ you ~ have|hold|store|keep",
		"what ~ data|information|details ... about|on|of me", "whether|if you ~ process|hold|store|have|keep ~ @my ~ @obj",
		"whether|if you ~ process|hold|store|have|keep ~ any ~ data|information ... about|on|of me",
		"what ~ data|information ... you ... have|hold|store|keep|process|collect|collected ... @my",
	}},
	{right: domain.Access, lang: "fr", tag: "named", class: named, weight: 3, pats: []string{
		"droit d acces", "droit d'acces aux", "demande d acces", "demande d'acces aux", "acces aux donnees",
	}},
	{right: domain.Access, lang: "fr", tag: "copy_mine", class: personal, weight: 3, yield: domain.Portability, pats: []string{
		"acces a|aux ~ @my ~ @obj", "copie de|des|d ~ @my ~ @obj", "copie ~ donnees|informations ~ me concernant",
		"me|m communiqu*|transmet*|transmettre|envoy*|fourni*|adress*|faire ... donnees|informations|copie",
		"ensemble des donnees ~ me concernant",
	}},
	{right: domain.Access, lang: "fr", tag: "what_you_hold", class: personal, weight: 3, questionOK: true, pats: []string{
		"quelles ~ donnees|informations ... sur moi", "quelles ~ donnees|informations ... me concernant",
	}},
	{right: domain.Access, lang: "de", tag: "named", class: named, weight: 3, pats: []string{
		"auskunft*", "selbstauskunft*", "datenauskunft*", "recht auf auskunft", "auskunftsrecht*",
		"zugang zu ~ personenbezogenen daten",
	}},
	{right: domain.Access, lang: "de", tag: "copy", class: named, weight: 2, pats: []string{
		"kopie ~ daten|angaben|informationen",
	}},
	{right: domain.Access, lang: "de", tag: "copy_mine", class: personal, weight: 3, yield: domain.Portability, pats: []string{
		"kopie ~ @my ~ @obj", "zugang|zugriff|einsicht ~ zu|in|auf ~ @my ~ @obj",
	}},
	{right: domain.Access, lang: "de", tag: "what_you_hold", class: personal, weight: 3, questionOK: true, pats: []string{
		"welche ~ daten|informationen|angaben ... uber mich", "welche ~ daten ... zu meiner person",
		"zu meiner person gespeichert*", "uber mich gespeichert*",
	}},
	{right: domain.Access, lang: "es", tag: "named", class: named, weight: 3, pats: []string{
		"derecho de|al acceso", "solicitud de acceso", "acceso a ~ datos personales",
	}},
	{right: domain.Access, lang: "es", tag: "copy_mine", class: personal, weight: 3, yield: domain.Portability, pats: []string{
		"acceso a|de ~ @my ~ @obj", "copia de ~ @my ~ @obj", "copia ~ datos ... sobre mi",
	}},
	{right: domain.Access, lang: "es", tag: "what_you_hold", class: personal, weight: 3, questionOK: true, pats: []string{
		"que ~ datos|informacion ... sobre|de mi", "que ~ datos|informacion ... tienen de mi",
	}},
	{right: domain.Access, lang: "it", tag: "named", class: named, weight: 3, pats: []string{
		"diritto di|d accesso", "richiesta di accesso", "accesso ai dati personali",
	}},
	{right: domain.Access, lang: "it", tag: "copy_mine", class: personal, weight: 3, yield: domain.Portability, pats: []string{
		"accesso a|ai|alle ~ @my ~ @obj", "copia di|dei|delle ~ @my ~ @obj", "dati ~ che mi riguardano",
	}},
	{right: domain.Access, lang: "it", tag: "what_you_hold", class: personal, weight: 3, questionOK: true, pats: []string{
		"quali ~ dati|informazioni ... su di me", "quali ~ dati|informazioni ... mi riguardano",
	}},
	{right: domain.Access, lang: "nl", tag: "named", class: named, weight: 3, pats: []string{
		"inzage*", "recht op toegang", "recht van inzage", "verzoek om inzage",
	}},
	{right: domain.Access, lang: "nl", tag: "copy_mine", class: personal, weight: 3, yield: domain.Portability, pats: []string{
		"inzage in ~ @my ~ @obj", "kopie van ~ @my ~ @obj", "toegang tot ~ @my ~ @obj",
	}},
	{right: domain.Access, lang: "nl", tag: "what_you_hold", class: personal, weight: 3, questionOK: true, pats: []string{
		"welke ~ gegevens|persoonsgegevens|informatie ... over|van mij",
	}},
	{right: domain.Access, lang: "pt", tag: "named", class: named, weight: 3, pats: []string{
		"direito de|ao acesso", "pedido de acesso", "acesso aos dados pessoais",
	}},
	{right: domain.Access, lang: "pt", tag: "copy_mine", class: personal, weight: 3, yield: domain.Portability, pats: []string{
		"acesso a|aos|as ~ @my ~ @obj", "copia de|dos|das ~ @my ~ @obj",
	}},
	{right: domain.Access, lang: "pt", tag: "what_you_hold", class: personal, weight: 3, questionOK: true, pats: []string{
		"que ~ dados|informacoes ... sobre mim", "que ~ dados|informacoes ... a meu respeito",
	}},
	{right: domain.Access, lang: "all", tag: "receive_copy", class: named, weight: 2, yield: domain.Portability, pats: []string{
		"receive|get|obtain ~ copy|copies $", "receive|get|obtain ~ copy|copies of ~ @my|@obj",
		"recevoir|obtenir ~ copie $", "recevoir|obtenir ~ copie de|des|d ~ @my|@obj",
		"kopie ~ erhalten|bekommen", "erhalten ~ kopie $", "erhalten ~ kopie ~ @my|@obj",
		"recibir|obtener ~ copia $", "recibir|obtener ~ copia de ~ @my|@obj",
		"ricever*|ottenere ~ copia $", "ricever*|ottenere ~ copia di|dei|delle ~ @my|@obj",
		"ontvang* ~ kopie $", "ontvang* ~ kopie van ~ @my|@obj", "kopie ~ ontvangen",
		"receber|obter ~ copia $", "receber|obter ~ copia de|dos|das ~ @my|@obj",
	}},

	// ---------------------------------------------------------------- portability
	{right: domain.Portability, lang: "en", tag: "named", class: named, weight: 3, pats: []string{
		"portability", "machine readable", "machine readable format", "structured ~ commonly used",
		"commonly used ~ machine readable", "transfer ~ data ~ to ~ another|new|other ~ provider|controller|service|company",
	}},
	{right: domain.Portability, lang: "en", tag: "export_mine", class: personal, weight: 3, pats: []string{
		"export ~ @my ~ @obj", "transfer|transmit|port|move ~ @my ~ @obj ... to ~ another|other|new",
		"@my ~ @obj ~ in ~ machine|structured|csv|json|portable|electronic",
	}},
	{right: domain.Portability, lang: "en", tag: "download_mine", class: personal, weight: 2, pats: []string{
		"download ~ @my ~ @obj", "export of ~ @my ~ @obj",
	}},
	{right: domain.Portability, lang: "fr", tag: "named", class: named, weight: 3, pats: []string{
		"portabilite*", "lisible par ~ machine", "format ~ structure",
	}},
	{right: domain.Portability, lang: "fr", tag: "export_mine", class: personal, weight: 3, pats: []string{
		"export* ~ @my ~ @obj", "transfer*|transmettre ~ @my ~ @obj ... a|vers ~ autre|nouveau|nouvel",
		"recuperer ~ @my ~ @obj",
	}},
	{right: domain.Portability, lang: "de", tag: "named", class: named, weight: 3, pats: []string{
		"datenubertragbarkeit*", "ubertragbarkeit*", "datenportabilitat*", "portabilitat*", "maschinenlesbar*",
		"strukturierten ~ gangigen",
	}},
	{right: domain.Portability, lang: "de", tag: "export_mine", class: personal, weight: 3, pats: []string{
		"export* ~ @my ~ @obj", "@my ~ @obj ... export*", "@my ~ @obj ... ubertrag*|ubermitteln ... anderen|neuen",
	}},
	{right: domain.Portability, lang: "es", tag: "named", class: named, weight: 3, pats: []string{
		"portabilidad*", "lectura mecanica", "formato estructurado",
	}},
	{right: domain.Portability, lang: "es", tag: "export_mine", class: personal, weight: 3, pats: []string{
		"exportar ~ @my ~ @obj", "transferir|trasladar|transmitir ~ @my ~ @obj ... a|otro|otra",
	}},
	{right: domain.Portability, lang: "it", tag: "named", class: named, weight: 3, pats: []string{
		"portabilita*", "leggibile da ~ dispositivo automatico", "leggibile ~ automatic*", "formato strutturato",
	}},
	{right: domain.Portability, lang: "it", tag: "export_mine", class: personal, weight: 3, pats: []string{
		"esportare ~ @my ~ @obj", "trasferire|trasmettere ~ @my ~ @obj ... a|altro|altra",
	}},
	{right: domain.Portability, lang: "nl", tag: "named", class: named, weight: 3, pats: []string{
		"overdraagbaarheid*", "dataportabiliteit*", "gegevensoverdraagbaarheid*", "machineleesbaar*",
		"gestructureerde ~ vorm|formaat|bestand",
	}},
	{right: domain.Portability, lang: "nl", tag: "export_mine", class: personal, weight: 3, pats: []string{
		"exporteren ~ @my ~ @obj", "@my ~ @obj ... exporteren|overdragen|overzetten",
	}},
	{right: domain.Portability, lang: "pt", tag: "named", class: named, weight: 3, pats: []string{
		"portabilidade*", "leitura automatica", "formato estruturado",
	}},
	{right: domain.Portability, lang: "pt", tag: "export_mine", class: personal, weight: 3, pats: []string{
		"exportar ~ @my ~ @obj", "transferir|transmitir ~ @my ~ @obj ... a|para|outro|outra",
	}},

	// ---------------------------------------------------------------- rectification
	{right: domain.Rectification, lang: "en", tag: "named", class: named, weight: 3, pats: []string{
		"rectification", "right to rectification", "rectify", "rectified", "rectifying",
	}},
	{right: domain.Rectification, lang: "en", tag: "correct_mine", class: personal, weight: 3, pats: []string{
		"correct|amend|rectify ~ @my|@their ~ @obj|name|surname|address|spelling|birth|birthday|phone|number",
		"@my ~ name|surname|address|birth|birthday|details|data|information|email ... is|are|was|were ~ wrong|incorrect|inaccurate|misspelled|misspelt|outdated|incomplete",
		"@my ~ name|surname ... spelled|spelt|written ~ wrong|wrongly|incorrectly",
	}},
	{right: domain.Rectification, lang: "en", tag: "update_mine", class: personal, weight: 2, pats: []string{
		"update|fix|change ~ @my ~ name|surname|address|birth|birthday|details|data|information|record|records",
		"inaccurate|incorrect ~ personal ~ data|information",
	}},
	{right: domain.Rectification, lang: "fr", tag: "named", class: named, weight: 3, pats: []string{
		"rectifi*", "droit de rectification",
	}},
	{right: domain.Rectification, lang: "fr", tag: "correct_mine", class: personal, weight: 3, pats: []string{
		"corrig* ~ @my|@their ~ @obj|nom|prenom|adresse", "@my ~ nom|prenom|adresse|donnees ... errone*|incorrect*|inexact*|mal orthographie*",
		"mettre a jour ~ @my ~ @obj|nom|adresse",
	}},
	{right: domain.Rectification, lang: "de", tag: "named", class: named, weight: 3, pats: []string{
		"berichtigung*", "berichtigen", "recht auf berichtigung",
	}},
	{right: domain.Rectification, lang: "de", tag: "correct_mine", class: personal, weight: 3, pats: []string{
		"korrigier* ~ @my|@their ~ @obj|name*|adresse", "@my ~ name*|adresse|daten|angaben ... falsch*|fehlerhaft*|unrichtig*|veraltet*",
		"@my ~ @obj|name*|adresse ... korrigier*|berichtig*|aktualisier*",
	}},
	{right: domain.Rectification, lang: "es", tag: "named", class: named, weight: 3, pats: []string{
		"rectificacion", "rectifi*", "derecho de rectificacion",
	}},
	{right: domain.Rectification, lang: "es", tag: "correct_mine", class: personal, weight: 3, pats: []string{
		"corregir|corrijan ~ @my|@their ~ @obj|nombre|apellido*|direccion",
		"@my ~ nombre|apellido*|direccion|datos ... incorrect*|erroneo*|equivocad*|mal escrito",
	}},
	{right: domain.Rectification, lang: "it", tag: "named", class: named, weight: 3, pats: []string{
		"rettific*", "diritto di rettifica",
	}},
	{right: domain.Rectification, lang: "it", tag: "correct_mine", class: personal, weight: 3, pats: []string{
		"correggere|correggete|corregga ~ @my|@their ~ @obj|nome|cognome|indirizzo",
		"@my ~ nome|cognome|indirizzo|dati ... errat*|sbagliat*|inesatt*",
	}},
	{right: domain.Rectification, lang: "nl", tag: "named", class: named, weight: 3, pats: []string{
		"rectificatie", "recht op rectificatie", "recht op verbetering", "correctieverzoek",
	}},
	{right: domain.Rectification, lang: "nl", tag: "correct_mine", class: personal, weight: 3, pats: []string{
		"corrigeren|verbeteren|corrigeer|verbeter ~ @my|@their ~ @obj|naam|adres",
		"@my ~ naam|adres|gegevens ... onjuist|fout|verkeerd*|incorrect|onvolledig",
		"@my ~ @obj|naam|adres ... corrigeren|verbeteren|aanpassen",
	}},
	{right: domain.Rectification, lang: "pt", tag: "named", class: named, weight: 3, pats: []string{
		"retificacao", "rectificacao", "retifi*", "direito de retificacao|rectificacao",
	}},
	{right: domain.Rectification, lang: "pt", tag: "correct_mine", class: personal, weight: 3, pats: []string{
		"corrigir|corrijam ~ @my|@their ~ @obj|nome|apelido|morada|endereco",
		"@my ~ nome|apelido|morada|endereco|dados ... incorret*|errad*|inexat*",
	}},

	// ---------------------------------------------------------------- restriction
	{right: domain.Restriction, lang: "en", tag: "named", class: named, weight: 3, pats: []string{
		"restriction of ~ processing", "restrict ~ processing", "restrict ~ use of", "right to restriction",
		"limit ~ processing", "restricting ~ processing", "restricted processing",
	}},
	{right: domain.Restriction, lang: "en", tag: "restrict_mine", class: personal, weight: 3, pats: []string{
		"restrict|limit ~ processing of ~ @my ~ @obj", "restrict ~ @my ~ @obj", "freeze|suspend|block ~ processing of ~ @my",
		"@my ~ @obj ~ restricted",
	}},
	{right: domain.Restriction, lang: "fr", tag: "named", class: named, weight: 3, pats: []string{
		"limitation ~ traitement", "limiter ~ traitement", "restriction ~ traitement", "droit a la limitation",
	}},
	{right: domain.Restriction, lang: "fr", tag: "restrict_mine", class: personal, weight: 3, pats: []string{
		"limiter|restreindre|geler ~ utilisation de ~ @my ~ @obj", "geler ~ @my ~ @obj",
	}},
	{right: domain.Restriction, lang: "de", tag: "named", class: named, weight: 3, pats: []string{
		"einschrankung ~ verarbeitung", "verarbeitung ~ einschrank*", "recht auf einschrankung",
		"sperrung ~ daten",
	}},
	{right: domain.Restriction, lang: "de", tag: "restrict_mine", class: personal, weight: 3, pats: []string{
		"sperrung ~ @my ~ @obj", "verarbeitung ~ @my ~ @obj ~ einschrank*", "@my ~ @obj ... sperren",
	}},
	{right: domain.Restriction, lang: "es", tag: "named", class: named, weight: 3, pats: []string{
		"limitacion ~ tratamiento", "limitar ~ tratamiento", "restriccion ~ tratamiento", "derecho a la limitacion",
	}},
	{right: domain.Restriction, lang: "it", tag: "named", class: named, weight: 3, pats: []string{
		"limitazione ~ trattamento", "limitare ~ trattamento", "restrizione ~ trattamento", "diritto di|alla limitazione",
	}},
	{right: domain.Restriction, lang: "nl", tag: "named", class: named, weight: 3, pats: []string{
		"beperking ~ verwerking", "verwerking ~ beperk*", "beperken ~ verwerking", "recht op beperking",
	}},
	{right: domain.Restriction, lang: "pt", tag: "named", class: named, weight: 3, pats: []string{
		"limitacao ~ tratamento", "limitar ~ tratamento", "restricao ~ tratamento", "direito a|de ~ limitacao",
	}},

	// ---------------------------------------------------------------- objection
	{right: domain.Objection, lang: "en", tag: "named", class: named, weight: 3, pats: []string{
		"right to object", "objection", "object to ~ processing|use|using|marketing|profiling",
		"opt out", "optout", "unsubscribe", "direct marketing ~ object",
	}},
	{right: domain.Objection, lang: "en", tag: "object_mine", class: personal, weight: 3, pats: []string{
		"i|we ~ object", "unsubscribe me", "opt me out", "stop ~ sending|emailing|contacting|mailing|messaging|calling|texting ~ me",
		"stop ~ using|processing|profiling ~ @my ~ @obj|details", "withdraw|revoke ~ @my ~ consent",
		"remove|take me ~ off|from ~ mailing|marketing|newsletter|email|mail|contact ~ list|lists",
		"take me off ~ list|lists", "remove me from ~ list|lists", "object to ~ @my ~ @obj",
	}},
	{right: domain.Objection, lang: "en", tag: "no_more_mine", class: personal, weight: 3, negOK: true, pats: []string{
		"don t ~ send me ~ marketing|newsletters|emails|offers|promotions|advertising",
		"not ~ send me ~ marketing|newsletters|emails|offers|promotions|advertising",
		"no longer ~ wish|want ~ to receive", "not ~ want|wish ~ to ~ receive", "don t ~ want|wish ~ to ~ receive",
		"no longer ~ use|process ~ @my ~ @obj", "not ~ use|process ~ @my ~ @obj ~ for ~ marketing|advertising|profiling",
	}},
	{right: domain.Objection, lang: "en", tag: "no_marketing", class: named, weight: 2, pats: []string{
		"no more ~ marketing|newsletters|emails|mails|promotions", "stop ~ marketing",
	}},
	{right: domain.Objection, lang: "fr", tag: "named", class: named, weight: 3, pats: []string{
		"opposition", "droit d opposition", "desinscri*", "desabonn*",
	}},
	{right: domain.Objection, lang: "fr", tag: "no_more", class: named, weight: 3, negOK: true, pats: []string{
		"ne plus recevoir", "ne ... plus ~ recevoir", "ne plus m|me ~ envoyer|contacter|ecrire", "ne m|me ~ envoyez|contactez|ecrivez plus",
		"n utilisez plus ~ @my ~ @obj", "ne plus utiliser ~ @my ~ @obj",
	}},
	{right: domain.Objection, lang: "fr", tag: "object_mine", class: personal, weight: 3, pats: []string{
		"m oppose", "me oppose", "retir* ~ @my ~ consentement", "arret*|cess* ~ d|de ~ m|me ~ envoyer|contacter|ecrire|solliciter",
		"arret*|cess* ~ d|de ~ utiliser|traiter ~ @my ~ @obj",
	}},
	{right: domain.Objection, lang: "de", tag: "named", class: named, weight: 3, pats: []string{
		"widerspruch*", "abmelden", "abbestellen", "widerspruchsrecht",
	}},
	{right: domain.Objection, lang: "de", tag: "no_more", class: named, weight: 3, negOK: true, pats: []string{
		"keine ~ werbung|newsletter|werbemails|werbe|marketing|mails|emails|nachrichten", "nicht mehr ~ kontaktieren|anschreiben|verwenden|nutzen|verarbeiten",
	}},
	{right: domain.Objection, lang: "de", tag: "unsubscribe_me", class: personal, weight: 3, pats: []string{
		"melden sie mich ... ab", "melde mich ... ab", "tragen sie mich ... aus", "mich ~ von|vom|aus ~ newsletter|verteiler|liste|mailingliste ~ abmelden|abzumelden|austragen|auszutragen|entfernen|streichen",
	}},
	{right: domain.Objection, lang: "de", tag: "object_mine", class: personal, weight: 3, pats: []string{
		"widerspreche*", "@my ~ einwilligung ~ widerrufe*", "widerrufe* ~ @my ~ einwilligung",
		"lege ~ widerspruch",
	}},
	{right: domain.Objection, lang: "es", tag: "named", class: named, weight: 3, pats: []string{
		"oposicion", "derecho de oposicion", "darme de baja", "dar de baja", "baja de ~ lista|boletin|newsletter",
	}},
	{right: domain.Objection, lang: "es", tag: "no_more", class: named, weight: 3, negOK: true, pats: []string{
		"no deseo|quiero ~ recibir", "no ~ me envien|manden|contacten|escriban", "no ~ enviarme|contactarme|escribirme",
		"dejen de ~ usar|utilizar ~ @my ~ @obj",
	}},
	{right: domain.Objection, lang: "es", tag: "object_mine", class: personal, weight: 3, pats: []string{
		"me opongo", "dejen|dejar de ~ enviarme|contactarme|escribirme", "dejen|dejar de ~ usar|utilizar|tratar ~ @my ~ @obj",
		"retir*|revoc* ~ @my ~ consentimiento",
	}},
	{right: domain.Objection, lang: "it", tag: "named", class: named, weight: 3, pats: []string{
		"opposizione", "diritto di opposizione", "disiscri*",
	}},
	{right: domain.Objection, lang: "it", tag: "no_more", class: named, weight: 3, negOK: true, pats: []string{
		"non voglio|desidero ~ piu ~ ricevere", "non ~ inviarmi|mandarmi|contattarmi|scrivermi", "non mi ~ inviate|mandate|contattate|scrivete",
		"non ~ usare|utilizzare|trattare ~ piu ~ @my ~ @obj",
	}},
	{right: domain.Objection, lang: "it", tag: "object_mine", class: personal, weight: 3, pats: []string{
		"mi oppongo", "smett*|cess* ~ di ~ inviarmi|contattarmi|scrivermi", "smett*|cess* ~ di ~ usare|utilizzare|trattare ~ @my ~ @obj",
		"revoc* ~ @my ~ consenso",
	}},
	{right: domain.Objection, lang: "nl", tag: "named", class: named, weight: 3, pats: []string{
		"bezwaar", "recht van|op bezwaar", "afmelden", "uitschrijven",
	}},
	{right: domain.Objection, lang: "nl", tag: "no_more", class: named, weight: 3, negOK: true, pats: []string{
		"geen ~ marketing|nieuwsbrief*|reclame|mails|emails ~ meer", "stuur|stuurt ~ me|mij ~ geen",
		"@my ~ @obj ... niet meer ~ gebruik*|verwerk*|gebruiken|verwerken",
	}},
	{right: domain.Objection, lang: "nl", tag: "object_mine", class: personal, weight: 3, pats: []string{
		"maak ~ bezwaar", "teken ~ bezwaar", "@my ~ toestemming ... intrek*|in", "trek ~ @my ~ toestemming",
		"stop|stoppen ~ met ~ gebruiken|verwerken|mailen ~ van ~ @my",
	}},
	{right: domain.Objection, lang: "pt", tag: "named", class: named, weight: 3, pats: []string{
		"oposicao", "direito de oposicao", "cancelar ~ subscricao|assinatura|newsletter",
	}},
	{right: domain.Objection, lang: "pt", tag: "no_more", class: named, weight: 3, negOK: true, pats: []string{
		"nao quero|desejo ~ receber", "nao ~ me enviem|mandem|contactem|contatem", "nao ~ enviar me|contactar me",
		"deixem de ~ usar|utilizar|tratar ~ @my ~ @obj",
	}},
	{right: domain.Objection, lang: "pt", tag: "object_mine", class: personal, weight: 3, pats: []string{
		"oponho me", "me oponho", "opor me", "deixem|parem|deixar ~ de ~ enviar|contactar|usar|tratar|utilizar",
		"retir*|revog* ~ @my ~ consentimento",
	}},

	// ---------------------------------------------------------------- erasure
	{right: domain.Erasure, lang: "en", tag: "named", class: named, weight: 3, pats: []string{
		"right to erasure", "right to be forgotten", "right to deletion", "erasure", "deletion request*",
		"erasure request*", "account deletion", "data deletion", "delete ~ personal data|information|details",
		"erase|remove|wipe|purge ~ personal data|information|details",
	}},
	{right: domain.Erasure, lang: "en", tag: "delete_all", class: named, weight: 2, pats: []string{
		"delete|erase|remove|wipe|purge it all", "delete|erase|remove|wipe|purge ~ everything", "all of it deleted",
		"delete|erase|remove|wipe ~ all of it", "don t ~ want you to ~ keep|store|hold|retain",
		"not ~ want you to ~ keep|store|hold|retain",
	}},
	{right: domain.Erasure, lang: "en", tag: "delete_mine", class: personal, weight: 3, pats: []string{
		"delete|erase|remove|wipe|purge|destroy|deleting|erasing|removing|wiping|purging ~ @my|@their ~ @obj",
		"deletion|removal|erasure ~ of ~ @my|@their ~ @obj",
		"@my|@their ~ @obj ... be|being|get|gets|getting ~ deleted|erased|removed|wiped|purged|destroyed",
		"remove|delete|erase me from ~ database|databases|system|systems|records|servers|crm",
		"forget me", "delete|erase me", "close and delete ~ @my ~ @obj",
		"delete|erase|remove|wipe|purge|destroy ~ data|information|details|everything|records ... about|on|of|regarding|concerning me",
	}},
	{right: domain.Erasure, lang: "fr", tag: "named", class: named, weight: 3, pats: []string{
		"droit a l oubli", "droit a l effacement", "droit a l'effacement des", "demande de suppression", "demande d effacement",
		"suppression ~ donnees|compte", "effacement ~ donnees",
	}},
	{right: domain.Erasure, lang: "fr", tag: "delete_mine", class: personal, weight: 3, pats: []string{
		"supprim*|effac*|elimin*|detrui* ~ @my|@their ~ @obj", "suppression|effacement de|des|du ~ @my|@their ~ @obj",
		"supprim*|effac* ~ donnees|informations|traces ~ me concernant", "@my ~ @obj ... soient|soit|etre ~ supprim*|effac*",
		"oubliez moi", "supprim*|effac* ~ mon|mes", "supprim*|effac* ~ donnees|informations ... sur moi",
	}},
	{right: domain.Erasure, lang: "de", tag: "named", class: named, weight: 3, pats: []string{
		"recht auf loschung", "recht auf vergessenwerden", "loschung*", "loschantrag*", "loschanfrage*",
		"loschbegehren", "loschen ~ personenbezogenen daten",
	}},
	{right: domain.Erasure, lang: "de", tag: "delete_mine", class: personal, weight: 3, pats: []string{
		"losch*|entfern*|vernicht* ~ @my|@their ~ @obj", "@my|@their ~ @obj ... loschen|entfernen|vernichten|geloscht|entfernt|vernichtet",
		"loschung ~ @my|@their ~ @obj", "losch*|entfern* ~ daten|informationen|angaben ... uber mich",
		"daten|informationen|angaben ~ uber mich ... loschen|entfernen|geloscht",
	}},
	{right: domain.Erasure, lang: "es", tag: "named", class: named, weight: 3, pats: []string{
		"derecho de supresion", "derecho al olvido", "derecho de cancelacion", "derecho de borrado",
		"solicitud de supresion|borrado|eliminacion|cancelacion", "supresion de ~ datos", "eliminacion de ~ datos",
	}},
	{right: domain.Erasure, lang: "es", tag: "delete_mine", class: personal, weight: 3, pats: []string{
		"borr*|elimin*|suprim* ~ @my|@their ~ @obj", "cancelar|cancelen ~ mis|mi ~ datos|cuenta",
		"supresion|eliminacion|borrado de ~ @my|@their ~ @obj", "@my ~ @obj ... sean|sea|esten ~ borrad*|eliminad*|suprimid*",
		"borr*|elimin*|suprim* ~ datos|informacion ... sobre|de mi",
	}},
	{right: domain.Erasure, lang: "it", tag: "named", class: named, weight: 3, pats: []string{
		"diritto all oblio", "diritto alla cancellazione", "richiesta di cancellazione", "cancellazione ~ dati",
	}},
	{right: domain.Erasure, lang: "it", tag: "delete_mine", class: personal, weight: 3, pats: []string{
		"cancell*|elimin*|rimuov*|rimozione ~ @my|@their ~ @obj", "cancellazione ~ @my|@their ~ @obj",
		"@my|@their ~ @obj ... cancellat*|eliminat*|rimoss*", "cancell*|elimin* ~ dati|informazioni ... su di me",
		"cancell*|elimin* ~ dati|informazioni ... mi riguardano",
	}},
	{right: domain.Erasure, lang: "nl", tag: "named", class: named, weight: 3, pats: []string{
		"recht op vergetelheid", "recht op gegevenswissing", "recht op verwijdering", "verwijderverzoek*",
		"verzoek tot|om verwijdering", "gegevenswissing",
	}},
	{right: domain.Erasure, lang: "nl", tag: "delete_data", class: named, weight: 2, pats: []string{
		"gegevens|persoonsgegevens ~ verwijder*|wissen", "verwijdering ~ van ~ gegevens|persoonsgegevens",
	}},
	{right: domain.Erasure, lang: "nl", tag: "delete_mine", class: personal, weight: 3, pats: []string{
		"verwijder*|wis|wissen ~ @my|@their ~ @obj", "@my|@their ~ @obj ... verwijder*|gewist|wissen",
		"gegevens|informatie ~ over mij ... verwijder*|wissen|gewist", "verwijder* ~ gegevens ... over mij",
	}},
	{right: domain.Erasure, lang: "pt", tag: "named", class: named, weight: 3, pats: []string{
		"direito ao apagamento", "direito ao esquecimento", "direito de eliminacao|apagamento",
		"pedido de eliminacao|apagamento|exclusao", "apagamento ~ dados", "eliminacao ~ dados",
	}},
	{right: domain.Erasure, lang: "pt", tag: "delete_mine", class: personal, weight: 3, pats: []string{
		"apag*|elimin*|exclu*|remov* ~ @my|@their ~ @obj", "@my|@their ~ @obj ... apagad*|eliminad*|excluid*|removid*",
		"eliminacao|apagamento|exclusao ~ @my|@their ~ @obj", "apag*|elimin* ~ dados|informacoes ... sobre mim",
	}},
}

// articleRights maps GDPR article numbers to the right they grant.
var articleRights = func() map[string]domain.RequestType {
	m := make(map[string]domain.RequestType, len(domain.RequestTypes))
	for _, t := range domain.RequestTypes {
		m[t.Article()] = t
	}
	return m
}()

// articleWords introduce an article number in the seven languages.
var articleWords = set("art", "arts", "article", "articles", "artikel", "artikels", "articulo", "articulos",
	"articolo", "articoli", "artigo", "artigos")

// gdprPatterns name the GDPR (or a national law that implements it).
var gdprPatterns = []string{
	"gdpr", "rgpd", "dsgvo", "ds gvo", "avg", "uavg", "ukgdpr", "bdsg", "lopdgdd", "gdpdr",
	"2016 679", "general data protection regulation", "reglement general sur la protection des donnees",
	"datenschutz grundverordnung", "datenschutzgrundverordnung", "reglamento general de proteccion de datos",
	"regolamento generale sulla protezione dei dati", "algemene verordening gegevensbescherming",
	"regulamento geral sobre a protecao de dados", "regulamento geral de protecao de dados",
}
