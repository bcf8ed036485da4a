// Package templates holds dsr's embedded texts: the Art. 15(1) facts that go into every access
// package, and (as they come) mail, page and report templates. They are parsed once at start.
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

// DPOAlarm is the text/template of the mail that tells the DPO about a clock alarm.
//
//go:embed mail/dpo_alarm.txt
var DPOAlarm string

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
