package classify

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Languages are the languages Classify tells apart, as ISO 639-1 codes.
var Languages = []string{"en", "fr", "de", "es", "it", "nl", "pt"}

// stopwords are frequent function words and mail formulas of each language, lower case
// with accents. A word listed for several languages counts for each with a share.
var stopwords = map[string]string{
	"en": `the and to of a i you my me is in it that this for on with be have are was not please your we our
	all about from would like any do can will hello hi thanks thank regards dear as at by an or if so what which
	who how when there they them their has had been should could also only us yes am sincerely best kind want
	don doesn didn won t hereby request data account delete copy personal information under out office
	just know need get send still were will`,
	"fr": `le la les de des du et je vous nous mes mon ma pour dans une un est que qui pas ne sur avec ce cette au
	aux à ou où être été merci bonjour cordialement madame monsieur votre vos tout toute toutes tous il elle sont
	ai suis j d l qu n c s m y me moi demande données concernant personnelles suppression droit accès conformément
	souhaite voudrais veuillez mais aussi très bien comment pouvez pourriez avez êtes sont ces ses leur leurs
	chez déjà après avant depuis salutations`,
	"de": `der die das und ich sie ist nicht mit von zu den dem ein eine einen meine mein meiner meinen mich mir
	bitte über auf für um auch es wir ihre ihr ihnen sehr geehrte geehrten damen herren grüßen freundlichen hallo
	danke vielen dank dass werden wurde sind haben habe bei nach aus hiermit sowie oder wie was im zum zur des kein
	keine alle daten löschen auskunft gespeicherten personenbezogenen konto kann können möchte würde
	nur noch schon einer eines gerne grüße viele`,
	"es": `el la los las de del y que en un una por para con mis mi me mí yo es no se su sus al lo como más pero
	hola gracias saludos favor quiero solicito estimados atentamente muy todos todas este esta sobre datos derecho
	personales solicitud cuenta borren ejercer acuerdo uso recibir cómo qué cuál puedo pueden podrían está
	están tengo tienen también ya desde hasta usted ustedes nuestro nuestra buenos días`,
	"it": `il lo la i gli le di del della dei delle e è che non per con un una mi mio mia miei sono ho vi ai al
	alla nel nella sul grazie buongiorno cordiali saluti gentili distinti questo questa anche come ma se dati chiedo
	sensi tutti richiesta diritto vostro vostra nome scritto modo posso potete vorrei sapere cosa
	quali più già dopo prima essere stato salve`,
	"nl": `de het een en van ik mijn mij is niet dat die voor met op te zijn wordt worden u uw we wij ons onze
	naar ook maar om aan bij heb heeft geachte heer mevrouw vriendelijke groet groeten bedankt alstublieft graag
	gegevens dit deze er als tegen hoe wat verzoek persoonsgegevens verwijderen bezwaar gebruik verwerking
	kan kunnen jullie hebben hebt zou moet wil welke nog geen meer hallo dank`,
	"pt": `o a os as de do da dos das e é que em no na nos nas um uma para por com meu meus minha minhas não eu
	se ao aos à seu sua obrigado obrigada bom dia olá cumprimentos atenciosamente solicito dados pessoais também mais
	como mas você vocês pedido tratamento enquanto direito conta posso podem gostaria têm tem
	já ainda sobre`,
}

// suffixHints are word endings typical of one language, with their weight.
var suffixHints = []struct {
	suffix string
	lang   string
	weight float64
}{
	{"ção", "pt", 0.6}, {"ções", "pt", 0.6}, {"ões", "pt", 0.5}, {"ão", "pt", 0.4}, {"ém", "pt", 0.3},
	{"ción", "es", 0.6}, {"ciones", "es", 0.6}, {"dad", "es", 0.3},
	{"zione", "it", 0.6}, {"zioni", "it", 0.6}, {"tà", "it", 0.4}, {"gli", "it", 0.2},
	{"tion", "en", 0.2}, {"tion", "fr", 0.2}, {"ing", "en", 0.3}, {"ly", "en", 0.3},
	{"eux", "fr", 0.4}, {"ée", "fr", 0.4}, {"ées", "fr", 0.4}, {"ité", "fr", 0.4}, {"ment", "fr", 0.15},
	{"ung", "de", 0.5}, {"ungen", "de", 0.5}, {"keit", "de", 0.5}, {"heit", "de", 0.5}, {"lich", "de", 0.4}, {"sch", "de", 0.2},
	{"heid", "nl", 0.6}, {"lijk", "nl", 0.6}, {"ij", "nl", 0.3}, {"tje", "nl", 0.4},
}

