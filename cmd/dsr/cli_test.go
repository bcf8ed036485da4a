package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"dsr/internal/testkit"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// TestOverrideFromCommandLine blocks an erasure on an open conversation and lets a DPO send
// it ahead with `dsr request override`, against a running `dsr serve`.
func TestOverrideFromCommandLine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dsr serve; skipped in -short mode")
	}
	t.Parallel()
	in := newInstall(t)
	tenant := in.seededTenant(50, 500, "--name", "Override Co")
	in.serve()

	req, _ := http.NewRequest("POST", "http://"+in.http+"/v1/requests",
		strings.NewReader(`{"type":"erasure","erasure_scope":"full","subject":{"email":"visitor1@example.com"}}`))
	req.Header.Set("Authorization", "Bearer "+tenant.APIKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var created struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&created))
	resp.Body.Close()

	orch, err := sqlx.Open("postgres", in.orchURL)
	require.NoError(t, err)
	defer orch.Close()
	status := func() string {
		var s string
		require.NoError(t, orch.Get(&s, `SELECT status FROM requests WHERE id = $1`, created.ID))
		return s
	}
	require.Eventually(t, func() bool { return status() == "waiting" }, 30*time.Second, 100*time.Millisecond)

	// Without a reason: refused before anything is sent.
	cmd := exec.Command(binary, "request", "override", "--id", created.ID)
	cmd.Env = in.env
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "--reason")

	got := in.run("request", "override", "--id", created.ID, "--reason", "conversation abandoned for months", "--actor", "dpo:alice")
	require.Contains(t, string(got), "blockers overridden")
	require.Eventually(t, func() bool { return status() == "completed" }, 30*time.Second, 100*time.Millisecond)

	var actor, message string
	require.NoError(t, orch.QueryRow(`SELECT actor, message FROM request_events WHERE request_id = $1 AND kind = 'override'`, created.ID).Scan(&actor, &message))
	require.Equal(t, "dpo:alice", actor)
	require.Contains(t, message, "conversation abandoned")

	// A completed request cannot be overridden.
	cmd = exec.Command(binary, "request", "override", "--id", created.ID, "--reason", "again")
	cmd.Env = in.env
	out, err = cmd.CombinedOutput()
	require.Error(t, err)
	require.NotEmpty(t, out)
}

func TestCommandLineErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		env      []string
		exitCode int
		want     string
	}{
		{name: "unknown command", args: []string{"frobnicate"}, exitCode: 2, want: "unknown command"},
		{name: "tenant without name", args: []string{"tenant", "create"}, exitCode: 2, want: "--name is required"},
		{name: "tenant bad region", args: []string{"tenant", "create", "--name", "x", "--region", "mars"}, exitCode: 2, want: `--region "mars" must be one of eu, us, apac`},
		{name: "tenant bad country", args: []string{"tenant", "create", "--name", "x", "--country", "XX"}, exitCode: 2, want: "XX"},
		{name: "tenant bad zone", args: []string{"tenant", "create", "--name", "x", "--tz", "Mars/Olympus"}, exitCode: 2, want: "Mars/Olympus"},
		{name: "tenant keys without a command", args: []string{"tenant", "keys"}, exitCode: 2, want: "list, create or revoke"},
		{name: "tenant keys unknown command", args: []string{"tenant", "keys", "rotate"}, exitCode: 2, want: `"rotate"`},
		{name: "tenant keys list without tenant", args: []string{"tenant", "keys", "list"}, exitCode: 2, want: "--tenant is required"},
		{name: "tenant keys create without name", args: []string{"tenant", "keys", "create", "--tenant", someID}, exitCode: 2, want: "--name are required"},
		{name: "tenant keys create bad scope", args: []string{"tenant", "keys", "create", "--tenant", someID, "--name", "ci", "--scopes", "requests,root"}, exitCode: 2, want: `"root"`},
		{name: "tenant keys revoke without key", args: []string{"tenant", "keys", "revoke", "--tenant", someID}, exitCode: 2, want: "--key are required"},
		{name: "sla due bad instant", args: []string{"sla", "due", "--received", "yesterday", "--country", "FR", "--tz", "Europe/Paris"}, exitCode: 2, want: "RFC 3339"},
		{name: "no postgres", args: []string{"migrate"}, env: []string{"DATABASE_URL=postgres://postgres@127.0.0.1:1/dsr?sslmode=disable"}, exitCode: 1, want: "PostgreSQL is not reachable at 127.0.0.1:1"},
		{name: "bad secret", args: []string{"migrate"}, env: []string{"DSR_SECRET_KEY=short"}, exitCode: 1, want: "DSR_SECRET_KEY must be at least 32"},
		{name: "retention too short", args: []string{"retention", "run", "--dry-run"}, env: []string{"DSR_RETENTION=1h"}, exitCode: 1, want: "DSR_RETENTION: 1h0m0s is shorter than 24h0m0s"},
		{name: "retention not a duration", args: []string{"retention", "run"}, env: []string{"DSR_RETENTION=3y"}, exitCode: 1, want: "DSR_RETENTION"},
		{name: "retention run unknown flag", args: []string{"retention", "run", "--now"}, exitCode: 2, want: "retention run"},
		{name: "temporal setup without a cluster", args: []string{"temporal", "setup"}, exitCode: 1, want: "TEMPORAL_ADDRESS is not set"},
		{name: "temporal setup unknown flag", args: []string{"temporal", "setup", "--force"}, exitCode: 2, want: "temporal setup"},
		{name: "temporal setup bad CA", args: []string{"temporal", "setup"}, env: []string{"TEMPORAL_ADDRESS=127.0.0.1:1", "DSR_TEMPORAL_CA_FILE=/nonexistent/ca.pem"},
			exitCode: 1, want: "DSR_TEMPORAL_CA_FILE"},
		{name: "temporal retention too short", args: []string{"temporal", "setup"}, env: []string{"TEMPORAL_ADDRESS=127.0.0.1:1", "DSR_TEMPORAL_RETENTION=1h"},
			exitCode: 1, want: "DSR_TEMPORAL_RETENTION"},
		{name: "no command", args: nil, exitCode: 2, want: "no command given\n\ndsr: GDPR data-subject-request orchestrator"},
		{name: "request id not an id", args: []string{"subprocessors", "done", "--request", "nope", "--name", "Mailer"}, exitCode: 2, want: `invalid value "nope" for flag -request: not an id`},
		{name: "tenant id not an id", args: []string{"tenant", "keys", "list", "--tenant", "acme"}, exitCode: 2, want: "not an id"},
		{name: "override id not an id", args: []string{"request", "override", "--id", "DSR-26504761", "--reason", "x"}, exitCode: 2, want: "not an id"},
		{name: "tenant outside the eu without country", args: []string{"tenant", "create", "--name", "x", "--region", "us"}, exitCode: 2, want: "--region us needs --country and --tz"},
		{name: "tenant outside the eu without zone", args: []string{"tenant", "create", "--name", "x", "--region", "apac", "--country", "JP"}, exitCode: 2, want: "--region apac needs --country and --tz"},
		{name: "report format against file", args: []string{"report", "sla", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "pdf", "-o", "sla.csv"}, exitCode: 2, want: "names a .csv file but --format is pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(binary, tt.args...)
			cmd.Env = append(cmd.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "output: %s", out)
			require.Equal(t, tt.exitCode, exit.ExitCode(), "output: %s", out)
			require.Contains(t, string(out), tt.want)
			if tt.exitCode == 2 && len(tt.args) > 0 && tt.name != "unknown command" {
				// A mistake in one command is not followed by the whole usage.
				require.NotContains(t, string(out), "Environment:", "output: %s", out)
				require.Contains(t, string(out), "dsr COMMAND --help")
			}
		})
	}
}

// someID is a well-formed id that names nothing.
const someID = "0193f6a2-7c1e-7b3d-9a4f-2c5e8d1b6a70"

// TestCommandHelp checks that each command's --help prints its own usage and flags to
// standard output and exits 0, and that flags may follow a command's file argument.
func TestCommandHelp(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binary, "request", "override", "--help").Output()
	require.NoError(t, err)
	require.Contains(t, string(out), "dsr request override --id ID --reason TEXT")
	require.Contains(t, string(out), "-reason string")
	require.NotContains(t, string(out), "help requested")
	require.NotContains(t, string(out), "dsr tenant create", "only the command's own lines")

	out, err = exec.Command(binary, "tenant", "keys", "create", "-h").Output()
	require.NoError(t, err)
	require.Contains(t, string(out), "-scopes")

	out, err = exec.Command(binary, "help").Output()
	require.NoError(t, err)
	require.Contains(t, string(out), "Environment:")

	mail := testkit.Shared(t, "fixtures", "mail", "v01-en-access.eml")
	after, err := exec.Command(binary, "inbox", "classify", mail, "--explain").Output()
	require.NoError(t, err)
	before, err := exec.Command(binary, "inbox", "classify", "--explain", mail).Output()
	require.NoError(t, err)
	require.Equal(t, string(before), string(after))
	require.Contains(t, string(after), `"confidence"`)
}

func TestSLADue(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binary, "sla", "due", "--received", "2026-11-30T10:00:00Z", "--country", "FR", "--tz", "Europe/Paris").Output()
	require.NoError(t, err)
	require.JSONEq(t, `{"target_due":"2026-12-04","legal_due":"2026-12-30","extended_due":"2027-03-01"}`, string(out))
}

// TestSigtermStopsCleanly checks that SIGTERM drains and ends `dsr serve` with exit code 0,
// and that a second start on the same data directory is ready again.
func TestSigtermStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dsr serve; skipped in -short mode")
	}
	t.Parallel()
	in := newInstall(t)
	serve := in.serve()
	require.NoError(t, serve.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "dsr serve exits 0 on SIGTERM")
	case <-time.After(60 * time.Second):
		t.Fatal("dsr serve did not stop within 60s of SIGTERM")
	}
	_, err := http.Get("http://" + in.http + "/healthz")
	require.Error(t, err, "nothing listens after the stop")
	in.serve()
}

