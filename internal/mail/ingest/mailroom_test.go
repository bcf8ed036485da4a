package ingest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/mail/classify"
	"dsr/internal/mail/imap"
	"dsr/internal/mail/ingest"
	"dsr/internal/mail/smtp"
	"dsr/internal/store"
	"dsr/internal/testkit"
	"dsr/internal/testkit/imaptest"
	"dsr/internal/testkit/smtptest"
	"dsr/internal/testkit/testenv"
	"dsr/workflows"
)

// label is one row of the corpus manifest.
type label struct {
	file, types, email, language string
	request                      bool
}

func manifest(t *testing.T) []label {
	t.Helper()
	f, err := os.Open(filepath.Join(testkit.Shared(t, "fixtures", "mail"), "manifest.tsv"))
	require.NoError(t, err, "the shared fixtures sit beside the repository")
	defer f.Close()
	var out []label
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		require.Len(t, c, 5)
		out = append(out, label{file: c[0], request: c[1] == "yes", types: c[2], email: c[3], language: c[4]})
	}
	return out
}

// world is a dsr with a mailbox, an SMTP sink and two tenants whose chat stores hold some
// of the corpus's subjects.
type world struct {
	env    *testenv.Env
	imap   *imaptest.Server
	sink   *smtptest.Server
	acme   store.Tenant
	bistro store.Tenant
}

// held are the subjects the chat stores hold: alice at both tenants.
var held = map[string][]string{
	"alice.martin@example.org":  {"acme", "bistro"},
	"bob.keller@example.net":    {"acme"},
	"elodie.dupre@exemple.fr":   {"bistro"},
	"priya.n@example.com":       {"acme"},
	"grace.h@example.org":       {"acme"},
	"katrin.schulz@beispiel.de": {"bistro"},
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{imap: imaptest.New(t), sink: smtptest.New(t)}
	w.env = testenv.New(t, testenv.Options{SMTPURL: w.sink.URL, IMAPURL: w.imap.URL()})
	w.acme, _ = w.env.Tenant(t, "Acme Shoes")
	w.bistro, _ = w.env.Tenant(t, "Bistro Verde")
	ctx := context.Background()
	for email, tenants := range held {
		for _, name := range tenants {
			tid := w.acme.ID
			if name == "bistro" {
				tid = w.bistro.ID
			}
			// Stored in another case than the mail uses: the lookup ignores case.
			_, err := w.env.Chat.DB.ExecContext(ctx, `INSERT INTO end_users (account_id, email, name) VALUES ($1, $2, 'Visitor')`,
				tid, strings.ToUpper(email[:1])+email[1:])
			require.NoError(t, err)
		}
	}
	return w
}

func (w *world) appendFiles(t *testing.T, files ...string) {
	t.Helper()
	ctx := context.Background()
	c, err := imap.Dial(ctx, w.imap.URL())
	require.NoError(t, err)
	defer c.Close()
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(testkit.Shared(t, "fixtures", "mail"), f))
		require.NoError(t, err)
		require.NoError(t, c.Append(ctx, "INBOX", raw))
	}
}

func (w *world) appendRaw(t *testing.T, raw string) {
	t.Helper()
	ctx := context.Background()
	c, err := imap.Dial(ctx, w.imap.URL())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Append(ctx, "INBOX", []byte(strings.ReplaceAll(raw, "\n", "\r\n"))))
}

func (w *world) count(t *testing.T, folder string) int {
	t.Helper()
	c, err := imap.Dial(context.Background(), w.imap.URL())
	require.NoError(t, err)
	defer c.Close()
	n, err := c.Count(context.Background(), folder)
	require.NoError(t, err)
	return n
}

func (w *world) poll(t *testing.T) ingest.PollResult {
	t.Helper()
	res, err := w.env.Room.Poll(context.Background(), 0, nil)
	require.NoError(t, err)
	return res
}

