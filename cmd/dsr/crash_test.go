package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"dsr/internal/testkit/pgtest"
)

// binary is built once for the tests of this package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dsr-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "dsr")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build dsr: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// install is one dsr installation: its own databases and data directory.
type install struct {
	t       *testing.T
	env     []string
	http    string
	dataDir string
	chatURL string
	orchURL string
}

func newInstall(t *testing.T) *install {
	t.Helper()
	buf := make([]byte, 4)
	_, err := rand.Read(buf)
	require.NoError(t, err)
	suffix := hex.EncodeToString(buf)
	base, err := url.Parse(pgtest.BaseURL())
	require.NoError(t, err)
	dbURL := func(name string) string {
		u := *base
		u.Path = "/" + name
		return u.String()
	}
	in := &install{
		t:       t,
		dataDir: t.TempDir(),
		orchURL: dbURL("dsr_t_" + suffix),
		chatURL: dbURL("dsr_t_chat_" + suffix),
		http:    "127.0.0.1:" + strconv.Itoa(freePort(t)),
	}
	in.env = append(os.Environ(),
		"DATABASE_URL="+in.orchURL,
		"CHATSTORE_URL="+in.chatURL,
		"DSR_DATA_DIR="+in.dataDir,
		"HTTP_ADDR="+in.http,
		"DSR_TEMPORAL_PORT="+strconv.Itoa(freeTemporalPorts(t)),
		"DSR_SECRET_KEY=crash-test-secret-0123456789abcdef0123456789",
		"DSR_BLOCKER_RECHECK=1s",
		"DSR_LOG_LEVEL=warn",
		"TEMPORAL_ADDRESS=",
	)
	t.Cleanup(func() {
		admin, err := sqlx.Open("postgres", dbURL("postgres"))
		if err != nil {
			return
		}
		defer admin.Close()
		for _, name := range []string{"dsr_t_" + suffix, "dsr_t_chat_" + suffix} {
			if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
				t.Logf("drop %s: %v", name, err)
			}
		}
	})
	return in
}

// run runs a dsr command to completion and returns its standard output.
func (in *install) run(args ...string) []byte {
	in.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = in.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(in.t, err, "dsr %s: %s", strings.Join(args, " "), stderr.String())
	return out
}

