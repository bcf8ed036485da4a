package classify

import (
	"sort"
	"strings"

	"dsr/internal/domain"
)

// compiledRule is a lexicon phrase ready to match.
type compiledRule struct {
	entry *lexEntry
	pat   pattern
	tag   string // right/lang/tag, the tag of its hits
}

var rules = func() []compiledRule {
	var out []compiledRule
	for i := range lexicon {
		e := &lexicon[i]
		for _, src := range e.pats {
			out = append(out, compiledRule{entry: e, pat: compilePattern(src), tag: string(e.right) + "/" + e.lang + "/" + e.tag})
		}
	}
	return out
}()

// ruleSet indexes rules: pattern i of ruleSet is rules[i].
var ruleSet = func() *patternSet {
	pats := make([]pattern, len(rules))
	for i, r := range rules {
		pats[i] = r.pat
	}
	return newPatternSet(pats)
}()

func compileAll(srcs ...string) *patternSet {
	out := make([]pattern, len(srcs))
	for i, s := range srcs {
		out[i] = compilePattern(s)
	}
	return newPatternSet(out)
}

// Words and phrases that set the context of a sentence.
var (
	// negations cancel a phrase found up to four tokens after them in the same clause.
	negations = set("not", "no", "never", "without", "nicht", "nie", "niemals", "kein", "keine", "keinen", "ohne",
		"ne", "n", "jamais", "sans", "nunca", "sin", "nao", "nem", "non", "mai", "senza", "niet", "geen", "nooit", "zonder", "sem")
	// contracted "n't" is split in two tokens; these come before the "t".
	negatedAux = set("don", "doesn", "didn", "won", "can", "couldn", "shouldn", "wouldn", "isn", "aren", "wasn", "weren", "haven", "hasn", "mustn")
	// afterNegations cancel a phrase they follow directly (German and Dutch word order).
	afterNegations = set("nicht", "niet")
	// clauseBreaks end the reach of a negation.
	clauseBreaks = set("but", "aber", "mais", "pero", "ma", "maar", "mas", "however", "sondern", "and", "und", "et", "y", "e", "en")

	// firstPerson words show a sender speaking for themselves.
	firstPerson = set("i", "me", "my", "mine", "myself", "je", "j", "moi", "mon", "ma", "mes", "m", "ich", "mich", "mir",
		"mein", "meine", "meinen", "meiner", "meines", "meinem", "yo", "mi", "mis", "io", "mio", "mia", "miei", "mie",
		"ik", "mij", "mijn", "eu", "meu", "meus", "minha", "minhas")

	// requestMarkers show that a sentence asks for something.
	requestMarkers = compileAll("please", "kindly", "request*", "ask", "asking", "demand*", "exercis*", "invok*",
		"is it possible", "would it be possible", "est il possible", "serait il possible", "ist es moglich", "ware es moglich",
		"es posible", "seria posible", "e possibile", "sarebbe possibile", "is het mogelijk", "zou het mogelijk",
		"e possivel", "seria possivel",
		"instruct*", "hereby", "want", "wish", "would like", "need", "require", "requiring", "can you", "could you", "would you",
		"will you", "can i get|have|receive|obtain|request", "may i", "could i", "i d like",
		"demande*", "demander", "souhait*", "veux", "voudrais", "voudrions", "prie", "merci de", "veuillez", "exerce*",
		"pouvez vous", "pourriez vous", "pourriez",
		"bitte", "bitten", "ersuch*", "fordere", "fordern", "beantrage*", "mochte", "mochten", "verlange*", "hiermit",
		"geltend", "wunsche", "konnten sie", "konnen sie", "wurden sie",
		"solicito", "solicitamos", "solicitar", "solicitud", "quiero", "queremos", "pido", "pedimos", "ruego", "deseo", "exijo", "ejercer",
		"ejerzo", "por favor", "podrian", "pueden", "puede",
		"chiedo", "chiediamo", "richied*", "richiesta", "vorrei", "vorremmo", "prego", "esercitare", "esercito", "per favore", "desidero",
		"potete", "potreste", "può", "puo",
		"verzoek*", "vraag", "vragen", "wil", "willen", "graag", "verzoeke", "alstublieft", "gelieve", "kunt u", "kunnen jullie",
		"zou u",
		"peco", "pedido", "quero", "queremos", "gostaria", "gostariamos", "requeiro", "exerco", "desejo", "podem", "poderiam")

	// directMarkers show a sentence that asks the reader to act: a third party's data only
	// counts in such a sentence ("please erase her profile", not "she asked us to erase it").
	directMarkers = compileAll("please", "kindly", "instruct*", "request you", "request that you", "ask you", "we ask", "we request",
		"could you", "can you", "would you", "need you", "we require", "merci de", "veuillez", "nous vous demandons", "pouvez vous",
		"bitte", "wir bitten", "fordern sie", "por favor", "les pedimos", "solicitamos", "per favore", "vi chiediamo", "chiediamo",
		"graag", "gelieve", "verzoeken", "wij vragen", "pedimos", "solicitamos que", "solicitamos a")

	// metaMarkers show a sentence that talks about how rights are handled (a sales,
	// compliance or support question) rather than exercising one.
	metaMarkers = compileAll("how you", "how do you", "how does", "how is", "how are", "how can|do|should ~ we|our|customers|users",
		"your process*", "your procedure*", "procedure*", "process for", "policy", "policies", "compliant", "compliance", "comply",
		"dpa", "data processing agreement", "do you support", "do you offer", "support for", "feature", "features",
		"pricing", "price*", "quote", "template*", "question about", "questions about", "question regarding", "inquiry", "enquiry",
		"explain", "documentation", "our customers", "our clients", "our users", "your customers", "your users",
		"comment vous", "comment gerez", "votre politique", "politique", "conforme", "conformes", "conformite", "question sur",
		"wie sie", "wie gehen sie", "wie handhaben", "konform*", "verfahren", "richtlinie*", "frage zu", "fragen zu",
		"como gestionan", "cumplimiento", "politica", "pregunta sobre", "preguntas sobre",
		"come gestite", "conformita", "procedura", "domanda su", "domande su",
		"hoe gaan", "hoe jullie", "hoe u", "naleving", "beleid", "vraag over", "vragen over",
		"como voces", "como vcs", "conformidade", "procedimento", "pergunta sobre", "perguntas sobre")

	// onBehalfMarkers show a customer (a controller) writing about one of its visitors.
	onBehalfMarkers = compileAll("on behalf of", "in the name of", "one of our", "our ~ @visitor", "a ~ @visitor ~ of ours",
		"the data subject", "this data subject", "a data subject", "the ~ @visitor ~ asked|requested|requests|wants|has|contacted",
		"au nom de", "pour le compte de", "un de nos", "une de nos", "l un de nos", "l une de nos", "notre ~ @visitor",
		"im namen", "im auftrag", "einer unserer", "eine unserer", "einer ~ unserer", "unser* ~ @visitor",
		"en nombre de", "por cuenta de", "uno de nuestros", "una de nuestras", "nuestr* ~ @visitor",
		"per conto di", "a nome di", "uno dei nostri", "una delle nostre", "nostr* ~ @visitor",
		"namens", "een van onze", "onze ~ @visitor", "in naam van",
		"em nome de", "por conta de", "um dos nossos", "uma das nossas", "noss* ~ @visitor")

	gdprMarkers = compileAll(gdprPatterns...)
)

