// Package templates holds every text people read, embedded: the mail to data subjects in
// each language (mail/subject), each language's words (lang), the mail to operators and
// vendors (mail/*.txt), the subjects' and the dashboard's pages, the Art. 15(1) facts that
// go into every access package, and the default sub-processor registry. They are parsed
// once at start.
package templates

import (
	"embed"
	"encoding/json"
	"fmt"
)

//go:embed access_facts.json subprocessors.json
var files embed.FS

// DefaultSubprocessors is the sub-processor registry used when DSR_SUBPROCESSORS_FILE is
// not set (JSON; see package subprocessors).
func DefaultSubprocessors() ([]byte, error) { return files.ReadFile("subprocessors.json") }

// OperatorMail holds the English mail to the people who run dsr and to vendors, one
// text/template each: mail/<name>.txt, its first line "Subject: ...", a blank line, then
// the body. Package letters parses them once.
//
//go:embed mail/*.txt
var OperatorMail embed.FS

// AccessFacts are the facts Art. 15(1)(a)-(h) GDPR requires in an answer to an access
// request, beside the data itself.
type AccessFacts struct {
	Purposes          []string `json:"purposes"`
	Categories        []string `json:"categories"`
	Recipients        []string `json:"recipients"`
	ThirdCountries    string   `json:"third_countries"`
	Retention         string   `json:"retention"`
	Source            string   `json:"source"`
	Rights            []string `json:"rights"`
	Complaint         string   `json:"complaint"`
	AutomatedDecision string   `json:"automated_decision_making"`
}

// LoadAccessFacts returns the embedded Art. 15(1) facts.
func LoadAccessFacts() (AccessFacts, error) {
	b, err := files.ReadFile("access_facts.json")
	if err != nil {
		return AccessFacts{}, fmt.Errorf("read access facts: %w", err)
	}
	var f AccessFacts
	if err := json.Unmarshal(b, &f); err != nil {
		return AccessFacts{}, fmt.Errorf("parse access facts: %w", err)
	}
	return f, nil
}
