package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"text/template"
)

// langFiles holds, per language, every word dsr writes outside its mail and page
// templates: names of months and rights, how dates and lists are written, quotation
// marks, and the texts of the subject's verification page. One file per language:
// lang/<code>.json.
//
//go:embed lang/*.json
var langFiles embed.FS

// Language is one language's words.
type Language struct {
	Code string `json:"-"`
	// Name is the language's name in itself.
	Name   string     `json:"name"`
	Months [12]string `json:"months"`
	// FirstDay is how the first day of a month is written when not "1" ("1er"); empty
	// for "1".
	FirstDay string `json:"first_day"`
	// DateFormat takes the day, the month's name and the year; DatetimeFormat the date,
	// the hour and the minute.
	DateFormat     string `json:"date_format"`
	DatetimeFormat string `json:"datetime_format"`
	// And joins the last two items of a list.
	And        string `json:"and"`
	OpenQuote  string `json:"open_quote"`
	CloseQuote string `json:"close_quote"`
	// Rights name each right (by its API name).
	Rights map[string]string `json:"rights"`
	// VerifyPage are the title and message of each page of the subject's verification
	// link (VerifyOutcomes): the question (confirm) and each outcome.
	VerifyPage map[string]PageText `json:"verify_page"`
	// VerifyForm are the words of the question's form.
	VerifyForm VerifyForm `json:"verify_form"`
}

// VerifyForm are the words of the verification page's form: the label of what was asked,
// and the two answers.
type VerifyForm struct {
	Asked   string `json:"asked"`
	Confirm string `json:"confirm"`
	Reject  string `json:"reject"`
}

// PageText is a page's title and message; the message is a text/template given the
// page's figures (VerifyDays: how long a verification link is valid).
type PageText struct {
	Title   string `json:"title"`
	Message string `json:"message"`
}

// PageFigures are the figures a page's message may use.
type PageFigures struct {
	VerifyDays int
}

// Render writes the message with the figures.
func (p PageText) Render(f PageFigures) (string, error) {
	t, err := template.New("message").Option("missingkey=error").Parse(p.Message)
	if err != nil {
		return "", fmt.Errorf("page message %q: %w", p.Title, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, f); err != nil {
		return "", fmt.Errorf("page message %q: %w", p.Title, err)
	}
	return b.String(), nil
}

// VerifyOutcomes are the pages every language's VerifyPage has: the question the link
// opens (confirm), and the outcomes: verified, rejected (the subject said it was not them),
// unknown, expired, closed, stale (a form that expired or did not come from the page),
// later.
var VerifyOutcomes = []string{"confirm", "verified", "rejected", "unknown", "expired", "closed", "stale", "later"}

var languages = sync.OnceValues(func() (map[string]Language, error) {
	names, err := fs.Glob(langFiles, "lang/*.json")
	if err != nil {
		return nil, err
	}
	out := make(map[string]Language, len(names))
	for _, name := range names {
		b, err := langFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var l Language
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		l.Code = strings.TrimSuffix(path.Base(name), ".json")
		for _, o := range VerifyOutcomes {
			if _, ok := l.VerifyPage[o]; !ok {
				return nil, fmt.Errorf("%s: verify_page has no %q", name, o)
			}
		}
		if l.VerifyForm.Asked == "" || l.VerifyForm.Confirm == "" || l.VerifyForm.Reject == "" {
			return nil, fmt.Errorf("%s: verify_form needs asked, confirm and reject", name)
		}
		out[l.Code] = l
	}
	return out, nil
})

// Languages returns every language, by code.
func Languages() (map[string]Language, error) { return languages() }

// LanguageCodes returns the codes of every language, sorted.
func LanguageCodes() ([]string, error) {
	ls, err := languages()
	if err != nil {
		return nil, err
	}
	codes := make([]string, 0, len(ls))
	for c := range ls {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes, nil
}