// sentFlags are what the context markers found in each sentence.
type sentFlags struct {
	fp, req, direct, meta, onBehalf, gdpr []bool
	mailSpeaker                           bool // a sentence of the body has a first-person or request marker
	anyOnBehalf                           bool
}

func flagSentences(d *doc) sentFlags {
	n := len(d.sents)
	f := sentFlags{fp: make([]bool, n), req: make([]bool, n), direct: make([]bool, n), meta: make([]bool, n), onBehalf: make([]bool, n), gdpr: make([]bool, n)}
	for i := range d.toks {
		if t := &d.toks[i]; t.is(firstPersonWord) {
			f.fp[t.sent] = true
		}
	}
	mark(d, requestMarkers, f.req)
	mark(d, directMarkers, f.direct)
	mark(d, metaMarkers, f.meta)
	mark(d, onBehalfMarkers, f.onBehalf)
	mark(d, gdprMarkers, f.gdpr)
	for i, s := range d.sents {
		if !s.subject && (f.fp[i] || f.req[i]) {
			f.mailSpeaker = true
		}
		if f.onBehalf[i] {
			f.anyOnBehalf = true
		}
	}
	return f
}

// mark sets flags[s] for every sentence s where one of ps matches.
func mark(d *doc, ps *patternSet, flags []bool) {
	for i := range d.toks {
		if !flags[d.toks[i].sent] && ps.any(d.toks, i) {
			flags[d.toks[i].sent] = true
		}
	}
}