func (w *world) send(t *testing.T) int {
	t.Helper()
	n, err := w.env.Room.Send(context.Background(), 1000)
	require.NoError(t, err)
	return n
}

func (w *world) caseOf(t *testing.T, email string) store.Case {
	t.Helper()
	var id string
	require.NoError(t, w.env.Orch.DB.Get(&id, `SELECT id FROM mail_cases WHERE subject_email = $1`, email))
	c, err := w.env.Store.GetCase(context.Background(), id)
	require.NoError(t, err)
	return c
}

func (w *world) requestsOf(t *testing.T, c store.Case) []store.Request {
	t.Helper()
	ids, err := w.env.Store.CaseRequests(context.Background(), c.ID)
	require.NoError(t, err)
	var out []store.Request
	for _, id := range ids {
		r, err := w.env.Store.GetRequest(context.Background(), "", id)
		require.NoError(t, err)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TenantID+string(out[i].Type) < out[j].TenantID+string(out[j].Type) })
	return out
}

// mailTo returns the mails the sink got for an address with a subject tag and kind words.
func (w *world) mailTo(t *testing.T, email string, n int) []smtptest.Mail {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got []smtptest.Mail
		for _, m := range w.sink.Mails() {
			if len(m.To) == 1 && strings.EqualFold(m.To[0], email) {
				got = append(got, m)
			}
		}
		if len(got) >= n || time.Now().After(deadline) {
			require.Len(t, got, n, "mails to the subject")
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var linkRe = regexp.MustCompile(`https?://\S+/verify/\S+`)

var formToken = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// answerLink opens the verification link as a browser does, then posts the answer
// ("confirm" or "reject") from the page it shows; it returns the answer's status and page.
// A link whose page asks nothing (verified, closed, unknown) returns that page.
func answerLink(t *testing.T, link, answer string) (int, string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(link)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formToken.FindStringSubmatch(string(b))
	if m == nil {
		return resp.StatusCode, string(b)
	}
	resp, err = c.PostForm(link, url.Values{"form_token": {m[1]}, "answer": {answer}})
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

var codeRe = regexp.MustCompile(`\b\d{6}\b`)

// verifyMail returns the link and code of the subject's verification mail.
func verifyMail(t *testing.T, mails []smtptest.Mail) (link, code string) {
	t.Helper()
	for _, m := range mails {
		if l := linkRe.FindString(m.Body); l != "" {
			return l, codeRe.FindString(m.Body)
		}
	}
	t.Fatalf("no verification mail among %d", len(mails))
	return "", ""
}

// TestCorpusBecomesCases takes the labelled corpus from a real IMAP server: every mail is
// filed, every request opens a case with the right subject, language and rights, the
// subject's controllers get one request per right, and each subject is acknowledged and
// asked to verify in their language. Taking the mail again makes nothing twice.
func TestCorpusBecomesCases(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	labels := manifest(t)
	var files []string
	for _, l := range labels {
		files = append(files, l.file)
	}
	w.appendFiles(t, files...)

	res := w.poll(t)
	require.Equal(t, len(labels), res.Filed)
	require.Equal(t, 0, w.count(t, "INBOX"), "every mail is filed")
	total := w.count(t, "dsr/processed") + w.count(t, "dsr/triage") + w.count(t, "dsr/quarantine")
	require.Equal(t, len(labels), total, "nothing is deleted")

	requests := 0
	for _, l := range labels {
		if !l.request {
			continue
		}
		c := w.caseOf(t, l.email)
		require.Equal(t, l.language, c.Language, l.file)
		require.ElementsMatch(t, strings.Split(l.types, ","), domain.Strings(c.Types), l.file)
		reqs := w.requestsOf(t, c)
		require.Len(t, reqs, len(held[l.email])*len(c.Types), "one request per controller and right: %s", l.file)
		for _, r := range reqs {
			require.Equal(t, domain.SourceMail, r.Source)
			require.Equal(t, l.email, r.SubjectEmail)
			require.Nil(t, r.ClockStartedAt, "the legal clock waits for verification")
			w.env.WaitStatus(t, r.ID, domain.StatusVerifying)
		}
		requests += len(reqs)
	}
	require.Equal(t, 8, requests)
	var cases int
	require.NoError(t, w.env.Orch.DB.Get(&cases, `SELECT count(*) FROM mail_cases`))
	require.Equal(t, 16, cases)

	// Non-requests: auto-replies and bounces are filed as processed; a support question
	// and a reply to an unknown reference go to a person.
	for file, folder := range map[string]string{"v11-en-support.eml": "triage", "v12-en-autoreply.eml": "processed",
		"v13-en-bounce.eml": "processed", "v20-en-confirm-reply.eml": "triage"} {
		var got string
		require.NoError(t, w.env.Orch.DB.Get(&got, `SELECT folder FROM mail_messages WHERE message_key = $1`, key(t, file)))
		require.Equal(t, folder, got, file)
	}

	// Each case: an acknowledgement and a verification mail, in the subject's language.
	sent := w.send(t)
	require.Equal(t, 2*16, sent)
	elodie := w.mailTo(t, "elodie.dupre@exemple.fr", 2)
	ref := w.caseOf(t, "elodie.dupre@exemple.fr").Reference
	for _, m := range elodie {
		require.Contains(t, m.Subject, "["+ref+"]")
	}
	link, code := verifyMail(t, elodie)
	require.NotEmpty(t, code)
	require.Contains(t, link, w.env.Server.URL)
	require.Regexp(t, `(?i)code|lien`, elodie[1].Body)
	require.NotContains(t, strings.ToLower(elodie[0].Body+elodie[1].Body), " the ", "French mail is French")

	// The raw mail is kept sealed, and opens to the bytes received.
	var m store.Mail
	require.NoError(t, w.env.Orch.DB.Get(&m, `SELECT id, raw_sealed FROM mail_messages WHERE message_key = $1`, key(t, "v03-fr-erasure.eml")))
	raw, err := w.env.Keys.Open(m.RawSealed, []byte(m.ID))
	require.NoError(t, err)
	want, _ := os.ReadFile(filepath.Join(testkit.Shared(t, "fixtures", "mail"), "v03-fr-erasure.eml"))
	require.Equal(t, normalize(want), normalize(raw))
	require.NotContains(t, string(m.RawSealed), "elodie")

	// The same mail again (a second delivery): filed, nothing new.
	w.appendFiles(t, "v01-en-access.eml")
	res = w.poll(t)
	require.Equal(t, 1, res.Filed)
	require.NoError(t, w.env.Orch.DB.Get(&cases, `SELECT count(*) FROM mail_cases`))
	require.Equal(t, 16, cases)
	require.Equal(t, 0, w.send(t), "no second acknowledgement")

	// Every sent mail is an event on its requests.
	alice := w.requestsOf(t, w.caseOf(t, "alice.martin@example.org"))
	events, err := w.env.Store.Events(ctx, alice[0].ID)
	require.NoError(t, err)
	var sentKinds []string
	for _, e := range events {
		if e.Kind == "mail_sent" {
			sentKinds = append(sentKinds, e.Message)
		}
	}
	require.Len(t, sentKinds, 2)
}

// key is the message key a corpus file is recorded under: its Message-ID.
func key(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(testkit.Shared(t, "fixtures", "mail"), file))
	require.NoError(t, err)
	defer f.Close()
	m, err := classify.Parse(f, 0)
	require.NoError(t, err)
	require.NotEmpty(t, m.MessageID, file)
	return "id:" + m.MessageID
}

// normalize compares mail across the CRLF that IMAP adds.
func normalize(b []byte) string { return strings.ReplaceAll(string(b), "\r\n", "\n") }

// TestVerificationAndAnswers follows cases to their end: verified by link or by a reply
// with the code, a wrong code counted, "no data held", approval to a completion mail with
// a working signed package link, denial with the reason, and identity documents cut out
// of the kept mail once identity is verified.
func TestVerificationAndAnswers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.appendFiles(t, "v01-en-access.eml", "v02-en-erasure.eml", "v03-fr-erasure.eml", "v05-es-portability.eml", "v18-en-access-id.eml")
	require.Equal(t, 5, w.poll(t).Filed)
	require.Equal(t, 10, w.send(t))

	// Alice verifies by link: both controllers' requests wait for approval, clocks running.
	link, _ := verifyMail(t, w.mailTo(t, "alice.martin@example.org", 2))
	status, body := answerLink(t, link, "confirm")
	require.Equal(t, http.StatusOK, status, body)
	alice := w.caseOf(t, "alice.martin@example.org")
	require.NotNil(t, alice.VerifiedAt)
	reqs := w.requestsOf(t, alice)
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		r = w.env.WaitStatus(t, r.ID, domain.StatusAwaitingApproval)
		require.NotNil(t, r.ClockStartedAt)
		require.NotNil(t, r.LegalDue)
	}
	status, body = answerLink(t, link, "confirm")
	require.Equal(t, http.StatusOK, status, "a second answer is harmless: %s", body)
	resp, err := http.Get(w.env.Server.URL + "/verify/not-a-token")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// "verified" mail with both controllers named and the dates.
	w.send(t)
	verified := w.mailTo(t, "alice.martin@example.org", 3)[2]
	require.Contains(t, verified.Body, "Acme Shoes")
	require.Contains(t, verified.Body, "Bistro Verde")

	// Bob replies with the code: verified.
	_, code := verifyMail(t, w.mailTo(t, "bob.keller@example.net", 2))
	bob := w.caseOf(t, "bob.keller@example.net")
	w.appendRaw(t, fmt.Sprintf(`From: Bob Keller <bob.keller@example.net>
To: privacy@dsr.example
Subject: Re: [%s] Please confirm your request
Message-ID: <reply-bob-1@example.net>
Date: Mon, 30 Nov 2026 10:00:00 +0000
Content-Type: text/plain; charset=utf-8

Here is my code: %s

Bob
`, bob.Reference, code))
	require.Equal(t, 1, w.poll(t).Filed)
	bob = w.caseOf(t, "bob.keller@example.net")
	require.NotNil(t, bob.VerifiedAt)
	require.Equal(t, domain.ActorSubjectByReply, *bob.VerifiedBy)
	bobReq := w.env.WaitStatus(t, w.requestsOf(t, bob)[0].ID, domain.StatusAwaitingApproval)

	// The DPO extends Bob's deadline: he is told the new date and why.
	_, err = w.env.Dispatch.Decide(ctx, bobReq.ID, workflows.UpdateExtend,
		workflows.Decision{Actor: "dpo:ann", Reason: "the request covers several years of conversations"})
	require.NoError(t, err)
	bobReq, err = w.env.Store.GetRequest(ctx, "", bobReq.ID)
	require.NoError(t, err)
	require.NotNil(t, bobReq.ExtendedAt)
	w.send(t)
	var extended smtptest.Mail
	for _, m := range w.mailTo(t, "bob.keller@example.net", 4) {
		require.Contains(t, m.Subject, "["+bob.Reference+"]", "every mail of the case names its one reference")
		if strings.Contains(m.Body, "several years") {
			extended = m
		}
	}
	require.Contains(t, extended.Body, "the request covers several years of conversations")
	require.Contains(t, extended.Body, fmt.Sprintf("%d %s %d", bobReq.ExtendedDue.Day(), bobReq.ExtendedDue.Month(), bobReq.ExtendedDue.Year()))

	// Bob's erasure is approved and done: he is told, with the date the last backup
	// holding his data expires.
	expires := time.Date(2027, 2, 14, 3, 0, 0, 0, time.UTC)
	_, err = w.env.Store.AddBackup(ctx, store.Backup{ID: "nightly-1", TakenAt: time.Now().Add(-time.Hour), ExpiresAt: expires, Region: "eu", Kind: "full"})
	require.NoError(t, err)
	_, err = w.env.Dispatch.Decide(ctx, bobReq.ID, workflows.UpdateApprove, workflows.Decision{Actor: "tenant:acme"})
	require.NoError(t, err)
	w.env.WaitStatus(t, bobReq.ID, domain.StatusCompleted)
	w.send(t)
	bobs := w.mailTo(t, "bob.keller@example.net", 5)
	erased := bobs[len(bobs)-1] // the newest
	require.Contains(t, erased.Subject, "["+bob.Reference+"]")
	require.Contains(t, erased.Body, "14 February 2027", "the subject learns when the last backup copy expires")

	// Elodie replies with a wrong code: counted, not verified.
	elodie := w.caseOf(t, "elodie.dupre@exemple.fr")
	_, right := verifyMail(t, w.mailTo(t, "elodie.dupre@exemple.fr", 2))
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	w.appendRaw(t, fmt.Sprintf(`From: elodie.dupre@exemple.fr
To: privacy@dsr.example
Subject: RE: [%s] confirmation
Message-ID: <reply-elodie-1@exemple.fr>
Content-Type: text/plain; charset=utf-8

Voici le code : %s
`, elodie.Reference, wrong))
	require.Equal(t, 1, w.poll(t).Filed)
	elodie = w.caseOf(t, "elodie.dupre@exemple.fr")
	require.Nil(t, elodie.VerifiedAt)
	require.Equal(t, 1, elodie.Attempts)

	// Lucia is held nowhere: after verification, "no data held", in Spanish.
	lucia := "lucia.fernandez@ejemplo.es"
	link, _ = verifyMail(t, w.mailTo(t, lucia, 2))
	status, body = answerLink(t, link, "confirm")
	require.Equal(t, http.StatusOK, status, body)
	c := w.caseOf(t, lucia)
	require.Equal(t, store.CaseNoData, *c.Outcome)
	w.send(t)
	noData := w.mailTo(t, lucia, 3)[2]
	require.Contains(t, noData.Subject, c.Reference)
	require.Contains(t, noData.Body, lucia)

	// Grace sent her ID card: once verified only its digest is kept.
	grace := w.caseOf(t, "grace.h@example.org")
	msg, err := w.env.Store.GetMail(ctx, grace.MessageID)
	require.NoError(t, err)
	before, err := w.env.Keys.Open(msg.RawSealed, []byte(msg.ID))
	require.NoError(t, err)
	parsed, err := classify.Parse(strings.NewReader(string(before)), 0)
	require.NoError(t, err)
	require.NotEmpty(t, parsed.Attachments, "the fixture carries an identity document")
	link, _ = verifyMail(t, w.mailTo(t, "grace.h@example.org", 2))
	status, body = answerLink(t, link, "confirm")
	require.Equal(t, http.StatusOK, status, body)
	msg, err = w.env.Store.GetMail(ctx, grace.MessageID)
	require.NoError(t, err)
	require.NotNil(t, msg.RedactedAt)
	after, err := w.env.Keys.Open(msg.RawSealed, []byte(msg.ID))
	require.NoError(t, err)
	reparsed, err := classify.Parse(strings.NewReader(string(after)), 0)
	require.NoError(t, err)
	require.Equal(t, parsed.Text, reparsed.Text, "the text stays as evidence")
	var digests []classify.Digest
	require.NoError(t, json.Unmarshal(msg.Attachments, &digests))
	require.Len(t, digests, len(parsed.Attachments))
	require.Equal(t, parsed.Attachments[0].SHA256, digests[0].SHA256)
	for _, a := range reparsed.Attachments {
		require.NotEqual(t, parsed.Attachments[0].SHA256, a.SHA256, "the document itself is gone")
	}

	// Alice's access at Acme approved and completed: a completion mail with a signed link
	// that downloads the package; at Bistro denied: the reason and the right to complain.
	var atAcme, atBistro store.Request
	for _, r := range reqs {
		if r.TenantID == w.acme.ID {
			atAcme = r
		} else {
			atBistro = r
		}
	}
	_, err = w.env.Dispatch.Decide(ctx, atAcme.ID, workflows.UpdateApprove, workflows.Decision{Actor: "tenant:acme"})
	require.NoError(t, err)
	w.env.WaitStatus(t, atAcme.ID, domain.StatusCompleted)
	_, err = w.env.Dispatch.Decide(ctx, atBistro.ID, workflows.UpdateDeny,
		workflows.Decision{Actor: "tenant:bistro", Reason: "we could not match this address to a customer account"})
	require.NoError(t, err)
	w.env.WaitStatus(t, atBistro.ID, domain.StatusDenied)
	w.send(t)
	mails := w.mailTo(t, "alice.martin@example.org", 5)
	var completed, denied smtptest.Mail
	for _, m := range mails[3:] {
		// Both requests of Alice's case carry the case's reference, as her first mails did.
		require.Contains(t, m.Subject, "["+alice.Reference+"]")
		if strings.Contains(m.Body, "we could not match this address") {
			denied = m
		} else {
			completed = m
		}
	}
	require.Contains(t, denied.Body, "we could not match this address to a customer account")
	require.Contains(t, completed.Body, "/download/")
	dl := regexp.MustCompile(`https?://\S+/download/\S+`).FindString(completed.Body)
	require.NotEmpty(t, dl, completed.Body)
	resp, err = http.Get(dl)
	require.NoError(t, err)
	zip, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "PK", string(zip[:2]))
	resp, err = http.Get(strings.Replace(dl, "sig=", "sig=x", 1))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "a forged link downloads nothing")
}

