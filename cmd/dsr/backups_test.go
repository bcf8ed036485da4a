package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/internal/demo"
	"dsr/internal/testkit/pgtest"
)

// replayResult is what `dsr backups replay` prints.
type replayResult struct {
	Tombstones     int `json:"tombstones"`
	Reapplied      int `json:"reapplied"`
	AlreadyApplied int `json:"already_applied"`
	NotFound       int `json:"not_found"`
}

// TestBackupReplayAfterRestore erases a subject through the API, restores the chat store
// from a pg_dump taken before the erasure, and checks that `dsr backups replay` erases the
// subject again, leaving no trace of their email, and that a second replay does nothing.
func TestBackupReplayAfterRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dsr serve and restores a database; skipped in -short mode")
	}
	t.Parallel()
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s (PostgreSQL's client tools) is not installed: %v", tool, err)
		}
	}
	in := newInstall(t)
	tenant := in.seededTenant(50, 500, "--name", "Backup Co")
	subject := demo.UserEmail(2)

	chat, err := sqlx.Open("postgres", in.chatURL)
	require.NoError(t, err)
	// Nothing should block the erasure.
	_, err = chat.Exec(`UPDATE conversations SET status = 'closed', closed_at = now()`)
	require.NoError(t, err)
	require.Positive(t, traces(t, chat, subject), "the seeded subject is in the chat store")

	// The backup catalog: the nightly backup of the tenant's region, and a longer-lived one
	// of another region, which does not hold this tenant's data.
	now := time.Now().UTC().Truncate(time.Second)
	expires := now.Add(35 * 24 * time.Hour)
	nightly := []string{"backups", "add", "--id", "eu-nightly-1", "--taken-at", now.Add(-2 * time.Hour).Format(time.RFC3339),
		"--expires-at", expires.Format(time.RFC3339), "--region", "eu"}
	var added struct {
		ID        string    `json:"id"`
		ExpiresAt time.Time `json:"expires_at"`
		Kind      string    `json:"kind"`
	}
	require.NoError(t, json.Unmarshal(in.run(nightly...), &added))
	require.Equal(t, "eu-nightly-1", added.ID)
	require.Equal(t, "full", added.Kind)
	require.True(t, expires.Equal(added.ExpiresAt))
	in.run(nightly...) // the same entry again is no error
	in.run("backups", "add", "--id", "us-weekly-1", "--taken-at", now.Add(-time.Hour).Format(time.RFC3339),
		"--expires-at", now.Add(400*24*time.Hour).Format(time.RFC3339), "--region", "us", "--kind", "snapshot")
	conflicting := append(append([]string(nil), nightly[:6]...), "--expires-at", now.Add(time.Hour).Format(time.RFC3339), "--region", "eu")
	out, code := in.runFail(conflicting...)
	require.Equal(t, 1, code)
	require.Contains(t, out, "already in the catalog")
	var list []struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(in.run("backups", "list"), &list))
	require.Len(t, list, 2)

	// The backup an operator will restore from, taken before the erasure.
	dump := filepath.Join(t.TempDir(), "chat.dump")
	start := time.Now()
	runTool(t, "pg_dump", "-Fc", "-f", dump, "-d", in.chatURL)
	t.Logf("pg_dump: %s", time.Since(start).Round(time.Millisecond))
	since := time.Now().UTC().Add(-time.Second).Format(time.RFC3339)

	serve := in.serve()
	id := in.submit(tenant.APIKey, `{"type":"erasure","erasure_scope":"full","subject":{"email":"`+subject+`"}}`)
	res := in.waitCompleted(tenant.APIKey, id)
	var backupsOutcome *connectorOutcome
	for i, c := range res.Connectors {
		if c.Connector == "backups" {
			backupsOutcome = &res.Connectors[i]
		}
	}
	require.NotNil(t, backupsOutcome, "the erasure went to the backups connector: %+v", res.Connectors)
	require.Equal(t, map[string]int64{"tombstones": 1}, backupsOutcome.Rows)
	require.NotNil(t, backupsOutcome.RetainedUntil)
	require.True(t, expires.Equal(*backupsOutcome.RetainedUntil), "retained until %s, want the nightly's expiry %s", backupsOutcome.RetainedUntil, expires)
	require.Zero(t, traces(t, chat, subject), "the erasure removed the subject")
	require.NotEmpty(t, res.Recipients, "the Art. 19 ledger names the recipients (the default registry's hosting provider)")
	for _, r := range res.Recipients {
		require.NotEmpty(t, r.Name)
		require.Contains(t, []string{"notified", "confirmed", "failed", "exempt"}, r.Status)
	}

	// Restore the chat store from the dump, as an operator would: dsr stopped (nothing
	// writes meanwhile, and the database can be dropped), the database made anew.
	require.NoError(t, serve.Process.Signal(syscall.SIGTERM))
	_ = serve.Wait()
	require.NoError(t, chat.Close())
	start = time.Now()
	restore(t, in.chatURL, dump)
	t.Logf("drop, create and pg_restore: %s", time.Since(start).Round(time.Millisecond))
	chat, err = sqlx.Open("postgres", in.chatURL)
	require.NoError(t, err)
	defer chat.Close()
	require.Positive(t, traces(t, chat, subject), "the restore brought the subject back")
	var receipts int
	require.NoError(t, chat.Get(&receipts, `SELECT count(*) FROM dsr_receipts WHERE request_id = $1`, id))
	require.Zero(t, receipts, "the dump predates the erasure's receipt")

	var got replayResult
	start = time.Now()
	require.NoError(t, json.Unmarshal(in.run("backups", "replay", "--since", since), &got))
	t.Logf("dsr backups replay: %s", time.Since(start).Round(time.Millisecond))
	require.Equal(t, replayResult{Tombstones: 1, Reapplied: 1}, got)
	require.Zero(t, traces(t, chat, subject), "no trace of the subject's email is left in the chat store")
	var ends int
	require.NoError(t, chat.Get(&ends, `SELECT count(*) FROM end_users WHERE lower(email) = lower($1)`, subject))
	require.Zero(t, ends)
	require.NoError(t, chat.Get(&receipts, `SELECT count(*) FROM dsr_receipts WHERE request_id = $1 AND action = 'erasure'`, id))
	require.Equal(t, 1, receipts)

	// The re-application is on the record, without the subject's email.
	orch, err := sqlx.Open("postgres", in.orchURL)
	require.NoError(t, err)
	defer orch.Close()
	var events []struct {
		Message string `db:"message"`
		Detail  string `db:"detail"`
	}
	require.NoError(t, orch.Select(&events, `SELECT message, detail::text AS detail FROM request_events WHERE request_id = $1 AND kind = 'backup_replayed'`, id))
	require.Len(t, events, 1)
	require.Contains(t, events[0].Message, "after a restore")
	require.NotContains(t, events[0].Message+events[0].Detail, subject)
	var tombs int
	require.NoError(t, orch.Get(&tombs, `SELECT count(*) FROM tombstones t WHERE request_id = $1 AND strpos(t::text, $2) = 0`, id, subject))
	require.Equal(t, 1, tombs, "one tombstone, without the email")
	var verified struct {
		OK bool `json:"ok"`
	}
	require.NoError(t, json.Unmarshal(in.run("audit", "verify"), &verified))
	require.True(t, verified.OK)

	// A second replay finds nothing to do.
	require.NoError(t, json.Unmarshal(in.run("backups", "replay", "--since", since), &got))
	require.Equal(t, replayResult{Tombstones: 1, NotFound: 1}, got)
	require.NoError(t, orch.Get(&tombs, `SELECT count(*) FROM request_events WHERE request_id = $1 AND kind = 'backup_replayed'`, id))
	require.Equal(t, 1, tombs)
}