// runeHints are letters typical of one or two languages.
var runeHints = map[rune]map[string]float64{
	'ß': {"de": 1}, 'ä': {"de": 0.6}, 'ö': {"de": 0.5}, 'ü': {"de": 0.5},
	'ñ': {"es": 1}, '¿': {"es": 1}, '¡': {"es": 1},
	'ã': {"pt": 1}, 'õ': {"pt": 1}, 'ç': {"fr": 0.5, "pt": 0.5},
	'œ': {"fr": 1}, 'ê': {"fr": 0.4, "pt": 0.2}, 'â': {"fr": 0.3, "pt": 0.2}, 'î': {"fr": 0.4}, 'û': {"fr": 0.4},
	'ô': {"fr": 0.3, "pt": 0.2}, 'è': {"fr": 0.3, "it": 0.3}, 'à': {"fr": 0.3, "it": 0.3, "pt": 0.1},
	'ù': {"fr": 0.3, "it": 0.3}, 'ì': {"it": 0.6}, 'ò': {"it": 0.6}, 'ë': {"nl": 0.3, "fr": 0.2}, 'ï': {"fr": 0.3, "nl": 0.2},
}

// stopwordWeight maps a word to each language's share of it.
var stopwordWeight = func() map[string]map[string]float64 {
	count := map[string][]string{}
	for lang, list := range stopwords {
		for _, w := range strings.Fields(list) {
			count[w] = append(count[w], lang)
		}
	}
	out := map[string]map[string]float64{}
	for w, langs := range count {
		out[w] = map[string]float64{}
		for _, l := range langs {
			out[w][l] += 1 / float64(len(langs))
		}
	}
	return out
}()

// langShare is a language, as its index in Languages, and a weight for it.
type langShare struct {
	lang   int
	weight float64
}

// stopwordShares is stopwordWeight with languages as indexes in Languages.
var stopwordShares = indexShares(stopwordWeight)

// runeHintShares is runeHints with languages as indexes in Languages.
var runeHintShares = indexShares(runeHints)

// indexShares turns weights by language name into weights by index in Languages.
func indexShares[K comparable](weights map[K]map[string]float64) map[K][]langShare {
	out := make(map[K][]langShare, len(weights))
	for k, shares := range weights {
		for l, v := range shares {
			out[k] = append(out[k], langShare{lang: langIndex(l), weight: v})
		}
	}
	return out
}

// suffixHint is an entry of suffixHints with its language as an index in Languages.
type suffixHint struct {
	suffix string
	lang   int
	weight float64
}

// suffixesByLast lists the entries of suffixHints by the last byte of their suffix, in
// order: a word can only end in those.
var suffixesByLast = func() (t [256][]suffixHint) {
	for _, h := range suffixHints {
		last := h.suffix[len(h.suffix)-1]
		t[last] = append(t[last], suffixHint{suffix: h.suffix, lang: langIndex(h.lang), weight: h.weight})
	}
	return t
}()

func langIndex(lang string) int {
	for i, l := range Languages {
		if l == lang {
			return i
		}
	}
	panic("inbox: unknown language " + lang)
}

// detectLanguage scores the tokens of d (those of the given sentences' text) against the
// seven languages: each stop word gives its language a share of one point, typical word
// endings and letters a fraction. It returns "" when the text is too short or no language
// stands out.
func detectLanguage(d *doc) string {
	byIndex := make([]float64, len(Languages))
	words := 0
	for _, t := range d.toks {
		if t.num {
			continue
		}
		words++
		for _, s := range stopwordShares[t.raw] {
			byIndex[s.lang] += s.weight
		}
		if len(t.raw) > 3 && utf8.RuneCountInString(t.raw) > 3 {
			for _, h := range suffixesByLast[t.raw[len(t.raw)-1]] {
				if strings.HasSuffix(t.raw, h.suffix) {
					byIndex[h.lang] += h.weight
				}
			}
		}
	}
	for r, n := range d.runes {
		for _, s := range runeHintShares[r] {
			byIndex[s.lang] += s.weight * float64(min(n, 5))
		}
	}
	type ls struct {
		lang  string
		score float64
	}
	ranked := make([]ls, len(Languages))
	for i, l := range Languages {
		ranked[i] = ls{l, byIndex[i]}
	}
	sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].score > ranked[j].score })
	best, second := ranked[0], ranked[1]
	if words == 0 || best.score < 1.5 || best.score < second.score*1.25+0.25 {
		return ""
	}
	return best.lang
}
