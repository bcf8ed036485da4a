package letters

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"text/template"

	"dsr/templates"
)

// Operator mails, in English, to the people who run dsr and to vendors: their templates
// are templates/mail/<name>.txt.
const (
	DPOAlarm        = "dpo_alarm"
	DPOEscalation   = "dpo_escalation"
	DPOSLAReport    = "dpo_sla_report"
	VendorTask      = "vendor_task"
	SubjectExtended = "subject_extended"
)

var operatorTemplates = sync.OnceValues(func() (*template.Template, error) {
	t := template.New("operator").Option("missingkey=error")
	for _, name := range []string{DPOAlarm, DPOEscalation, DPOSLAReport, VendorTask, SubjectExtended} {
		b, err := templates.OperatorMail.ReadFile("mail/" + name + ".txt")
		if err != nil {
			return nil, fmt.Errorf("operator mail %s: %w", name, err)
		}
		if _, err := t.New(name).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("operator mail %s: %w", name, err)
		}
	}
	return t, nil
})

// Operator renders the operator mail name with data: its subject (the first line,
// "Subject: ...") and its body, as written.
func Operator(name string, data any) (Mail, error) {
	t, err := operatorTemplates()
	if err != nil {
		return Mail{}, err
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return Mail{}, fmt.Errorf("render %s: %w", name, err)
	}
	first, rest, _ := strings.Cut(b.String(), "\n")
	subject, ok := strings.CutPrefix(first, "Subject: ")
	blank, body, _ := strings.Cut(rest, "\n")
	if !ok || strings.TrimSpace(subject) == "" || strings.TrimSpace(blank) != "" {
		return Mail{}, fmt.Errorf("render %s: the mail does not start with a subject line and a blank line", name)
	}
	return Mail{Subject: strings.TrimSpace(subject), Body: body}, nil
}