// TestBackupsCommandErrors checks the input errors the backups commands report before they
// touch a database.
func TestBackupsCommandErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "add without flags", args: []string{"backups", "add"}, want: "--id, --taken-at, --expires-at and --region are required"},
		{name: "add bad taken at", args: []string{"backups", "add", "--id", "b", "--taken-at", "yesterday", "--expires-at", "2030-01-01T00:00:00Z", "--region", "eu"}, want: `--taken-at "yesterday" is not RFC 3339`},
		{name: "add bad expires at", args: []string{"backups", "add", "--id", "b", "--taken-at", "2030-01-01T00:00:00Z", "--expires-at", "2030-02-30", "--region", "eu"}, want: "--expires-at"},
		{name: "add expiry before taken", args: []string{"backups", "add", "--id", "b", "--taken-at", "2030-01-02T00:00:00Z", "--expires-at", "2030-01-01T00:00:00Z", "--region", "eu"}, want: "expires_at must be after taken_at"},
		{name: "add unknown region", args: []string{"backups", "add", "--id", "b", "--taken-at", "2030-01-01T00:00:00Z", "--expires-at", "2030-02-01T00:00:00Z", "--region", "mars"}, want: `region "mars"`},
		{name: "add unknown kind", args: []string{"backups", "add", "--id", "b", "--taken-at", "2030-01-01T00:00:00Z", "--expires-at", "2030-02-01T00:00:00Z", "--region", "eu", "--kind", "tape"}, want: `kind "tape"`},
		{name: "list with an argument", args: []string{"backups", "list", "--all"}, want: "flag provided but not defined"},
		{name: "replay without since", args: []string{"backups", "replay"}, want: "--since is required"},
		{name: "replay bad since", args: []string{"backups", "replay", "--since", "2026-13-01"}, want: `--since "2026-13-01" is not RFC 3339`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(binary, tc.args...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "%s", out)
			require.Equal(t, 2, exit.ExitCode(), "%s", out)
			require.Contains(t, string(out), tc.want)
		})
	}
}

