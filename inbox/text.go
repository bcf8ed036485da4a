package inbox

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

// fold lower-cases s and strips the accents of foldTable.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = unicode.ToLower(r)
		if f, ok := foldTable[r]; ok {
			b.WriteString(f)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// token is one word or number of a text.
type token struct {
	w      string // lower case, accents folded: what lexicons match
	raw    string // lower case with accents: what language detection reads
	sent   int    // index of its sentence in doc.sents
	clause bool   // a comma, colon, bracket or dash comes right before it
	sep    rune   // the last punctuation mark right before it, or 0
	num    bool   // all digits
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
}

const maxTokens = 6000

// abbreviations are the tokens after which a full stop does not end a sentence.
var abbreviations = set("art", "arts", "abs", "nr", "no", "mr", "mrs", "ms", "dr", "st", "eg", "ie", "z", "b",
	"bzw", "ca", "ggf", "inkl", "usw", "vs", "sr", "sra", "sig", "m", "mme", "mlle", "hr", "fr", "dhr", "mevr", "par",
	"al", "lit", "lett", "co", "cf", "vgl", "sg", "ref", "tel", "pag", "pp", "e", "g", "b")

// newDoc tokenises the subject (as its own sentence) and the body.
func newDoc(subject, body string) *doc {
	d := &doc{runes: map[rune]int{}}
	if subject != "" {
		d.addText(subject, true)
	}
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
		if utf8.RuneCountInString(trimmed) < 40 || strings.HasSuffix(trimmed, ":") || next == "" {
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

// startsBlock says whether a line begins a new sentence whatever came before: a list item
// or a form field ("Name: ...").
func startsBlock(line string) bool {
	return bulletRe.MatchString(line) || formFieldRe.MatchString(line)
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
	var word []rune
	wordIsNum := false
	clause := false
	var sep rune
	emit := func() {
		if len(word) == 0 || len(d.toks) >= maxTokens {
			word = word[:0]
			return
		}
		raw := string(word)
		d.toks = append(d.toks, token{w: fold(raw), raw: raw, sent: len(d.sents) - 1, clause: clause, sep: sep, num: wordIsNum})
		clause, sep = false, 0
		word = word[:0]
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := unicode.ToLower(rs[i])
		isDigit := r >= '0' && r <= '9'
		if unicode.IsLetter(r) || isDigit || unicode.Is(unicode.Mn, r) {
			if len(word) > 0 && isDigit != wordIsNum {
				emit()
			}
			if len(word) == 0 {
				wordIsNum = isDigit
			}
			if r > unicode.MaxASCII && unicode.IsLetter(r) {
				d.runes[r]++
			}
			word = append(word, r)
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
			if r == '.' && !d.endsSentence(rs, i) {
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

// endsSentence says whether the full stop at rs[i] ends a sentence: it must be followed by
// white space or the end of the line, not come after an abbreviation or a single letter,
// and not be followed by a lower-case word or a number.
func (d *doc) endsSentence(rs []rune, i int) bool {
	if i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) && !strings.ContainsRune(`"')]»”`, rs[i+1]) {
		return false
	}
	if n := len(d.toks); n > d.sents[len(d.sents)-1].start {
		if abbreviations[d.toks[n-1].w] {
			return false
		}
	}
	for j := i + 1; j < len(rs); j++ {
		if unicode.IsSpace(rs[j]) {
			continue
		}
		return !unicode.IsLower(rs[j]) && !unicode.IsDigit(rs[j])
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
		case attributionRe.MatchString(t):
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
