package dashboard_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/http/dashboard"
	"dsr/internal/domain"
	"dsr/internal/store"
)

// testMail is a mail_messages row as the mailroom would write it.
type testMail struct {
	key, folder, kind, language, note string
	confidence                        float64
	size                              int64
	takenAt                           time.Time
}

// mail inserts a mail_messages row, with a sealed body that must never be shown, and
// returns its id.
func (h *harness) mail(m testMail) string {
	h.t.Helper()
	id, err := store.NewID()
	require.NoError(h.t, err)
	_, err = h.DB.ExecContext(ctx, `INSERT INTO mail_messages (id, message_key, taken_at, size, sha256, raw_sealed,
		folder, kind, language, confidence, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		id, m.key, m.takenAt, m.size, strings.Repeat("ab", 32), []byte("Please erase all data of jane.doe@example.com"),
		m.folder, m.kind, m.language, m.confidence, m.note)
	require.NoError(h.t, err)
	return id
}

// outgoing queues a mail to a subject, sent or not.
func (h *harness) outgoing(key, status string) {
	h.t.Helper()
	id, err := store.NewID()
	require.NoError(h.t, err)
	_, err = h.DB.ExecContext(ctx, `INSERT INTO mail_outbox (id, dedupe_key, kind, language, recipient, status)
		VALUES ($1, $2, 'ack', 'en', 'jane.doe@example.com', $3)`, id, key, status)
	require.NoError(h.t, err)
}

// mailTable returns the HTML of the table with that id, and fails when there is none.
func mailTable(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<table class="table" id="` + id + `">.*?</table>`).FindString(body)
	require.NotEmpty(t, m, "no table %s in the page", id)
	return m
}

// tableRow returns the row of a mail in a table's HTML, "" when it is not there.
func tableRow(table, mailID string) string {
	return regexp.MustCompile(`(?s)<tr data-mail="` + regexp.QuoteMeta(mailID) + `">.*?</tr>`).FindString(table)
}

