package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
)

// badBody is a body the API refuses, with the status and a word of the message (the
// field's path where there is one).
type badBody struct {
	name   string
	body   string
	status int
	want   string
}

// subjectBody is a create body for an access request of email (JSON-escaped by the caller).
func subjectBody(email string) string {
	return `{"type":"access","subject":{"email":"` + email + `"}}`
}

func rectifyBody(field, value string) string {
	return `{"type":"rectification","subject":{"email":"a@b.eu"},"rectification":{"` + field + `":"` + value + `"}}`
}

func referenceBody(ref string) string {
	return `{"type":"access","subject":{"email":"a@b.eu"},"reference":"` + ref + `"}`
}

var badCreateBodies = []badBody{
	// Duplicates, key case, unknown fields: 400 with the path.
	{"duplicate type", `{"type":"access","type":"erasure","subject":{"email":"a@b.eu"}}`, 400, "type: the key appears twice"},
	{"duplicate email", `{"type":"access","subject":{"email":"a@b.eu","email":"c@d.eu"}}`, 400, "subject.email: the key appears twice"},
	{"duplicate subject", `{"type":"access","subject":{"email":"a@b.eu"},"subject":{"email":"c@d.eu"}}`, 400, "subject: the key appears twice"},
	{"duplicate rectification field", `{"type":"rectification","subject":{"email":"a@b.eu"},"rectification":{"name":"A","name":"B"}}`, 400, "rectification.name: the key appears twice"},
	{"key case TYPE", `{"TYPE":"erasure","subject":{"email":"a@b.eu"}}`, 400, "TYPE: unknown field; keys are case-sensitive"},
	{"key case Subject", `{"type":"access","Subject":{"email":"a@b.eu"}}`, 400, "Subject: unknown field; keys are case-sensitive"},
	{"key case EMAIL", `{"type":"access","subject":{"EMAIL":"a@b.eu"}}`, 400, "subject.EMAIL"},
	{"key case scope", `{"type":"erasure","subject":{"email":"a@b.eu"},"Erasure_Scope":"full"}`, 400, "Erasure_Scope"},
	{"key case after the real key", `{"type":"access","Type":"erasure","subject":{"email":"a@b.eu"}}`, 400, "Type: unknown field"},
	{"unknown field", `{"type":"access","subject":{"email":"a@b.eu"},"colour":"red"}`, 400, "colour: unknown field"},
	{"unknown nested field", `{"type":"access","subject":{"email":"a@b.eu","name":"Jane"}}`, 400, "subject.name: unknown field"},
	// Null where a value is needed.
	{"null rectification value", `{"type":"rectification","subject":{"email":"a@b.eu"},"rectification":{"name":null}}`, 400, "rectification.name: null"},
	{"null type", `{"type":null,"subject":{"email":"a@b.eu"}}`, 400, "type: null"},
	{"null subject", `{"type":"access","subject":null}`, 400, "subject: null"},
	{"null email", `{"type":"access","subject":{"email":null}}`, 400, "subject.email: null"},
	{"null purposes", `{"type":"objection","subject":{"email":"a@b.eu"},"objection_purposes":null}`, 400, "objection_purposes: null"},
	{"null purpose", `{"type":"objection","subject":{"email":"a@b.eu"},"objection_purposes":[null]}`, 400, "objection_purposes[0]: null"},
	{"null reference", `{"type":"access","subject":{"email":"a@b.eu"},"reference":null}`, 400, "reference: null"},
	{"null rectification", `{"type":"rectification","subject":{"email":"a@b.eu"},"rectification":null}`, 400, "rectification: null"},
	// Wrong JSON types.
	{"number type", `{"type":1,"subject":{"email":"a@b.eu"}}`, 400, "type: a JSON number"},
	{"string subject", `{"type":"access","subject":"a@b.eu"}`, 400, "subject: a JSON string"},
	{"number email", `{"type":"access","subject":{"email":42}}`, 400, "subject.email: a JSON number"},
	{"array rectification", `{"type":"rectification","subject":{"email":"a@b.eu"},"rectification":["name"]}`, 400, "rectification: a JSON array"},
	{"number rectification value", `{"type":"rectification","subject":{"email":"a@b.eu"},"rectification":{"phone":33123}}`, 400, "rectification.phone: a JSON number"},
	{"object rectification value", `{"type":"rectification","subject":{"email":"a@b.eu"},"rectification":{"name":{"first":"A"}}}`, 400, "rectification.name: a JSON object"},
	{"string purposes", `{"type":"objection","subject":{"email":"a@b.eu"},"objection_purposes":"marketing"}`, 400, "objection_purposes: a JSON string"},
	{"number purpose", `{"type":"objection","subject":{"email":"a@b.eu"},"objection_purposes":["marketing",1]}`, 400, "objection_purposes[1]: a JSON number"},
	{"bool scope", `{"type":"erasure","subject":{"email":"a@b.eu"},"erasure_scope":true}`, 400, "erasure_scope: a JSON boolean"},
	{"array body", `[{"type":"access"}]`, 400, "body: a JSON array"},
	{"string body", `"access"`, 400, "body: a JSON string"},
	// Not one JSON value.
	{"trailing object", subjectBody("a@b.eu") + `{"type":"erasure"}`, 400, "unexpected data after the JSON value"},
	{"trailing garbage", subjectBody("a@b.eu") + ` x`, 400, "unexpected data after the JSON value"},
	{"truncated", `{"type":"access","subject":{"email":"a@b.eu"}`, 400, "not valid JSON"},
	{"not json", `{`, 400, "not valid JSON"},
	{"single quotes", `{'type':'access'}`, 400, "not valid JSON"},
	{"empty", ``, 400, "empty"},
	{"only space", "  \n", 400, "empty"},
	// Too large: 413 with the limit.
	{"too large reference", referenceBody(strings.Repeat("r", 70<<10)), 413, "64 KiB"},
	{"too large padding", subjectBody("a@b.eu") + strings.Repeat(" ", 65<<10), 413, "64 KiB"},
	// Encoding: 422 before anything is decoded.
	{"raw NUL in reference", referenceBody("a\x00b"), 422, "NUL"},
	{"escaped NUL in reference", referenceBody(`a\u0000b`), 422, "NUL"},
	{"escaped NUL in rectification", rectifyBody("name", `Jane\u0000`), 422, "NUL"},
	{"escaped NUL in a key", `{"type":"access","subject":{"email":"a@b.eu"},"refer\u0000ence":"x"}`, 422, "NUL"},
	{"invalid UTF-8 in email", subjectBody("a\xff@b.eu"), 422, "UTF-8"},
	{"invalid UTF-8 in reference", referenceBody("\xc3("), 422, "UTF-8"},
	{"lone surrogate", referenceBody(`\ud800`), 422, "surrogate"},
	// Emails a mail server would not take: 422 naming subject.email.
	{"bare host", subjectBody("a@b"), 422, "subject.email"},
	{"localhost", subjectBody("a@localhost"), 422, "subject.email"},
	{"under .localhost", subjectBody("a@mail.localhost"), 422, "subject.email"},
	{"IP literal", subjectBody("a@[127.0.0.1]"), 422, "subject.email"},
	{"IP as domain", subjectBody("a@127.0.0.1"), 422, "subject.email"},
	{"leading RLO escaped", subjectBody(`\u202ea@b.eu`), 422, "subject.email"},
	{"leading RLO raw", subjectBody("\u202ea@b.eu"), 422, "subject.email"},
	{"310-char local part", subjectBody(strings.Repeat("l", 310) + "@example.com"), 422, "subject.email"},
	{"65-char local part", subjectBody(strings.Repeat("l", 65) + "@example.com"), 422, "subject.email"},
	{"control char", subjectBody(`a\u0007@b.eu`), 422, "subject.email"},
	{"display name", subjectBody("Jane <a@b.eu>"), 422, "subject.email"},
	{"quoted local", subjectBody(`\"a b\"@b.eu`), 422, "subject.email"},
	{"double dot", subjectBody("a..b@b.eu"), 422, "subject.email"},
	{"trailing dot", subjectBody("a@b.eu."), 422, "subject.email"},
	{"underscore domain", subjectBody("a@b_c.eu"), 422, "subject.email"},
	{"empty email", subjectBody(""), 422, "subject.email"},
	{"no email", `{"type":"access","subject":{}}`, 422, "subject.email"},
	// Rectification values by field.
	{"javascript avatar", rectifyBody("avatar_url", "javascript:alert(1)"), 422, "rectification.avatar_url"},
	{"data avatar", rectifyBody("avatar_url", "data:text/html,x"), 422, "rectification.avatar_url"},
	{"relative avatar", rectifyBody("avatar_url", "/img/a.png"), 422, "rectification.avatar_url"},
	{"avatar with credentials", rectifyBody("avatar_url", "https://u:p@cdn.example.com/a.png"), 422, "rectification.avatar_url"},
	{"path locale", rectifyBody("locale", "../../etc/passwd"), 422, "rectification.locale"},
	{"word locale", rectifyBody("locale", "english"), 422, "rectification.locale"},
	{"phone letters", rectifyBody("phone", "call me maybe"), 422, "rectification.phone"},
	{"phone too few digits", rectifyBody("phone", "12"), 422, "rectification.phone"},
	{"rectified email localhost", rectifyBody("email", "a@localhost"), 422, "rectification.email"},
	{"empty name", rectifyBody("name", ""), 422, "rectification.name"},
	{"blank name", rectifyBody("name", "   "), 422, "rectification.name"},
	{"bidi name", rectifyBody("name", `\u202eevil`), 422, "rectification.name"},
	{"isolate display name", rectifyBody("display_name", `a\u2066b`), 422, "rectification.display_name"},
	{"control display name", rectifyBody("display_name", `a\u0001b`), 422, "rectification.display_name"},
	{"newline name", rectifyBody("name", `a\nb`), 422, "rectification.name"},
	{"long name", rectifyBody("name", strings.Repeat("n", 1001)), 422, "rectification.name"},
	{"unknown rectification field", rectifyBody("shoe_size", "42"), 422, "rectification.shoe_size"},
	{"no rectification fields", `{"type":"rectification","subject":{"email":"a@b.eu"},"rectification":{}}`, 422, "rectification"},
	{"rectification on access", `{"type":"access","subject":{"email":"a@b.eu"},"rectification":{"name":"x"}}`, 422, "rectification"},
	// Reference and the rest.
	{"bidi reference", referenceBody(`\u202eTNEMEERGA`), 422, "reference"},
	{"newline reference", referenceBody(`a\nb`), 422, "reference"},
	{"long reference", referenceBody(strings.Repeat("r", 201)), 422, "reference"},
	{"unknown type", `{"type":"delete","subject":{"email":"a@b.eu"}}`, 422, "type must be one of"},
	{"type case", `{"type":"Access","subject":{"email":"a@b.eu"}}`, 422, "type must be one of"},
	{"bad scope", `{"type":"erasure","subject":{"email":"a@b.eu"},"erasure_scope":"some"}`, 422, "erasure_scope"},
	{"bad purpose", `{"type":"objection","subject":{"email":"a@b.eu"},"objection_purposes":["sales"]}`, 422, "objection_purposes"},
}

