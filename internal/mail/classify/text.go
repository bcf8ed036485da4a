package classify

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// foldTable maps the accented Latin letters of the seven languages (and their neighbours)
// to their base letters; ß, æ, œ become two letters.
var foldTable = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a", 'ª': "a",
	'æ': "ae", 'ç': "c", 'ć': "c", 'č': "c", 'ď': "d", 'đ': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ė': "e", 'ę': "e", 'ě': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ī': "i", 'ı': "i", 'ł': "l", 'ñ': "n", 'ń': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ō': "o", 'ő': "o", 'º': "o",
	'œ': "oe", 'ŕ': "r", 'ř': "r", 'ś': "s", 'š': "s", 'ş': "s", 'ș': "s", 'ß': "ss",
	'ť': "t", 'ţ': "t", 'ț': "t", 'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ū': "u", 'ů': "u", 'ű': "u",
	'ý': "y", 'ÿ': "y", 'ź': "z", 'ż': "z", 'ž': "z", 'ĳ': "ij",
}

// foldLow is foldTable as an array for the runes below its length ("" where it has none):
// fold runs once per token, and an index is cheaper than a map look-up.
var foldLow = func() *[0x250]string {
	var t [0x250]string
	for r, f := range foldTable {
		if int(r) < len(t) {
			t[r] = f
		}
	}
	return &t
}()