// TestReminderAndExpiry moves the clock: one reminder after three days, then the case
// closes after seven, canceling its requests, and the subject is told.
func TestReminderAndExpiry(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.appendFiles(t, "v14-de-erasure-html.eml")
	require.Equal(t, 1, w.poll(t).Filed)
	require.Equal(t, 2, w.send(t))
	katrin := "katrin.schulz@beispiel.de"
	link, code := verifyMail(t, w.mailTo(t, katrin, 2))
	c := w.caseOf(t, katrin)
	w.env.WaitStatus(t, w.requestsOf(t, c)[0].ID, domain.StatusVerifying)

	start := time.Now()
	w.env.Room.Now = func() time.Time { return start.Add(ingest.RemindAfter + time.Hour) }
	require.NoError(t, w.env.Room.Sweep(ctx))
	require.NoError(t, w.env.Room.Sweep(ctx), "one reminder only")
	require.Equal(t, 1, w.send(t))
	reminder := w.mailTo(t, katrin, 3)[2]
	require.Contains(t, reminder.Body, code, "the reminder repeats the code")
	require.Contains(t, reminder.Body, strings.TrimPrefix(link, w.env.Server.URL))

	w.env.Room.Now = func() time.Time { return start.Add(ingest.VerifyFor + time.Hour) }
	require.NoError(t, w.env.Room.Sweep(ctx))
	c = w.caseOf(t, katrin)
	require.Equal(t, store.CaseExpired, *c.Outcome)
	r := w.env.WaitStatus(t, w.requestsOf(t, c)[0].ID, domain.StatusCanceled)
	require.Contains(t, string(r.Result), "identity not verified")
	require.Equal(t, 1, w.send(t))
	w.mailTo(t, katrin, 4)

	w.env.Room.Now = nil
	resp, err := http.Get(link)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusGone, resp.StatusCode, "the link of a closed case no longer verifies")
}