var badDecisionBodies = []badBody{
	{"duplicate reason", `{"reason":"a","reason":"b"}`, 400, "reason: the key appears twice"},
	{"key case", `{"Reason":"a"}`, 400, "Reason: unknown field; keys are case-sensitive"},
	{"unknown field", `{"reason":"a","note":"b"}`, 400, "note: unknown field"},
	{"null reason", `{"reason":null}`, 400, "reason: null"},
	{"number reason", `{"reason":1}`, 400, "reason: a JSON number"},
	{"array reason", `{"reason":["a"]}`, 400, "reason: a JSON array"},
	{"array body", `["a"]`, 400, "body: a JSON array"},
	{"string body", `"a"`, 400, "body: a JSON string"},
	{"null body", `null`, 400, "body: null"},
	{"trailing", `{"reason":"a"}{"reason":"b"}`, 400, "unexpected data"},
	{"not json", `{"reason":`, 400, "not valid JSON"},
	{"too large", `{"reason":"` + strings.Repeat("r", 17<<10) + `"}`, 413, "16 KiB"},
	{"raw NUL", "{\"reason\":\"a\x00\"}", 422, "NUL"},
	{"escaped NUL", `{"reason":"a\u0000"}`, 422, "NUL"},
	{"invalid UTF-8", "{\"reason\":\"\xfe\"}", 422, "UTF-8"},
	{"lone surrogate", `{"reason":"\udfff"}`, 422, "surrogate"},
	{"bidi override", `{"reason":"\u202eevil"}`, 422, "reason contains a bidirectional"},
	{"bidi isolate", `{"reason":"a\u2067b"}`, 422, "reason contains a bidirectional"},
	{"escape char", `{"reason":"a\u001b[31mb"}`, 422, "reason contains a control"},
	{"raw bell", "{\"reason\":\"a\u0007\"}", 422, "contains a control character (U+0007"},
	{"too long", `{"reason":"` + strings.Repeat("é", 2001) + `"}`, 422, "reason is longer than 2000"},
}

