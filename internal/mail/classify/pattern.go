package classify

import (
	"fmt"
	"strings"
	"sync"
)

// A pattern is a sequence of token matchers, compiled from a small language:
//
//	word       the folded token "word"
//	word*      a token starting with "word"
//	a|b*|c     any of these
//	@set       any member of a named word set (see wordSets)
//	~          zero to three filler tokens (articles, "all", "personal", ...)
//	...        zero to four tokens of any kind
//	$          the end of a clause or sentence (last element only)
//
// Literals are folded like text ("données" is "donnees") and split like text ("d'accès"
// is the two tokens "d acces"). A match never crosses a sentence.
type pattern struct {
	src   string
	elems []elem
}

type elemKind int

const (
	elemLit elemKind = iota
	elemFill
	elemAny
	elemEnd
)

type elem struct {
	kind  elemKind
	exact map[string]bool
	few   []string // exact as a list when it is this short: comparing beats hashing
	pre   []string
	// preBy is pre by first byte, when pre is long (a word set of many prefixes).
	preBy *[256][]string
}

// manyPrefixes is the number of prefixes from which an elem indexes them.
const manyPrefixes = 8

// prefixIndexes are the preBy indexes made, by their prefixes joined: patterns naming the
// same word set share one. Patterns are compiled at start, but a test may compile one.
var prefixIndexes = struct {
	sync.Mutex
	m map[string]*[256][]string
}{m: map[string]*[256][]string{}}

// fewExact is the most words an elem lists in few rather than looks up in exact.
const fewExact = 4