// TestVerificationLinkNeedsTheSubject: opening the link, as mail scanners do (GET, HEAD,
// no cookies), verifies nothing; an answer not posted from the page is refused; "this was
// not me" cancels the erasure and closes the case as disowned, and the link then verifies
// nothing either.
func TestVerificationLinkNeedsTheSubject(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.appendFiles(t, "v02-en-erasure.eml")
	require.Equal(t, 1, w.poll(t).Filed)
	w.send(t)
	bob := "bob.keller@example.net"
	link, _ := verifyMail(t, w.mailTo(t, bob, 2))

	for range 3 {
		resp, err := http.Get(link)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, string(b), "Did you make this request?")
		require.Contains(t, string(b), "erasure", "the page shows what was asked")
		require.Contains(t, string(b), w.caseOf(t, bob).Reference)
		resp, err = http.Head(link)
		require.NoError(t, err)
		resp.Body.Close()
	}
	require.Nil(t, w.caseOf(t, bob).VerifiedAt, "opening the link verifies nothing")

	// Answers that do not come from the page: no token, a token without its cookie, a
	// token from another origin.
	resp, err := http.PostForm(link, url.Values{"answer": {"confirm"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, err = http.Get(link)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	token := formToken.FindStringSubmatch(string(b))[1]
	resp, err = http.PostForm(link, url.Values{"answer": {"confirm"}, "form_token": {token}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "the token without its cookie")
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}
	resp, err = c.Get(link)
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	req, err := http.NewRequest(http.MethodPost, link, strings.NewReader(url.Values{"answer": {"confirm"},
		"form_token": {formToken.FindStringSubmatch(string(b))[1]}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "an answer posted from another site")
	require.Nil(t, w.caseOf(t, bob).VerifiedAt)

	// "This was not me": the case closes, disowned; nothing is verified afterwards.
	status, page := answerLink(t, link, "reject")
	require.Equal(t, http.StatusOK, status, page)
	require.Contains(t, page, "the request is closed")
	cs := w.caseOf(t, bob)
	require.Nil(t, cs.VerifiedAt)
	require.NotNil(t, cs.ClosedAt)
	require.Equal(t, store.CaseDisowned, *cs.Outcome)
	reqs := w.requestsOf(t, cs)
	require.Len(t, reqs, 1)
	r := w.env.WaitStatus(t, reqs[0].ID, domain.StatusCanceled)
	require.Contains(t, string(r.Result), "did not make this request")
	status, _ = answerLink(t, link, "confirm")
	require.Equal(t, http.StatusGone, status)
	require.Nil(t, w.caseOf(t, bob).VerifiedAt)
}

// TestMailroomWorkflow runs the mailroom as it runs in production: the workflow polls on
// its own, and a verification pokes it to send the next mail at once.
func TestMailroomWorkflow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	require.NoError(t, w.env.Dispatch.EnsureMailroom(ctx, workflows.MailroomInput{Every: time.Hour}))
	require.NoError(t, w.env.Dispatch.EnsureMailroom(ctx, workflows.MailroomInput{Every: time.Hour}), "ensuring twice is fine")
	// The first round ran on an empty mailbox; the next is an hour away, unless poked.
	w.appendFiles(t, "v04-de-access.eml")
	w.env.Dispatch.Poke(ctx)
	link, _ := verifyMail(t, w.mailTo(t, "j.weiss@beispiel.de", 2))
	status, body := answerLink(t, link, "confirm")
	require.Equal(t, http.StatusOK, status, body)
	// No tenant holds this subject: the answer goes out without waiting an hour.
	noData := w.mailTo(t, "j.weiss@beispiel.de", 3)[2]
	require.Contains(t, noData.Subject, w.caseOf(t, "j.weiss@beispiel.de").Reference)
}

// TestFailedSendIsRetried sends through a mail server that is down: the mail stays queued
// with the attempt counted and a later retry time, and goes out once the server is back.
func TestFailedSendIsRetried(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.appendFiles(t, "v07-nl-objection.eml")
	require.Equal(t, 1, w.poll(t).Filed)

	working := w.env.Room.Mailer
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := "smtp://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	w.env.Room.Mailer, err = smtp.New(down, "privacy@dsr.example")
	require.NoError(t, err)
	n, err := w.env.Room.Send(ctx, 100)
	require.NoError(t, err, "a failed send is the queue's business, not an error of the round")
	require.Zero(t, n)
	c := w.caseOf(t, "daan.devries@voorbeeld.nl")
	out, err := w.env.Store.Outbox(ctx, c.ID, "")
	require.NoError(t, err)
	require.Len(t, out, 2)
	for _, o := range out {
		require.Equal(t, "pending", o.Status)
		require.True(t, o.NextAttemptAt.After(time.Now()), "retried later, with backoff")
		if o.Kind != "ack" {
			// The verification mail is not tried before the acknowledgement that announces
			// it is out: it waits behind it.
			require.Zero(t, o.Attempts, o.Kind)
			continue
		}
		require.Equal(t, 1, o.Attempts)
		require.NotNil(t, o.LastError)
		require.NotContains(t, *o.LastError, "daan", "no address in the stored error")
	}
	n, err = w.env.Room.Send(ctx, 100)
	require.NoError(t, err)
	require.Zero(t, n, "not before the retry time")

	w.env.Room.Mailer = working
	w.env.Room.Now = func() time.Time { return time.Now().Add(time.Hour) }
	require.Equal(t, 2, w.send(t))
	mails := w.mailTo(t, "daan.devries@voorbeeld.nl", 2)
	require.Contains(t, mails[0].Subject, c.Reference)
	require.NotRegexp(t, `/verify/`, mails[0].Body, "the acknowledgement comes first")
	require.Regexp(t, `https?://\S+/verify/`, mails[1].Body, "then the verification mail")
}

// TestVendorReplyConfirmsTask files a sub-processor's answer to dsr's mail about a request:
// from the vendor's registered contact and carrying the request's reference, it confirms the
// vendor's task; the same words from anyone else do not.
func TestVendorReplyConfirmsTask(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	now := time.Now()
	r, _, err := w.env.Store.CreateRequest(ctx, store.NewRequest{TenantID: w.acme.ID, Type: "erasure", Source: "api",
		SubjectEmail: "someone@example.com", ReceivedAt: now, ClockStartedAt: &now, TargetDue: now, LegalDue: now, ExtendedDue: now})
	require.NoError(t, err)
	_, err = w.env.Store.OpenTask(ctx, r.ID, "Survey Co", "erasure")
	require.NoError(t, err)
	w.env.Room.Vendors = map[string]string{"privacy@survey.example": "Survey Co"}
	reply := func(from, id string) string {
		return fmt.Sprintf(`From: %s
To: privacy@dsr.example
Subject: RE: [%s] Data-subject request: please erase
Message-ID: <%s@survey.example>
Content-Type: text/plain; charset=utf-8

Done, the contact is deleted.
`, from, domain.Ref(r.ID), id)
	}
	w.appendRaw(t, reply("someone.else@example.net", "v1"))
	require.Equal(t, 1, w.poll(t).Filed)
	task, err := w.env.Store.Task(ctx, r.ID, "Survey Co")
	require.NoError(t, err)
	require.Nil(t, task.DoneAt, "only the vendor's contact confirms")

	w.appendRaw(t, reply("Survey Privacy <privacy@survey.example>", "v2"))
	require.Equal(t, 1, w.poll(t).Filed)
	task, err = w.env.Store.Task(ctx, r.ID, "Survey Co")
	require.NoError(t, err)
	require.NotNil(t, task.DoneAt)
	require.Equal(t, domain.ActorVendorReply, *task.DoneBy)
	events, err := w.env.Store.Events(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, domain.EventRecipientReplied, events[len(events)-1].Kind)
}
