// Package letters writes the mail dsr sends to data subjects (the people who wrote to the
// privacy mailbox) in their language: the acknowledgement, the identity check and its
// reminder, and the outcome of the request.
//
// The texts are the text/templates in templates.SubjectMail, one per kind and language,
// parsed once when the package loads; a missing or broken template panics then. Templates
// can call:
//
//	date      a date as the language writes it in running text ("5. Januar 2027")
//	datetime  an instant's date and time in UTC ("5. Januar 2027, 14:30 Uhr UTC")
//	right     a right's name ("erasure" is "effacement" in French)
//	rights    a list of rights joined with the language's "and"
//	list      a list of names joined with the language's "and"
//	has       whether a list holds any of the given values
//	quote     free text in the language's quotation marks, as an indented block
package letters

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"dsr/internal/domain"
	"dsr/templates"
)

// Languages are the languages mail can be written in, those of templates/lang; English is
// the fallback.
var Languages = mustCodes()

func mustCodes() []string {
	codes, err := templates.LanguageCodes()
	if err != nil {
		panic("letters: " + err.Error())
	}
	return codes
}

// Kinds of mail.
const (
	KindAck       = "ack"
	KindVerify    = "verify"
	KindReminder  = "reminder"
	KindVerified  = "verified"
	KindNoData    = "no_data"
	KindCompleted = "completed"
	KindDenied    = "denied"
	KindExtended  = "extended"
	KindExpired   = "expired"
)

// Kinds lists every kind of mail, in the order a request meets them.
var Kinds = []string{KindAck, KindVerify, KindReminder, KindVerified, KindNoData, KindCompleted, KindDenied, KindExtended, KindExpired}

// Data fills a template. Dates are time.Time (date-only ones at midnight UTC); zero means
// absent. A date is written as it falls in the time's own location; ExpiresAt, an instant,
// is written with its time in UTC.
type Data struct {
	// Reference is the request's reference, "DSR-1a2b3c4d"; every subject carries it.
	Reference string
	// Types are the rights asked for.
	Types             []domain.RequestType
	ReceivedAt        time.Time
	TargetDue         time.Time
	LegalDue          time.Time
	ExtendedDue       time.Time
	Code              string
	VerifyURL         string
	ExpiresAt         time.Time
	PackageURL        string
	PackageExpires    time.Time
	Reason            string
	LastBackupExpires time.Time
	// Controllers are the names of the tenants (controllers) the request went to; may be
	// empty.
	Controllers []string
	// SearchedEmail is the address searched, for no_data.
	SearchedEmail string
}

// Mail is a rendered mail.
type Mail struct{ Subject, Body, Language string }

// required names, per kind, the fields its mail cannot do without. Dates are checked by
// date and datetime, which fail on a zero time.
var required = map[string][]string{
	KindVerify:    {"Code", "VerifyURL"},
	KindReminder:  {"Code", "VerifyURL"},
	KindNoData:    {"SearchedEmail"},
	KindCompleted: {"Types"},
	KindDenied:    {"Reason"},
	KindExtended:  {"Reason"},
}

// sets holds one parsed template set per language.
var sets = mustParse(templates.SubjectMail)

// Render renders kind in lang (falls back to English for an unknown or empty language;
// a region such as "de-AT" or "pt_BR" counts as its language; Mail.Language says which
// was used). It fails for an unknown kind, a right it does not know, a missing field the
// kind needs, or a template error.
func Render(kind, lang string, d Data) (Mail, error) {
	if !slices.Contains(Kinds, kind) {
		return Mail{}, fmt.Errorf("render mail: unknown kind %q", kind)
	}
	lang = Language(lang)
	if err := d.check(kind); err != nil {
		return Mail{}, fmt.Errorf("render %s mail: %w", kind, err)
	}
	var b strings.Builder
	if err := sets[lang].ExecuteTemplate(&b, fileName(kind, lang), d); err != nil {
		return Mail{}, fmt.Errorf("render %s mail in %s: %w", kind, lang, err)
	}
	subject, body, err := split(b.String())
	if err != nil {
		return Mail{}, fmt.Errorf("render %s mail in %s: %w", kind, lang, err)
	}
	if !strings.Contains(subject, "["+d.Reference+"]") {
		return Mail{}, fmt.Errorf("render %s mail in %s: subject lacks [%s]", kind, lang, d.Reference)
	}
	return Mail{Subject: subject, Body: body, Language: lang}, nil
}

// Language returns the language mail to someone writing in lang is written in: lang's
// base language ("de" for "de-AT") when it is one of Languages, else English.
func Language(lang string) string {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(lang)), "-")
	base, _, _ = strings.Cut(base, "_")
	if slices.Contains(Languages, base) {
		return base
	}
	return "en"
}

