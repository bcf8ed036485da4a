package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
)

// TestStrictReasonsAndIDs: a reason with NUL, control or bidi characters is refused with
// a message that says so (not a 500), and an id that is not a canonical UUID is 404 on
// every request route.
func TestStrictReasonsAndIDs(t *testing.T) {
	t.Parallel()
	// No workflow engine: what is refused is refused before it would be asked.
	h := newHarness(t, options{})
	tn := h.tenant("Acme Chat")
	open := h.request(tn, "access", "visitor2@example.com", domain.StatusAwaitingApproval)
	b := h.browser()
	token := b.login(h.user(domain.RoleDPO))

	reasons := []struct{ name, reason, want string }{
		{"NUL", "late\x00", "The reason contains a NUL character"},
		{"escape", "a\x1b[31mred", "The reason contains a control character (U+001B)"},
		{"bell", "a\x07", "The reason contains a control character (U+0007)"},
		{"lone CR", "a\rb", "The reason contains a control character (U+000D)"},
		{"C1", "a\u0085b", "The reason contains a control character (U+0085)"},
		{"override", "\u202eevil", "The reason contains a bidirectional control character (U+202E)"},
		{"isolate", "a\u2066b", "The reason contains a bidirectional control character (U+2066)"},
		{"invalid UTF-8", "a\xffb", "The reason is not valid UTF-8"},
		{"too long", strings.Repeat("r", 2001), "The reason is longer than 2000 characters"},
	}
	actions := []string{"deny", "extend", "pause", "resume", "override", "cancel", "approve"}
	n := 0
	for _, a := range actions {
		for _, tt := range reasons {
			p := b.post("/requests/"+open.ID+"/"+a, url.Values{"csrf_token": {token}, "reason": {tt.reason}})
			require.Equal(t, http.StatusSeeOther, p.Status, "%s %s: %s", a, tt.name, p.Body)
			shown := strings.ReplaceAll(b.get("/requests/"+open.ID).Body, "&#43;", "+") // html/template writes + so
			require.Contains(t, shown, tt.want, "%s %s", a, tt.name)
			n++
		}
	}
	t.Logf("bad reasons: %d on each of %d actions, %d in all", len(reasons), len(actions), n)
	// A reason of several lines (as a browser sends a textarea: CRLF) is fine; with no
	// engine connected it goes as far as asking it.
	p := b.post("/requests/"+open.ID+"/approve", url.Values{"csrf_token": {token}, "reason": {"line one\r\nline two\ttab"}})
	require.Equal(t, http.StatusServiceUnavailable, p.Status)

	id := open.ID
	spellings := []string{
		"urn:uuid:" + id, strings.ToUpper(id), "{" + id + "}", strings.ReplaceAll(id, "-", ""),
		url.PathEscape(id + " "), url.PathEscape(id + "\n"), id + "0", id[:35], strings.Repeat("0", 200),
	}
	type route struct{ method, suffix string }
	routes := []route{{"GET", ""}, {"GET", "/poll"}, {"GET", "/evidence"}, {"GET", "/package"}, {"POST", "/reveal"}}
	for _, a := range actions {
		routes = append(routes, route{"POST", "/" + a})
	}
	n = 0
	for _, s := range spellings {
		for _, rt := range routes {
			var p page
			if rt.method == "GET" {
				p = b.get("/requests/" + s + rt.suffix)
			} else {
				p = b.post("/requests/"+s+rt.suffix, url.Values{"csrf_token": {token}, "reason": {"checking ids"}})
			}
			require.Equal(t, http.StatusNotFound, p.Status, "%s %s", rt.method, s+rt.suffix)
			n++
		}
	}
	t.Logf("non-canonical ids: %d spellings x %d routes = %d calls", len(spellings), len(routes), n)
}