func TestTriagePage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{configure: func(c *dashboard.Config) { c.MailboxConfigured = true }})
	at := time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		mail testMail
		// table is the table the mail is listed in, "" for none; cells what its row shows.
		table string
		cells []string
	}{
		{name: "low-confidence request", table: "triage-mails",
			mail: testMail{folder: store.FolderTriage, kind: "request", language: "fr", confidence: 0.42, size: 1536,
				note: "a request, with low confidence (0.42)", takenAt: at},
			cells: []string{"2025-03-04 09:30 UTC", "request (low confidence)", ">fr<", "42%",
				"a request, with low confidence (0.42)", "1.5 kB"}},
		{name: "support question", table: "triage-mails",
			mail: testMail{folder: store.FolderTriage, kind: "support", language: "en", confidence: 0.9, size: 800,
				note: "not a data-subject request (support): for the team that answers it", takenAt: at.Add(time.Hour)},
			cells: []string{"2025-03-04 10:30 UTC", "support question", ">en<", "90%",
				"not a data-subject request (support): for the team that answers it", "800 B"}},
		{name: "request in an unknown language", table: "triage-mails",
			mail: testMail{folder: store.FolderTriage, kind: "request", confidence: 0.8, size: 2048,
				note: "a request in a language that could not be told", takenAt: at.Add(2 * time.Hour)},
			cells: []string{"request (language unknown)", ">unknown<", "80%", "a request in a language that could not be told"}},
		{name: "reply to an unknown reference", table: "triage-mails",
			mail: testMail{folder: store.FolderTriage, kind: "reply", language: "de", confidence: 0.95, size: 900,
				note: "a reply to a reference dsr does not know", takenAt: at.Add(3 * time.Hour)},
			cells: []string{"reply (unknown reference)", "95%", "a reply to a reference dsr does not know"}},
		{name: "malformed", table: "quarantine-mails",
			mail: testMail{folder: store.FolderQuarantine, kind: "malformed", size: 300,
				note: "could not be read as mail: malformed header", takenAt: at},
			cells: []string{"unreadable", ">—<", "could not be read as mail: malformed header", "300 B"}},
		{name: "too large", table: "quarantine-mails",
			mail: testMail{folder: store.FolderQuarantine, kind: "too_large", size: 60 << 20,
				note: "62914560 bytes, larger than 26214400: not read; it stays in the quarantine folder", takenAt: at.Add(time.Minute)},
			cells: []string{"too large to read", "60.0 MB", "larger than 26214400: not read"}},
		{name: "processed request", mail: testMail{folder: store.FolderProcessed, kind: "request", language: "en",
			confidence: 0.97, size: 700, note: "processed, not for the page", takenAt: at}},
		{name: "processed newsletter", mail: testMail{folder: store.FolderProcessed, kind: "newsletter", language: "en",
			confidence: 0.9, size: 700, note: "not a request: newsletter", takenAt: at}},
	}
	ids := make([]string, len(tests))
	for i, tt := range tests {
		tt.mail.key = fmt.Sprintf("msgid-%d.secret@sender.example", i)
		ids[i] = h.mail(tt.mail)
	}
	h.outgoing("case:1:ack", "pending")
	h.outgoing("case:1:verify", "pending")
	h.outgoing("case:2:ack", "sent")

	b := h.browser()
	b.login(h.user(domain.RoleViewer))
	p := b.get("/triage")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, `id="count-processed">2<`)
	require.Contains(t, p.Body, `id="count-triage">4<`)
	require.Contains(t, p.Body, `id="count-quarantine">2<`)
	require.Contains(t, p.Body, `id="count-pending">2<`)
	require.Contains(t, p.Body, "retried until delivered")
	require.Contains(t, p.Body, "<code>dsr/triage</code> and <code>dsr/quarantine</code>")
	require.NotContains(t, p.Body, "not read yet")

	tables := map[string]string{"triage-mails": mailTable(t, p.Body, "triage-mails"),
		"quarantine-mails": mailTable(t, p.Body, "quarantine-mails")}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, table := range tables {
				row := tableRow(table, ids[i])
				if name != tt.table {
					require.Empty(t, row, "listed in %s", name)
					continue
				}
				require.NotEmpty(t, row, "not listed in %s", name)
				for _, cell := range tt.cells {
					require.Contains(t, row, cell)
				}
			}
			if tt.table == "" {
				require.NotContains(t, p.Body, ids[i])
				require.NotContains(t, p.Body, tt.mail.note)
			}
		})
	}

	// Newest first.
	triage := tables["triage-mails"]
	require.Less(t, strings.Index(triage, ids[3]), strings.Index(triage, ids[2]))
	require.Less(t, strings.Index(triage, ids[2]), strings.Index(triage, ids[1]))
	require.Less(t, strings.Index(triage, ids[1]), strings.Index(triage, ids[0]))

	// Nothing of a mail itself: not its Message-ID, not its body, not whom it is about.
	require.NotContains(t, p.Body, "msgid-")
	require.NotContains(t, p.Body, "secret@sender.example")
	require.NotContains(t, p.Body, "jane.doe")
	require.NotContains(t, p.Body, "Please erase")
	require.NotContains(t, p.Body, strings.Repeat("ab", 32))
	require.NotContains(t, p.Body, "Nothing here")
}

func TestTriagePageEmptyOrNoMailbox(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		configured bool
		in, out    []string
	}{
		{name: "no mailbox", in: []string{"No mailbox is configured (IMAP_URL)", `href="/">queue</a>`},
			out: []string{"<table", "not read yet", "count-processed"}},
		{name: "mailbox, no mail", configured: true,
			in: []string{`id="count-processed">0<`, `id="count-triage">0<`, `id="count-quarantine">0<`, `id="count-pending">0<`,
				"all sent", "Nothing here: no mail is waiting for a person.", "Nothing here: every mail could be read."},
			out: []string{"No mailbox is configured", "retried until delivered", "data-mail="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, options{configure: func(c *dashboard.Config) { c.MailboxConfigured = tt.configured }})
			b := h.browser()
			b.login(h.user(domain.RoleViewer))
			p := b.get("/triage")
			require.Equal(t, http.StatusOK, p.Status)
			for _, s := range tt.in {
				require.Contains(t, p.Body, s)
			}
			for _, s := range tt.out {
				require.NotContains(t, p.Body, s)
			}
		})
	}
}