// countMarkers returns how many patterns of ps match somewhere in d.
func countMarkers(d *doc, ps *patternSet) int {
	return countMarkersFrom(d, 0, ps)
}

// countMarkersFrom returns how many patterns of ps match in d from its token from on.
func countMarkersFrom(d *doc, from int, ps *patternSet) int {
	seen := make([]bool, len(ps.pats))
	n := 0
	for i := from; i < len(d.toks); i++ {
		ps.each(d.toks, i, func(p, _ int) bool {
			if !seen[p] {
				seen[p] = true
				n++
			}
			return true
		})
	}
	return n
}

// negated says whether the phrase at toks[start:end] is negated.
func negated(d *doc, start, end int) bool {
	sentStart := d.sents[d.toks[start].sent].start
	for j := start - 1; j >= start-4 && j >= sentStart; j-- {
		if d.toks[j+1].clause || clauseBreaks[d.toks[j].w] {
			break
		}
		w := d.toks[j].w
		if negations[w] {
			if (w == "no" || w == "non" || w == "nao") && j+1 < len(d.toks) && (d.toks[j+1].w == "longer" || d.toks[j+1].w == "more") {
				continue
			}
			return true
		}
		if w == "t" && j > 0 && negatedAux[d.toks[j-1].w] {
			return true
		}
	}
	if end < len(d.toks) && d.toks[end].sent == d.toks[start].sent && afterNegations[d.toks[end].w] {
		return true
	}
	for j := start + 1; j < end; j++ {
		if negations[d.toks[j].w] && d.toks[j].w != "no" || d.toks[j].w == "t" && negatedAux[d.toks[j-1].w] {
			return true
		}
	}
	return false
}

// thirdParty says whether the phrase at toks[start:end] is about someone else's data: it
// has a third-person possessive and no first-person word.
func thirdParty(d *doc, start, end int) bool {
	third := false
	for j := start; j < end; j++ {
		if d.toks[j].is(firstPersonWord) {
			return false
		}
		if thirdPossessive[d.toks[j].w] {
			third = true
		}
	}
	return third
}

var thirdPossessive = set(strings.Fields(wordSets["their"])...)

// rightsResult is what detectRights found.
type rightsResult struct {
	score     map[domain.RequestType]float64
	tags      map[domain.RequestType][]string // right -> lexicon tags that counted
	discarded []string                        // why phrases did not count
}

// types returns the rights whose score reaches the threshold, in the order of Rights.
func (r rightsResult) types() []domain.RequestType {
	out := []domain.RequestType{}
	for _, right := range Rights {
		if r.score[right] >= requestThreshold {
			out = append(out, right)
		}
	}
	return out
}

func (r rightsResult) max() float64 {
	m := 0.0
	for _, s := range r.score {
		m = max(m, s)
	}
	return m
}

// requestThreshold is the score a right needs: one clear phrase (3), a weaker phrase (2),
// or two halved ones.
const requestThreshold = 2.0

type hit struct {
	right, yield domain.RequestType
	tag          string
	weight       float64
	class        ruleClass
}