var actionRoutes = []string{"cancel", "approve", "deny", "extend", "pause", "resume"}

func requireRefused(t *testing.T, r response, status int, want string) {
	t.Helper()
	require.Equal(t, status, r.Status, "body: %s", r.Body)
	code, msg := r.errorCode(t)
	require.NotEmpty(t, code)
	require.Contains(t, msg, want)
}

// TestStrictInput sends the bad bodies of the tables to the routes that read them, odd
// query strings to the list and odd ids to every request route: each gets the 4xx it
// should, none a 5xx, and nothing is stored or changed.
func TestStrictInput(t *testing.T) {
	t.Parallel()
	env, c := setup(t)

	// A live request (waiting on the subject's open conversations) and a final one.
	r := c.do("POST", "/v1/requests", `{"type":"erasure","subject":{"email":"visitor1@example.com"}}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	live := r.json(t)["id"].(string)
	r = c.do("POST", "/v1/requests", `{"type":"erasure","subject":{"email":"visitor2@example.com"},"erasure_scope":"profile"}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	final := r.json(t)["id"].(string)
	env.WaitStatus(t, live, domain.StatusWaiting)
	env.WaitStatus(t, final, domain.StatusCompleted)
	liveBefore := c.do("GET", "/v1/requests/"+live, "").json(t)

	t.Run("create", func(t *testing.T) {
		for _, tt := range badCreateBodies {
			r := c.do("POST", "/v1/requests", tt.body)
			if tt.body == "" {
				r = c.do("POST", "/v1/requests", "", "Content-Type", "application/json")
			}
			t.Run(tt.name, func(t *testing.T) { requireRefused(t, r, tt.status, tt.want) })
		}
		t.Logf("bad create bodies: %d", len(badCreateBodies))
	})

	t.Run("decisions", func(t *testing.T) {
		n := 0
		for _, route := range actionRoutes {
			for _, tt := range badDecisionBodies {
				r := c.do("POST", "/v1/requests/"+live+"/"+route, tt.body)
				t.Run(route+"/"+tt.name, func(t *testing.T) { requireRefused(t, r, tt.status, tt.want) })
				n++
			}
		}
		t.Logf("bad decision bodies: %d on each of %d routes, %d in all", len(badDecisionBodies), len(actionRoutes), n)
	})

	t.Run("no 5xx", func(t *testing.T) {
		var all []badBody
		all = append(all, badCreateBodies...)
		all = append(all, badDecisionBodies...)
		n := 0
		for _, tt := range all {
			paths := []string{"/v1/requests"}
			for _, route := range actionRoutes {
				// The final request: a body that a route would take meets 409, not a change.
				paths = append(paths, "/v1/requests/"+final+"/"+route)
			}
			for _, p := range paths {
				r := c.do("POST", p, tt.body)
				require.Less(t, r.Status, 500, "%s %s: %s", p, tt.name, r.Body)
				require.GreaterOrEqual(t, r.Status, 400, "%s %s: %s", p, tt.name, r.Body)
				n++
			}
		}
		queries := []string{
			"?limit=-1", "?limit=0x10", "?limit=99999999999999999999", "?limit=%00", "?status=%00", "?status=COMPLETED",
			"?type=%ff", "?type=access%00", "?cursor=urn:uuid:" + live, "?cursor=" + strings.ToUpper(live), "?cursor=%00",
			"?cursor=" + live + "%0A", "?limit=1&limit=x", "?status[]=completed", "?%zz", "?cursor=" + strings.Repeat("f", 5000),
		}
		for _, q := range queries {
			r := c.do("GET", "/v1/requests"+q, "")
			require.Less(t, r.Status, 500, "%s: %s", q, r.Body)
			n++
		}
		t.Logf("bad inputs thrown at body routes and the list: %d bodies x 7 routes + %d query strings = %d calls", len(all), len(queries), n)
	})

	t.Run("ids", func(t *testing.T) {
		spellings := []string{
			"urn:uuid:" + live, strings.ToUpper(live), "{" + live + "}", strings.ReplaceAll(live, "-", ""),
			url.PathEscape(live + " "), url.PathEscape(live + "\n"), live + "0", live[:35], live + "%00",
			strings.Repeat("0", 200), "not-an-id",
		}
		routes := []struct{ method, suffix, body string }{
			{"GET", "", ""}, {"GET", "/package", ""}, {"GET", "/evidence", ""},
		}
		for _, a := range actionRoutes {
			routes = append(routes, struct{ method, suffix, body string }{"POST", "/" + a, `{"reason":"checking ids"}`})
		}
		n := 0
		for _, id := range spellings {
			for _, rt := range routes {
				r := c.do(rt.method, "/v1/requests/"+id+rt.suffix, rt.body)
				require.Equal(t, http.StatusNotFound, r.Status, "%s %s: %s", rt.method, id+rt.suffix, r.Body)
				code, _ := r.errorCode(t)
				require.Equal(t, "not_found", code)
				n++
			}
		}
		t.Logf("non-canonical ids: %d spellings x %d routes = %d calls", len(spellings), len(routes), n)
	})

	// Nothing was stored, and the live request is as it was: not paused, no new event.
	r = c.do("GET", "/v1/requests", "")
	require.Equal(t, http.StatusOK, r.Status)
	require.Len(t, r.json(t)["requests"], 2)
	liveAfter := c.do("GET", "/v1/requests/"+live, "").json(t)
	require.Equal(t, false, liveAfter["clock"].(map[string]any)["paused"])
	require.Equal(t, liveBefore["status"], liveAfter["status"])
	require.Len(t, liveAfter["events"], len(liveBefore["events"].([]any)))

	// Good input still works, in its canonical form.
	r = c.do("POST", "/v1/requests", `{"type":"rectification","subject":{"email":" visitor3@example.com "},
		"rectification":{"locale":"pt_br","avatar_url":"https://cdn.example.com/a.png","phone":"+33 1 23 45 67 89","name":"Zoë Ærø"},
		"reference":"ticket 42 — ünïcode"}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	got := r.json(t)
	require.Equal(t, "visitor3@example.com", got["subject"].(map[string]any)["email"])
	require.Equal(t, []any{"avatar_url", "locale", "name", "phone"}, got["rectification_fields"])
	stored, err := env.Store.GetRequest(t.Context(), "", got["id"].(string))
	require.NoError(t, err)
	require.Equal(t, "pt-BR", stored.Params.Rectification["locale"])
	r = c.do("POST", "/v1/requests/"+live+"/pause", "{\"reason\":\"which of two accounts?\\nline two\\ttab\"}")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, true, r.json(t)["clock"].(map[string]any)["paused"])
}