// fold lower-cases s and strips the accents of foldTable.
func fold(s string) string {
	if isLowerASCII(s) {
		return s // nothing to lower-case, and foldTable has no ASCII rune
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = unicode.ToLower(r)
		var f string
		if int(r) < len(foldLow) {
			f = foldLow[r]
		} else {
			f = foldTable[r]
		}
		if f != "" {
			b.WriteString(f)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isLowerASCII says whether s is ASCII without upper-case letters.
func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// token is one word or number of a text.
type token struct {
	w      string    // lower case, accents folded: what lexicons match
	raw    string    // lower case with accents: what language detection reads
	sent   int       // index of its sentence in doc.sents
	clause bool      // a comma, colon, bracket or dash comes right before it
	sep    rune      // the last punctuation mark right before it, or 0
	num    bool      // all digits
	info   *wordInfo // vocabulary[w], nil when w is none of its words
}

// wordKind is a word list of wordInfo.
type wordKind int

const (
	fillerWord wordKind = iota
	firstPersonWord
	articleWord
)

// is says whether the token's word is in the list k: fillers, firstPerson or articleWords.
func (t *token) is(k wordKind) bool {
	if t.info == nil {
		return false
	}
	switch k {
	case fillerWord:
		return t.info.filler
	case firstPersonWord:
		return t.info.firstPerson
	default:
		return t.info.article
	}
}

// sentence is a run of tokens [start, end) ended by . ! ? or a paragraph break.
type sentence struct {
	start, end int
	question   bool
	subject    bool // the Subject header
}

// doc is a tokenised text: the subject first, then the body.
type doc struct {
	toks  []token
	sents []sentence
	runes map[rune]int // counts of the non-ASCII letters, for language detection
	body  int          // the index in toks of the first token of the body
}

const maxTokens = 6000

// abbreviations are the tokens after which a full stop does not end a sentence.
var abbreviations = set("art", "arts", "abs", "nr", "no", "mr", "mrs", "ms", "dr", "st", "eg", "ie", "z", "b",
	"bzw", "ca", "ggf", "inkl", "usw", "vs", "sr", "sra", "sig", "m", "mme", "mlle", "hr", "fr", "dhr", "mevr", "par",
	"al", "lit", "lett", "co", "cf", "vgl", "sg", "ref", "tel", "pag", "pp", "e", "g", "b")

// newDoc tokenises the subject (as its own sentence) and the body.
func newDoc(subject, body string) *doc {
	// Room for a token every 6 bytes or so (a short word and a space), which saves most
	// of the growing.
	d := &doc{runes: map[rune]int{}, toks: make([]token, 0, min(maxTokens, (len(subject)+len(body))/6+8))}
	if subject != "" {
		d.addText(subject, true)
	}
	d.body = len(d.toks)
	d.addText(body, false)
	return d
}

func (d *doc) addText(text string, subject bool) {
	lines := strings.Split(text, "\n")
	d.open(subject)
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			d.close()
			d.open(subject)
			continue
		}
		if startsBlock(trimmed) {
			d.close()
			d.open(subject)
		}
		d.scan(trimmed, subject)
		next := ""
		if i+1 < len(lines) {
			next = strings.TrimSpace(lines[i+1])
		}
		if len(trimmed) < 40 || utf8.RuneCountInString(trimmed) < 40 || strings.HasSuffix(trimmed, ":") || next == "" {
			d.close()
			d.open(subject)
		}
		if len(d.toks) >= maxTokens {
			break
		}
	}
	d.close()
}

var (
	bulletRe    = regexp.MustCompile(`^(?:[-*•·▪–]\s|\d{1,2}[.)]\s)`)
	formFieldRe = regexp.MustCompile(`^[\p{L}][\p{L} .'-]{0,30}:\s`)
)

// formFieldColon is the furthest byte offset of the colon of a formFieldRe match: 31 runes
// of at most 4 bytes come before it.
const formFieldColon = 31 * utf8.UTFMax

// startsBlock says whether a line begins a new sentence whatever came before: a list item
// or a form field ("Name: ...").
func startsBlock(line string) bool {
	if line == "" {
		return false
	}
	// Cheap tests first, each implied by a match: a bullet starts with '-', '*', a digit or
	// the first byte of •, ·, ▪ or – (0xC2, 0xE2); a form field has its colon early.
	if c := line[0]; c == '-' || c == '*' || '0' <= c && c <= '9' || c == 0xC2 || c == 0xE2 {
		if bulletRe.MatchString(line) {
			return true
		}
	}
	if strings.IndexByte(line[:min(len(line), formFieldColon+1)], ':') < 1 {
		return false
	}
	return formFieldRe.MatchString(line)
}

func (d *doc) open(subject bool) {
	d.sents = append(d.sents, sentence{start: len(d.toks), end: len(d.toks), subject: subject})
}

// close ends the current sentence, dropping it when it is empty.
func (d *doc) close() {
	n := len(d.sents) - 1
	if n < 0 {
		return
	}
	d.sents[n].end = len(d.toks)
	if d.sents[n].start == d.sents[n].end {
		d.sents = d.sents[:n]
	}
}

// scan tokenises one line into the current sentence.
func (d *doc) scan(line string, subject bool) {
	// The current word is line[ws:we] (ws < 0: none); lowered says whether lower-casing
	// changes it. A word is a run of letters, marks and digits, so it is valid UTF-8.
	ws, we := -1, -1
	lowered := false
	wordIsNum := false
	clause := false
	var sep rune
	emit := func() {
		if ws < 0 {
			return
		}
		if len(d.toks) >= maxTokens {
			ws = -1
			return
		}
		raw := line[ws:we]
		if lowered {
			raw = strings.Map(unicode.ToLower, raw)
		}
		w := fold(raw)
		d.toks = append(d.toks, token{w: w, raw: raw, sent: len(d.sents) - 1, clause: clause, sep: sep, num: wordIsNum, info: vocabulary[w]})
		clause, sep = false, 0
		ws = -1
	}
	for i, next := 0, 0; i < len(line); i = next {
		r0, size := rune(line[i]), 1
		if r0 >= utf8.RuneSelf {
			r0, size = utf8.DecodeRuneInString(line[i:])
		}
		next = i + size
		r := unicode.ToLower(r0)
		isDigit := r >= '0' && r <= '9'
		if unicode.IsLetter(r) || isDigit || unicode.Is(unicode.Mn, r) {
			if ws >= 0 && isDigit != wordIsNum {
				emit()
			}
			if ws < 0 {
				ws, lowered, wordIsNum = i, false, isDigit
			}
			if r > unicode.MaxASCII && unicode.IsLetter(r) {
				d.runes[r]++
			}
			if r != r0 {
				lowered = true
			}
			we = next
			continue
		}
		emit()
		if !unicode.IsSpace(r) {
			sep = r
		}
		switch r {
		case '?', '!', '.', '…':
			if r == '?' {
				d.sents[len(d.sents)-1].question = true
			}
			if r == '.' && !d.endsSentence(line[next:]) {
				continue
			}
			if len(d.toks) > d.sents[len(d.sents)-1].start {
				d.close()
				d.open(subject)
			}
		case '¿', '¡':
			if r == '¿' {
				d.sents[len(d.sents)-1].question = true
			}
			d.runes[r]++
			clause = true
		case ',', ';', ':', '(', ')', '[', ']', '"', '«', '»', '–', '—', '/', '|', '<', '>', '“', '”', '„':
			clause = true
		}
	}
	emit()
}

// endsSentence says whether a full stop followed by rest ends a sentence: it must be
// followed by white space or the end of the line, not come after an abbreviation or a
// single letter, and not be followed by a lower-case word or a number.
func (d *doc) endsSentence(rest string) bool {
	if rest != "" {
		if r, _ := utf8.DecodeRuneInString(rest); !unicode.IsSpace(r) && !strings.ContainsRune(`"')]»”`, r) {
			return false
		}
	}
	if n := len(d.toks); n > d.sents[len(d.sents)-1].start {
		if abbreviations[d.toks[n-1].w] {
			return false
		}
	}
	for _, r := range rest {
		if unicode.IsSpace(r) {
			continue
		}
		return !unicode.IsLower(r) && !unicode.IsDigit(r)
	}
	return true
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// bodyParts splits a mail body into what the sender wrote, what they quoted ("> " lines)
// and their signature (after a "-- " line). Reply attributions ("On ... wrote:") go.
type bodyParts struct {
	own, quoted, signature string
}

var attributionRe = regexp.MustCompile(`(?i)^(on\b.{0,200}\bwrote|le\b.{0,200}\ba [ée]crit|am\b.{0,200}\bschrieb|el\b.{0,200}\bescribi[óo]|il\b.{0,200}\bha scritto|op\b.{0,200}\bschreef|em\b.{0,200}\bescreveu)\s*:\s*$`)

// attributionStart says whether t starts with one of the two-letter words attributionRe
// starts with, in any case (these letters have no other case variants under (?i)).
func attributionStart(t string) bool {
	if len(t) < 2 {
		return false
	}
	// |0x20 lower-cases an ASCII letter; no other byte becomes a lower-case letter.
	switch [2]byte{t[0] | 0x20, t[1] | 0x20} {
	case [2]byte{'o', 'n'}, [2]byte{'l', 'e'}, [2]byte{'a', 'm'}, [2]byte{'e', 'l'}, [2]byte{'i', 'l'}, [2]byte{'o', 'p'}, [2]byte{'e', 'm'}:
		return true
	}
	return false
}

func splitBody(text string) bodyParts {
	var own, quoted, sig []string
	inSig := false
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case inSig:
			sig = append(sig, line)
		case line == "-- " || t == "--" || t == "—":
			inSig = true
		case strings.HasPrefix(t, ">"):
			quoted = append(quoted, strings.TrimLeft(t, "> "))
		case strings.HasSuffix(t, ":") && attributionStart(t) && attributionRe.MatchString(t):
			// t has no trailing space, so a match of attributionRe ends with its colon.
		default:
			own = append(own, line)
		}
	}
	return bodyParts{own: strings.Join(own, "\n"), quoted: strings.Join(quoted, "\n"), signature: strings.Join(sig, "\n")}
}

// tail returns at most the last n bytes of s, cut at a rune boundary.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// head returns at most n bytes of s, cut at a rune boundary.
func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
