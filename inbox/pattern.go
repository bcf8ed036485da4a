package inbox

import (
	"fmt"
	"strings"
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
	pre   []string
}

func (e elem) matches(w string) bool {
	if e.exact[w] {
		return true
	}
	for _, p := range e.pre {
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
	e := elems[0]
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
				if j >= len(toks) || toks[j].sent != sent || (e.kind == elemFill && !fillers[toks[j].w]) {
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

// patternSet indexes patterns by their first element, so that a text is scanned once
// rather than once per pattern.
type patternSet struct {
	pats   []pattern
	exact  map[string][]int
	prefix map[string][]int // by the first two bytes of the prefix (or one, if that short)
}

func newPatternSet(pats []pattern) *patternSet {
	ps := &patternSet{pats: pats, exact: map[string][]int{}, prefix: map[string][]int{}}
	for i, p := range pats {
		first := p.elems[0]
		for w := range first.exact {
			ps.exact[w] = append(ps.exact[w], i)
		}
		for _, pre := range first.pre {
			key := pre[:min(2, len(pre))]
			ps.prefix[key] = append(ps.prefix[key], i)
		}
	}
	return ps
}

// each calls fn for every pattern that matches at toks[i], with the end of the match.
func (ps *patternSet) each(toks []token, i int, fn func(p int, end int)) {
	w := toks[i].w
	try := func(p int) {
		if end := ps.pats[p].matchAt(toks, i); end >= 0 {
			fn(p, end)
		}
	}
	for _, p := range ps.exact[w] {
		try(p)
	}
	if len(w) >= 2 {
		for _, p := range ps.prefix[w[:2]] {
			try(p)
		}
	}
	if len(w) >= 1 {
		for _, p := range ps.prefix[w[:1]] {
			try(p)
		}
	}
}

// any says whether some pattern of the set matches at toks[i].
func (ps *patternSet) any(toks []token, i int) bool {
	found := false
	ps.each(toks, i, func(int, int) { found = true })
	return found
}