// runFail runs a dsr command that must fail and returns its output and exit code.
func (in *install) runFail(args ...string) (string, int) {
	in.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = in.env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(in.t, err, &exit, "dsr %s: %s", strings.Join(args, " "), out)
	return string(out), exit.ExitCode()
}

// submit posts a request to the API and returns its id.
func (in *install) submit(key, body string) string {
	in.t.Helper()
	req, err := http.NewRequest("POST", "http://"+in.http+"/v1/requests", strings.NewReader(body))
	require.NoError(in.t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(in.t, err)
	defer resp.Body.Close()
	require.Equal(in.t, http.StatusCreated, resp.StatusCode)
	var v struct {
		ID string `json:"id"`
	}
	require.NoError(in.t, json.NewDecoder(resp.Body).Decode(&v))
	return v.ID
}

type connectorOutcome struct {
	Connector     string           `json:"connector"`
	Rows          map[string]int64 `json:"rows"`
	RetainedUntil *time.Time       `json:"retained_until"`
}

// waitCompleted polls the API until the request is completed and returns its result.
func (in *install) waitCompleted(key, id string) (res struct {
	Connectors []connectorOutcome `json:"connectors"`
	Recipients []struct {
		Name, Kind, Status string
	} `json:"recipients"`
}) {
	in.t.Helper()
	var last string
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		req, err := http.NewRequest("GET", "http://"+in.http+"/v1/requests/"+id, nil)
		require.NoError(in.t, err)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(in.t, err)
		var v struct {
			Status string          `json:"status"`
			Result json.RawMessage `json:"result"`
		}
		err = json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		require.NoError(in.t, err)
		last = v.Status
		if v.Status == "completed" {
			require.NoError(in.t, json.Unmarshal(v.Result, &res))
			return res
		}
		require.NotContains(in.t, []string{"failed", "denied", "canceled"}, v.Status, "request %s: %s", id, v.Result)
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(in.dataDir, "serve.log"))
	in.t.Fatalf("request %s not completed in 90s (last status %q); log:\n%s", id, last, tail(b, 4000))
	return res
}

// traces counts the rows of every table of the chat store whose text holds the string.
func traces(t *testing.T, db *sqlx.DB, s string) int {
	t.Helper()
	var tables []string
	require.NoError(t, db.Select(&tables, `SELECT quote_ident(table_name) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`))
	require.Contains(t, tables, "end_users")
	total := 0
	for _, table := range tables {
		var n int
		require.NoError(t, db.Get(&n, `SELECT count(*) FROM `+table+` x WHERE strpos(lower(x::text), lower($1)) > 0`, s))
		total += n
	}
	return total
}

// restore drops the database of dbURL, creates it again and loads the dump into it.
func restore(t *testing.T, dbURL, dump string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := url.Parse(pgtest.BaseURL())
	require.NoError(t, err)
	admin.Path = "/postgres"
	db, err := sqlx.Open("postgres", admin.String())
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE DATABASE ` + name)
	require.NoError(t, err)
	runTool(t, "pg_restore", "--no-owner", "--exit-on-error", "-d", dbURL, dump)
}

// runTool runs an external tool to completion.
func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		t.Fatalf("%s %s: exit %d: %s", name, strings.Join(args, " "), exit.ExitCode(), out)
	}
	require.NoError(t, err, fmt.Sprintf("%s: %s", name, out))
}
