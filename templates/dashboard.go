package templates

import "embed"

// Dashboard holds the DPO dashboard: its pages (dashboard/*.html, html/template files that
// each define "content" inside the shared dashboard/layout.html) and its static files
// (dashboard/static: the stylesheet, a few lines of script and the vendored htmx, whose
// version and licence dashboard/static/README.md records). Package dashboard parses them
// once at start.
//
//go:embed dashboard/*.html dashboard/static/*.css dashboard/static/*.js
var Dashboard embed.FS