func (d Data) check(kind string) error {
	if d.Reference == "" || strings.ContainsFunc(d.Reference, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return fmt.Errorf("reference %q is empty or has spaces", d.Reference)
	}
	for _, t := range d.Types {
		if !t.Valid() {
			return fmt.Errorf("unknown right %q in Types", t)
		}
	}
	for _, f := range required[kind] {
		missing := false
		switch f {
		case "Code":
			missing = strings.TrimSpace(d.Code) == ""
		case "VerifyURL":
			missing = strings.TrimSpace(d.VerifyURL) == ""
		case "SearchedEmail":
			missing = strings.TrimSpace(d.SearchedEmail) == ""
		case "Types":
			missing = len(d.Types) == 0
		case "Reason":
			missing = strings.TrimSpace(d.Reason) == ""
		}
		if missing {
			return fmt.Errorf("%s is required", f)
		}
	}
	return nil
}

// split cuts a rendered template into its subject and its body. Trailing spaces go, runs
// of blank lines become one, the body has no blank lines at its ends (so templates can be
// laid out for reading), and a line that values made longer than maxLine is wrapped.
func split(s string) (string, string, error) {
	first, rest, _ := strings.Cut(s, "\n")
	subject, ok := strings.CutPrefix(first, "Subject: ")
	subject = strings.TrimSpace(subject)
	if !ok || subject == "" {
		return "", "", errors.New(`first line is not "Subject: ..."`)
	}
	blank, rest, _ := strings.Cut(rest, "\n")
	if strings.TrimSpace(blank) != "" {
		return "", "", errors.New("no blank line after the subject")
	}
	var lines []string
	for l := range strings.SplitSeq(rest, "\n") {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if l == "" && (len(lines) == 0 || lines[len(lines)-1] == "") {
			continue
		}
		lines = append(lines, wrap(l)...)
	}
	body := strings.TrimRight(strings.Join(lines, "\n"), "\n")
	if body == "" {
		return "", "", errors.New("empty body")
	}
	return subject, body, nil
}

// maxLine is the longest body line wanted, in characters.
const maxLine = 78

// hangRe finds what a wrapped line's continuation lines are indented under: a list item's
// dash or a "Label: " before a value; else only the line's own indent counts.
var hangRe = regexp.MustCompile(`^\s*(?:- |[^\s:][^:]{0,30}:\s+)`)

// wrap breaks a line longer than maxLine between words. Lines with a link are left whole,
// so that the link stays clickable.
func wrap(l string) []string {
	if utf8.RuneCountInString(l) <= maxLine || strings.Contains(l, "://") {
		return []string{l}
	}
	prefix := l[:len(l)-len(strings.TrimLeftFunc(l, unicode.IsSpace))]
	if m := hangRe.FindString(l); m != "" {
		prefix = m
	}
	indent := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	var out []string
	cur, empty := prefix, true
	for _, w := range strings.Fields(l[len(prefix):]) {
		if !empty && utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) > maxLine {
			out = append(out, cur)
			cur, empty = indent, true
		}
		if !empty {
			cur += " "
		}
		cur, empty = cur+w, false
	}
	return append(out, cur)
}

func fileName(kind, lang string) string { return kind + "." + lang + ".txt" }

func mustParse(fsys fs.FS) map[string]*template.Template {
	sets, err := parse(fsys)
	if err != nil {
		panic("letters: " + err.Error())
	}
	return sets
}

// parse parses every language's templates, each set with its language's functions. Every
// kind must exist in every language, and no other .txt file may be there.
func parse(fsys fs.FS) (map[string]*template.Template, error) {
	names, err := fs.Glob(fsys, "mail/subject/*.txt")
	if err != nil {
		return nil, fmt.Errorf("list mail templates: %w", err)
	}
	for _, n := range names {
		kind, lang, _ := strings.Cut(strings.TrimSuffix(path.Base(n), ".txt"), ".")
		if !slices.Contains(Kinds, kind) || !slices.Contains(Languages, lang) {
			return nil, fmt.Errorf("mail template %s: not <kind>.<language>.txt with a known kind and language", n)
		}
	}
	sets := make(map[string]*template.Template, len(Languages))
	for _, lang := range Languages {
		set := template.New(lang).Funcs(funcs(langs[lang])).Option("missingkey=error")
		for _, kind := range Kinds {
			name := fileName(kind, lang)
			b, err := fs.ReadFile(fsys, "mail/subject/"+name)
			if err != nil {
				return nil, fmt.Errorf("mail template %s: %w", name, err)
			}
			if _, err := set.New(name).Parse(string(b)); err != nil {
				return nil, fmt.Errorf("parse mail template: %w", err)
			}
		}
		sets[lang] = set
	}
	return sets, nil
}