func TestReportSLACommand(t *testing.T) {
	if testing.Short() {
		t.Skip("uses PostgreSQL through the binary; skipped in -short mode")
	}
	t.Parallel()
	in := newInstall(t)
	in.run("migrate")
	csv := in.run("report", "sla", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv")
	require.True(t, strings.HasPrefix(string(csv), "request_id,") || strings.HasPrefix(string(csv), "id,"), "CSV header: %s", csv)
	out := filepath.Join(t.TempDir(), "sla.pdf")
	in.run("report", "sla", "--from", "2026-11-01", "--to", "2026-11-30", "-o", out)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(b), "%PDF"))

	cmd := exec.Command(binary, "report", "sla", "--from", "2026-12-01", "--to", "2026-11-01")
	cmd.Env = in.env
	msg, err := cmd.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(msg), "after")
}

// TestAuditVerify runs requests through `dsr serve`, verifies the audit chain, then edits
// an event with the append-only trigger disabled and expects `dsr audit verify` to fail
// naming that event.
func TestAuditVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dsr serve; skipped in -short mode")
	}
	t.Parallel()
	in := newInstall(t)
	tenant := in.seededTenant(30, 300, "--name", "Audit Co")
	in.serve()
	var ids []string
	for _, body := range []string{`{"type":"restriction","subject":{"email":"visitor2@example.com"}}`, `{"type":"access","subject":{"email":"visitor3@example.com"}}`} {
		req, _ := http.NewRequest("POST", "http://"+in.http+"/v1/requests", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tenant.APIKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var v struct {
			ID string `json:"id"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
		resp.Body.Close()
		ids = append(ids, v.ID)
	}
	orch, err := sqlx.Open("postgres", in.orchURL)
	require.NoError(t, err)
	defer orch.Close()
	require.Eventually(t, func() bool {
		var open int
		require.NoError(t, orch.Get(&open, `SELECT count(*) FROM requests WHERE status <> 'completed'`))
		return open == 0
	}, 60*time.Second, 100*time.Millisecond)

	var ok struct {
		OK     bool  `json:"ok"`
		Events int64 `json:"events"`
	}
	require.NoError(t, json.Unmarshal(in.run("audit", "verify"), &ok))
	require.True(t, ok.OK)
	require.Greater(t, ok.Events, int64(8))

	// An UPDATE is refused outright.
	_, err = orch.Exec(`UPDATE request_events SET message = 'x' WHERE request_id = $1`, ids[0])
	require.ErrorContains(t, err, "append-only")

	var victim int64
	require.NoError(t, orch.Get(&victim, `SELECT id FROM request_events WHERE request_id = $1 AND kind = 'connector_applied'`, ids[0]))
	for _, q := range []string{
		`ALTER TABLE request_events DISABLE TRIGGER request_events_append_only`,
		`UPDATE request_events SET message = 'restriction at chatstore: 0 rows' WHERE id = ` + strconv.FormatInt(victim, 10),
		`ALTER TABLE request_events ENABLE TRIGGER request_events_append_only`,
	} {
		_, err := orch.Exec(q)
		require.NoError(t, err)
	}
	cmd := exec.Command(binary, "audit", "verify")
	cmd.Env = in.env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.NotZero(t, exit.ExitCode())
	require.Contains(t, string(out), "event "+strconv.FormatInt(victim, 10))
	require.Contains(t, string(out), ids[0])
}

// TestInboxClassifyFixtures runs `dsr inbox classify` over the labelled corpus and compares
// its JSON with the manifest.
func TestInboxClassifyFixtures(t *testing.T) {
	t.Parallel()
	dir := testkit.Shared(t, "fixtures", "mail")
	manifest, err := os.ReadFile(filepath.Join(dir, "manifest.tsv"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(manifest)), "\n")[1:]
	require.NotEmpty(t, lines)
	for _, line := range lines {
		f := strings.Split(line, "\t")
		require.Len(t, f, 5, line)
		t.Run(f[0], func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command(binary, "inbox", "classify", filepath.Join(dir, f[0])).Output()
			require.NoError(t, err)
			var got struct {
				IsRequest    bool     `json:"is_request"`
				Types        []string `json:"types"`
				SubjectEmail string   `json:"subject_email"`
				Language     string   `json:"language"`
			}
			require.NoError(t, json.Unmarshal(out, &got))
			require.Equal(t, f[1] == "yes", got.IsRequest)
			var want []string
			if f[2] != "" && f[2] != "-" {
				want = strings.Split(f[2], ",")
			}
			require.ElementsMatch(t, want, got.Types)
			if f[3] != "" && f[3] != "-" {
				require.Equal(t, f[3], got.SubjectEmail)
			}
			if f[4] != "" && f[4] != "-" {
				require.Equal(t, f[4], got.Language)
			}
		})
	}
}
