package templates

import _ "embed"

// SubjectPage is the html/template of the pages data subjects see (identity verification).
//
//go:embed pages/subject.html
var SubjectPage string