func funcs(l language) template.FuncMap {
	return template.FuncMap{
		"date": func(t time.Time) (string, error) {
			if t.IsZero() {
				return "", errors.New("date: no date given")
			}
			return l.date(t), nil
		},
		"datetime": func(t time.Time) (string, error) {
			if t.IsZero() {
				return "", errors.New("datetime: no time given")
			}
			t = t.UTC()
			return fmt.Sprintf(l.DatetimeFormat, l.date(t), t.Hour(), t.Minute()), nil
		},
		"right": l.right,
		"rights": func(types []domain.RequestType) string {
			names := make([]string, len(types))
			for i, t := range types {
				names[i] = l.right(t)
			}
			return l.join(names)
		},
		"list": l.join,
		"has": func(list []domain.RequestType, values ...domain.RequestType) bool {
			return slices.ContainsFunc(list, func(t domain.RequestType) bool { return slices.Contains(values, t) })
		},
		"quote": l.quote,
	}
}

// language is what the template functions need to know about a language: its words, from
// templates/lang.
type language struct {
	templates.Language
	rights map[domain.RequestType]string
}

// langs are the languages, by code.
var langs = func() map[string]language {
	ls, err := templates.Languages()
	if err != nil {
		panic("letters: " + err.Error())
	}
	out := make(map[string]language, len(ls))
	for code, l := range ls {
		rights := make(map[domain.RequestType]string, len(l.Rights))
		for t, name := range l.Rights {
			rights[domain.RequestType(t)] = name
		}
		out[code] = language{Language: l, rights: rights}
	}
	return out
}()

// day writes the day of a date: "5", or "1er" for the first where the language says so.
func (l language) day(d int) string {
	if d == 1 && l.FirstDay != "" {
		return l.FirstDay
	}
	return fmt.Sprint(d)
}

// date writes t's calendar date, in t's location, with the month's name.
func (l language) date(t time.Time) string {
	return fmt.Sprintf(l.DateFormat, l.day(t.Day()), l.Months[t.Month()-1], t.Year())
}

// right names a right; an unknown one keeps its key.
func (l language) right(t domain.RequestType) string {
	if n, ok := l.rights[t]; ok {
		return n
	}
	return string(t)
}

// join writes "a, b and c".
func (l language) join(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	and := l.And
	if and == "y" && startsWithI(items[len(items)-1]) {
		and = "e" // Spanish writes "e" before an /i/ sound: "Acme e Iberia".
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + and + " " + items[len(items)-1]
}

func startsWithI(s string) bool {
	s = strings.ToLower(s)
	if strings.HasPrefix(s, "hi") {
		s = s[1:]
	}
	if !strings.HasPrefix(s, "i") && !strings.HasPrefix(s, "í") {
		return false
	}
	// "hielo", "Iowa": a vowel after the i makes it a consonant sound.
	rest := strings.TrimPrefix(strings.TrimPrefix(s, "i"), "í")
	return rest == "" || !strings.ContainsRune("aeiouáéó", []rune(rest)[0])
}

// quoteWidth is the longest line quote writes, indent included.
const quoteWidth = 74

// quote puts free text between the language's quotation marks, as a block indented by two
// spaces and wrapped at quoteWidth; the text's own line breaks are kept.
func (l language) quote(s string) string {
	var out []string
	for para := range strings.SplitSeq(strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n"), "\n") {
		line := ""
		for _, w := range strings.Fields(para) {
			if line != "" && len([]rune(line))+1+len([]rune(w)) > quoteWidth-3 {
				out = append(out, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		out = append(out, line)
	}
	out[0] = l.OpenQuote + out[0]
	out[len(out)-1] += l.CloseQuote
	for i := range out {
		out[i] = "  " + out[i]
	}
	return strings.Join(out, "\n")
}

// ForChange is the kind of mail a change to a request sends its subject, when the request
// came by mail: completed or denied when it ends so, extended when its deadline is
// extended; "" for any other change. The store queues it with the change
// (store.RecordNotifying), so the mail goes exactly when the change is recorded.
func ForChange(c domain.Change) string {
	switch {
	case c.Status == domain.StatusCompleted:
		return KindCompleted
	case c.Status == domain.StatusDenied:
		return KindDenied
	case c.Clock != nil && c.Clock.Extended:
		return KindExtended
	}
	return ""
}

// MessageID is the local part of the Message-ID of dsr's mail about a reference
// ("DSR-xxxxxxxx"): "dsr-xxxxxxxx." and what, which tells the mails apart. A reply's
// In-Reply-To names it, which is how the mailroom finds the reference again.
func MessageID(ref, what string) string {
	return "dsr-" + strings.ToLower(strings.TrimPrefix(ref, "DSR-")) + "." + what
}