func (e *elem) matches(w string) bool {
	if e.few != nil {
		for _, x := range e.few {
			if x == w {
				return true
			}
		}
	} else if e.exact[w] {
		return true
	}
	pre := e.pre
	if e.preBy != nil {
		if w == "" {
			return false
		}
		pre = e.preBy[w[0]] // a prefix of w starts with its first byte
	}
	for _, p := range pre {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// wordSets are the sets patterns name with @. Members follow the literal syntax (a
// trailing * is a prefix).
var wordSets = map[string]string{
	// possessives of the first person
	"my": "my mine me mes mon ma moi meine meinen meiner meines mein meinem mis mi mio mia miei mie mijn mij meu meus minha minhas",
	// possessives of a third person, for a customer writing about a visitor
	"their": "her his their ses son sa leur leurs ihre ihren ihrer ihres ihrem seine seinen seiner seines seinem sus su suoi sue suo sua haar zijn hun seu seus suas",
	// what a data subject's data is called
	"obj": `data information info infos details account* profile* history histories conversation* transcript* message* chat chats
		record* file* email* mail* address* contact* photo* picture* recording* everything
		donnee* compte* profil* information* historique* coordonnee* fichier* echange* discussion*
		daten konto* benutzerkonto* kundenkonto* nutzerkonto* profil* informationen angaben verlauf* nachricht* gesprach* unterhaltung* personendaten datensatz* datensatze*
		datos cuenta* perfil* informacion* historial* conversacion* mensaje* registro*
		dati profilo* informazion* cronologia conversazion* messagg* chat
		gegevens persoonsgegevens profiel* informatie geschiedenis gesprek* bericht* chatgeschiedenis
		dados conta* informac* historico* conversa* mensage* registo* registro*`,
	// what a customer calls the people on its website
	"visitor": "visitor* user* customer* client* enduser* visiteur* utilisateur* usager* besucher* nutzer* kunde* kundin* benutzer* visitante* usuario* cliente* visitator* utent* bezoeker* gebruiker* klant* utilizador* usuario*",
}

// fillers are the tokens a ~ gap may skip.
var fillers = set(strings.Fields(`all of the a an any every also please completely permanently entirely fully immediately
	now just kindly whole entire complete personal e remaining existing stored old chat user end customer visitor online related
	this these those such that other your you associated linked hereby strongly formally
	un une ein eine einen einer una uno unos unas een um uma
	email mail postal home billing phone telephone mobile first last family given
	dieser diese dieses diesen
	tout toute tous toutes les le la l des de du d definitivement egalement aussi immediatement personnelles personnels autres
	alle allen aller alles die der den des das dem sie bitte auch sofort vollstandig endgultig gesamten gesamte samtliche samtlichen
	personenbezogenen personlichen gespeicherten uber zu meiner meine
	todos todas todo toda los las el lo de del por favor tambien completamente definitivamente personales
	tutti tutte tutto i gli il dei delle degli della dello di anche personali miei
	al het van ook volledig definitief persoonlijke eventuele
	os as o dos das do da tambem pessoais`)...)

// compilePattern compiles src; a bad pattern is a programming error and panics at start.
func compilePattern(src string) pattern {
	p := pattern{src: src}
	for _, f := range strings.Fields(src) {
		switch {
		case f == "~":
			p.elems = append(p.elems, elem{kind: elemFill})
		case f == "...":
			p.elems = append(p.elems, elem{kind: elemAny})
		case f == "$":
			p.elems = append(p.elems, elem{kind: elemEnd})
		case strings.HasPrefix(f, "@") || strings.Contains(f, "|"):
			var alts []string
			for _, a := range strings.Split(f, "|") {
				if !strings.HasPrefix(a, "@") {
					alts = append(alts, a)
					continue
				}
				members, ok := wordSets[a[1:]]
				if !ok {
					panic(fmt.Sprintf("inbox: pattern %q: no word set %s", src, a))
				}
				alts = append(alts, strings.Fields(members)...)
			}
			p.elems = append(p.elems, literalElem(src, alts))
		default:
			star := strings.HasSuffix(f, "*")
			parts := splitLiteral(strings.TrimSuffix(f, "*"))
			if len(parts) == 0 {
				panic(fmt.Sprintf("inbox: pattern %q: empty literal %q", src, f))
			}
			for i, part := range parts {
				if star && i == len(parts)-1 {
					part += "*"
				}
				p.elems = append(p.elems, literalElem(src, []string{part}))
			}
		}
	}
	last := len(p.elems) - 1
	if last >= 0 && p.elems[last].kind == elemEnd {
		last--
	}
	if last < 0 || p.elems[0].kind != elemLit || p.elems[last].kind != elemLit {
		panic(fmt.Sprintf("inbox: pattern %q must start and end with a word", src))
	}
	for i, e := range p.elems {
		if e.kind == elemEnd && i != len(p.elems)-1 {
			panic(fmt.Sprintf("inbox: pattern %q: $ must come last", src))
		}
	}
	return p
}

// splitLiteral folds and splits a literal the way text is tokenised.
func splitLiteral(s string) []string {
	return strings.FieldsFunc(fold(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 0x7f)
	})
}

func literalElem(src string, alts []string) elem {
	e := elem{kind: elemLit, exact: map[string]bool{}}
	for _, a := range alts {
		star := strings.HasSuffix(a, "*")
		parts := splitLiteral(strings.TrimSuffix(a, "*"))
		if len(parts) != 1 {
			panic(fmt.Sprintf("inbox: pattern %q: alternative %q is not one token", src, a))
		}
		if star {
			e.pre = append(e.pre, parts[0])
		} else {
			e.exact[parts[0]] = true
		}
	}
	if n := len(e.exact); n > 0 && n <= fewExact {
		for w := range e.exact {
			e.few = append(e.few, w)
		}
	}
	if len(e.pre) >= manyPrefixes {
		key := strings.Join(e.pre, "|")
		prefixIndexes.Lock()
		if e.preBy = prefixIndexes.m[key]; e.preBy == nil {
			e.preBy = &[256][]string{}
			for _, p := range e.pre {
				e.preBy[p[0]] = append(e.preBy[p[0]], p)
			}
			prefixIndexes.m[key] = e.preBy
		}
		prefixIndexes.Unlock()
	}
	return e
}

// matchAt returns the end of a match of p starting at token i, or -1.
func (p *pattern) matchAt(toks []token, i int) int {
	if i >= len(toks) || !p.elems[0].matches(toks[i].w) {
		return -1
	}
	return matchElems(p.elems[1:], toks, i+1, toks[i].sent)
}

func matchElems(elems []elem, toks []token, i, sent int) int {
	if len(elems) == 0 {
		return i
	}
	e := &elems[0]
	switch e.kind {
	case elemEnd:
		if i >= len(toks) || toks[i].sent != sent || toks[i].clause {
			return i
		}
		return -1
	case elemFill, elemAny:
		limit := 3
		if e.kind == elemAny {
			limit = 4
		}
		for n := 0; n <= limit; n++ {
			if n > 0 {
				j := i + n - 1
				if j >= len(toks) || toks[j].sent != sent || (e.kind == elemFill && !toks[j].is(fillerWord)) {
					break
				}
			}
			if end := matchElems(elems[1:], toks, i+n, sent); end >= 0 {
				return end
			}
		}
		return -1
	}
	if i >= len(toks) || toks[i].sent != sent || !e.matches(toks[i].w) {
		return -1
	}
	return matchElems(elems[1:], toks, i+1, sent)
}

// wordInfo is what the pattern sets and word lists know of one folded word. A token
// looks it up once (token.info) rather than each set and list looking its word up.
type wordInfo struct {
	first       [][]int // by patternSet id: the patterns whose first element lists the word
	filler      bool    // one of fillers
	firstPerson bool    // one of firstPerson
	article     bool    // one of articleWords
}

// vocabulary holds the wordInfo of every word a pattern set starts with or a word list
// above names. It is filled while the package initialises and only read afterwards.
var vocabulary = map[string]*wordInfo{}

// patternSets counts the pattern sets made, to number them.
var patternSets int

func vocabularyEntry(w string) *wordInfo {
	wi := vocabulary[w]
	if wi == nil {
		wi = &wordInfo{}
		vocabulary[w] = wi
	}
	return wi
}

func init() {
	for w := range fillers {
		vocabularyEntry(w).filler = true
	}
	for w := range firstPerson {
		vocabularyEntry(w).firstPerson = true
	}
	for w := range articleWords {
		vocabularyEntry(w).article = true
	}
}

// patternSet indexes patterns by their first element, so that a text is scanned once
// rather than once per pattern. Sets are made while the package initialises.
type patternSet struct {
	pats []pattern
	id   int // its index in wordInfo.first
	// prefix1 lists the patterns whose first element has a one-byte prefix, by that byte;
	// prefix2 those with a longer prefix, by its first byte and then its second.
	prefix1 [256][]int
	prefix2 [256][]prefixBucket
}

type prefixBucket struct {
	second byte
	pats   []int
}

func newPatternSet(pats []pattern) *patternSet {
	ps := &patternSet{pats: pats, id: patternSets}
	patternSets++
	for i, p := range pats {
		first := p.elems[0]
		for w := range first.exact {
			wi := vocabularyEntry(w)
			for len(wi.first) <= ps.id {
				wi.first = append(wi.first, nil)
			}
			wi.first[ps.id] = append(wi.first[ps.id], i)
		}
		for _, pre := range first.pre {
			if len(pre) == 1 {
				ps.prefix1[pre[0]] = append(ps.prefix1[pre[0]], i)
				continue
			}
			buckets := ps.prefix2[pre[0]]
			k := 0
			for k < len(buckets) && buckets[k].second != pre[1] {
				k++
			}
			if k == len(buckets) {
				buckets = append(buckets, prefixBucket{second: pre[1]})
			}
			buckets[k].pats = append(buckets[k].pats, i)
			ps.prefix2[pre[0]] = buckets
		}
	}
	return ps
}

// candidates returns the patterns that may match at a token t: those whose first element
// lists its word w, then those with a two-byte and then a one-byte prefix of w; a pattern
// may come more than once.
func (ps *patternSet) candidates(t *token) (exact, prefix2, prefix1 []int) {
	if t.info != nil && ps.id < len(t.info.first) {
		exact = t.info.first[ps.id]
	}
	w := t.w
	if len(w) >= 1 {
		prefix1 = ps.prefix1[w[0]]
	}
	if len(w) >= 2 {
		for _, b := range ps.prefix2[w[0]] {
			if b.second == w[1] {
				prefix2 = b.pats
				break
			}
		}
	}
	return exact, prefix2, prefix1
}

// each calls fn for every pattern that matches at toks[i], with the end of the match,
// until fn returns false.
func (ps *patternSet) each(toks []token, i int, fn func(p int, end int) bool) {
	exact, prefix2, prefix1 := ps.candidates(&toks[i])
	for _, p := range exact {
		// The first element lists toks[i].w: match the rest.
		if end := matchElems(ps.pats[p].elems[1:], toks, i+1, toks[i].sent); end >= 0 && !fn(p, end) {
			return
		}
	}
	for _, list := range [2][]int{prefix2, prefix1} {
		for _, p := range list {
			if end := ps.pats[p].matchAt(toks, i); end >= 0 && !fn(p, end) {
				return
			}
		}
	}
}

// any says whether some pattern of the set matches at toks[i].
func (ps *patternSet) any(toks []token, i int) bool {
	found := false
	ps.each(toks, i, func(int, int) bool {
		found = true
		return false
	})
	return found
}
