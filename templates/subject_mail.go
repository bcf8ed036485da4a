package templates

import "embed"

// SubjectMail holds the mail dsr sends to data subjects, one text/template per kind and
// language: mail/subject/<kind>.<lang>.txt (for example mail/subject/verify.de.txt). Each
// renders to a first line "Subject: ...", a blank line and the plain-text body. Package
// letters parses them once and renders them.
//
//go:embed mail/subject
var SubjectMail embed.FS