// detectRights finds the rights asked for in d. Each phrase is checked in its sentence:
// negated phrases never count; a personal phrase counts in a statement and halves in a
// question that does not also ask ("could you..."); a named phrase counts in the subject
// line and in statements of a sender who speaks for themselves, and never in a question
// or a sentence about processes, policies or compliance. A right scores the best phrase of
// each sentence, summed over sentences.
func detectRights(d *doc, f sentFlags) rightsResult {
	res := rightsResult{score: map[domain.RequestType]float64{}, tags: map[domain.RequestType][]string{}}
	best := map[int]map[domain.RequestType]hit{} // sentence -> right -> best hit
	discard := map[string]bool{}
	consider := func(s int, h hit, start, end int, questionOK, negOK bool) {
		sent := d.sents[s]
		if !negOK && negated(d, start, end) {
			discard["negated"] = true
			return
		}
		w := h.weight
		if h.class == personal && thirdParty(d, start, end) && !f.direct[s] {
			discard["third_party_report"] = true
			return
		}
		switch h.class {
		case personal:
			if sent.question && !f.req[s] && !questionOK {
				w /= 2
				discard["question"] = true
			}
			if f.meta[s] && !questionOK {
				w /= 2
				discard["meta"] = true
			}
		case named:
			switch {
			case f.meta[s]:
				discard["meta"] = true
				return
			case sent.question && !f.req[s] && !questionOK:
				discard["question"] = true
				return
			case sent.subject || f.fp[s] || f.req[s] || f.onBehalf[s]:
			case f.mailSpeaker || f.anyOnBehalf:
				w *= 0.75
			default:
				discard["no_requester"] = true
				return
			}
		}
		h.weight = w
		if best[s] == nil {
			best[s] = map[domain.RequestType]hit{}
		}
		if old, ok := best[s][h.right]; !ok || w > old.weight {
			best[s][h.right] = h
		}
	}
	for i := range d.toks {
		ruleSet.each(d.toks, i, func(r, end int) bool {
			e := rules[r].entry
			consider(d.toks[i].sent, hit{right: e.right, tag: rules[r].tag, yield: e.yield, weight: e.weight, class: e.class}, i, end, e.questionOK, e.negOK)
			return true
		})
		if d.toks[i].is(articleWord) {
			for _, a := range articlesAt(d, i) {
				s := d.toks[i].sent
				if !gdprNear(d, f, s) {
					discard["article_without_gdpr"] = true
					continue
				}
				consider(s, hit{right: a.right, tag: string(a.right) + "/art" + a.num, weight: 3, class: named}, i, a.end, false, false)
			}
		}
	}
	for _, rights := range best {
		for right, h := range rights {
			if h.yield != "" && rights[h.yield].weight >= requestThreshold {
				continue
			}
			res.score[right] += h.weight
			res.tags[right] = appendUnique(res.tags[right], h.tag)
		}
	}
	for right := range res.tags {
		sort.Strings(res.tags[right])
	}
	for k := range discard {
		res.discarded = append(res.discarded, k)
	}
	sort.Strings(res.discarded)
	return res
}

type articleRef struct {
	num   string
	right domain.RequestType
	end   int
}

// articlesAt reads the article numbers after the article word at toks[i]: "Art. 15",
// "Article 15(3)", "articles 15 and 17", "Art. 15, 17 DSGVO", "Art. 17 Abs. 1".
func articlesAt(d *doc, i int) []articleRef {
	var out []articleRef
	s := d.toks[i].sent
	j := i + 1
	at := func(k int) (token, bool) {
		if k < len(d.toks) && d.toks[k].sent == s {
			return d.toks[k], true
		}
		return token{}, false
	}
	for {
		t, ok := at(j)
		if !ok || !t.num {
			return out
		}
		if right := articleRights[strings.TrimLeft(t.w, "0")]; right != "" {
			out = append(out, articleRef{num: strings.TrimLeft(t.w, "0"), right: right, end: j + 1})
		}
		j++
		next, ok := at(j)
		if !ok {
			return out
		}
		switch {
		case next.num && next.sep == '(':
			j++ // a paragraph: 15(3)
			if after, ok := at(j); ok && after.num && after.sep == ',' {
				continue
			}
			if after, ok := at(j); ok && (after.w == "and" || after.w == "und" || after.w == "et" || after.w == "y" || after.w == "e" || after.w == "en") {
				j++
				continue
			}
			return out
		case next.num && (next.sep == ',' || next.sep == '/' || next.sep == '&' || next.sep == '-'):
			continue
		case next.w == "and" || next.w == "und" || next.w == "et" || next.w == "y" || next.w == "e" || next.w == "en" || next.w == "or" || next.w == "oder" || next.w == "ou" || next.w == "o" || next.w == "of":
			if after, ok := at(j + 1); ok && after.num {
				j++
				continue
			}
			return out
		default:
			return out
		}
	}
}

// gdprNear says whether the GDPR is named in sentence s, its neighbours or the subject.
func gdprNear(d *doc, f sentFlags, s int) bool {
	for k := max(0, s-2); k <= min(len(d.sents)-1, s+2); k++ {
		if f.gdpr[k] {
			return true
		}
	}
	for k, sent := range d.sents {
		if sent.subject && f.gdpr[k] {
			return true
		}
	}
	return false
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