// serve starts `dsr serve` and waits until it is ready.
func (in *install) serve() *exec.Cmd {
	in.t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = in.env
	log, err := os.OpenFile(filepath.Join(in.dataDir, "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(in.t, err)
	in.t.Cleanup(func() { log.Close() })
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(in.t, cmd.Start())
	in.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + in.http + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(in.dataDir, "serve.log"))
	in.t.Fatalf("dsr serve not ready in 90s; log:\n%s", b)
	return nil
}

// Ports for the dsr processes these tests start: below the kernel's ephemeral range (where
// outgoing connections take their local ports), and never handed out twice in this process,
// so that parallel installs do not collide.
var (
	portsMu sync.Mutex
	taken   = map[int]bool{}
)

func portFree(p int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// reservePorts finds a base port such that base+offset is free for every offset, and
// keeps those ports for this process.
func reservePorts(t *testing.T, offsets ...int) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for try := 0; try < 1000; try++ {
		base := 26000 + mrand.IntN(6000-110)
		ok := true
		for _, o := range offsets {
			if taken[base+o] || !portFree(base+o) {
				ok = false
				break
			}
		}
		if ok {
			for _, o := range offsets {
				taken[base+o] = true
			}
			return base
		}
	}
	t.Fatal("no free ports between 26000 and 32000")
	return 0
}

func freePort(t *testing.T) int { return reservePorts(t, 0) }

// freeTemporalPorts reserves the embedded server's four ports and their membership ports.
func freeTemporalPorts(t *testing.T) int {
	return reservePorts(t, 0, 1, 2, 3, 100, 101, 102, 103)
}

// tenantInfo is what `dsr tenant create` prints.
type tenantInfo struct {
	ID     string `json:"id"`
	APIKey string `json:"api_key"`
}

// seededTenant creates a tenant with extra `tenant create` flags and seeds its chat data.
func (in *install) seededTenant(endUsers, messages int, createArgs ...string) tenantInfo {
	in.t.Helper()
	var tn tenantInfo
	require.NoError(in.t, json.Unmarshal(in.run(append([]string{"tenant", "create"}, createArgs...)...), &tn))
	in.run("demo", "seed", "--tenant", tn.ID, "--end-users", strconv.Itoa(endUsers), "--messages", strconv.Itoa(messages))
	return tn
}

type created struct {
	ID   string
	Type string
}

// TestKillNineResumes kills `dsr serve` with SIGKILL while 30 requests are in flight, starts
// it again on the same data, and checks that every request accepted with 201 completes and
// that each erasure was applied and audited exactly once.
func TestKillNineResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dsr serve twice; skipped in -short mode")
	}
	in := newInstall(t)
	tenant := in.seededTenant(300, 6000, "--name", "Crash Co", "--country", "DE", "--tz", "Europe/Berlin")

	chat, err := sqlx.Open("postgres", in.chatURL)
	require.NoError(t, err)
	defer chat.Close()
	// Nothing should block: close every conversation.
	_, err = chat.Exec(`UPDATE conversations SET status = 'closed', closed_at = now()`)
	require.NoError(t, err)

	serve := in.serve()

	var bodies []string
	for i := 0; i < 30; i++ {
		email := fmt.Sprintf("visitor%d@example.com", i+2)
		switch i % 5 {
		case 0, 1, 2:
			bodies = append(bodies, `{"type":"erasure","erasure_scope":"full","subject":{"email":"`+email+`"}}`)
		case 3:
			bodies = append(bodies, `{"type":"access","subject":{"email":"`+email+`"}}`)
		case 4:
			bodies = append(bodies, `{"type":"restriction","subject":{"email":"`+email+`"}}`)
		}
	}
	var mu sync.Mutex
	var accepted []created
	var wg sync.WaitGroup
	for i, body := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", "http://"+in.http+"/v1/requests", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tenant.APIKey)
			req.Header.Set("Idempotency-Key", "crash-"+strconv.Itoa(i))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				return
			}
			var c created
			if json.NewDecoder(resp.Body).Decode(&c) == nil {
				mu.Lock()
				accepted = append(accepted, c)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Len(t, accepted, 30, "every submission is accepted before the crash")

	orch, err := sqlx.Open("postgres", in.orchURL)
	require.NoError(t, err)
	defer orch.Close()
	var openBefore int
	require.NoError(t, orch.Get(&openBefore, `SELECT count(*) FROM requests WHERE status NOT IN ('completed','denied','canceled','failed')`))

	require.NoError(t, serve.Process.Signal(syscall.SIGKILL))
	_ = serve.Wait()
	t.Logf("killed with %d of 30 requests still open", openBefore)

	in.serve()
	deadline := time.Now().Add(4 * time.Minute)
	for {
		var open int
		require.NoError(t, orch.Get(&open, `SELECT count(*) FROM requests WHERE status NOT IN ('completed','denied','canceled','failed')`))
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(in.dataDir, "serve.log"))
			t.Fatalf("%d requests still open 4 minutes after the restart; log:\n%s", open, tail(b, 4000))
		}
		time.Sleep(200 * time.Millisecond)
	}

	for _, c := range accepted {
		var status string
		require.NoError(t, orch.Get(&status, `SELECT status FROM requests WHERE id = $1`, c.ID))
		require.Equal(t, "completed", status, "request %s (%s)", c.ID, c.Type)
		if c.Type != "erasure" {
			continue
		}
		var applied, receipts int
		require.NoError(t, orch.Get(&applied, `SELECT count(*) FROM request_events WHERE request_id = $1 AND kind = 'connector_applied' AND detail->>'connector' = 'chatstore'`, c.ID))
		require.Equal(t, 1, applied, "erasure %s audited once", c.ID)
		require.NoError(t, chat.Get(&receipts, `SELECT count(*) FROM dsr_receipts WHERE request_id = $1 AND action = 'erasure'`, c.ID))
		require.Equal(t, 1, receipts, "erasure %s applied once", c.ID)
		var outcome struct {
			Connectors []struct {
				Rows map[string]int64 `json:"rows"`
			} `json:"connectors"`
		}
		var result []byte
		require.NoError(t, orch.Get(&result, `SELECT result FROM requests WHERE id = $1`, c.ID))
		require.NoError(t, json.Unmarshal(result, &outcome))
		require.Equal(t, int64(1), outcome.Connectors[0].Rows["end_users"], "erasure %s counted its subject once", c.ID)
	}
	// The erased subjects are gone from the chat store.
	var left int
	require.NoError(t, chat.Get(&left, `SELECT count(*) FROM end_users WHERE email IN (`+erasedEmails(bodies)+`)`))
	require.Zero(t, left)
}

func erasedEmails(bodies []string) string {
	var out []string
	for _, b := range bodies {
		if !strings.Contains(b, `"erasure"`) {
			continue
		}
		i := strings.Index(b, `"email":"`) + len(`"email":"`)
		j := strings.Index(b[i:], `"`)
		out = append(out, "'"+b[i:i+j]+"'")
	}
	return strings.Join(out, ",")
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
