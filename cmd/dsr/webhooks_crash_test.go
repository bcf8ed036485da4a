package main

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/internal/webhooks"
)

// TestKillNineLosesNoWebhook kills `dsr serve` with SIGKILL while webhook deliveries are
// queued and in flight (the receiver holds them open), starts it again, and checks that every status change of every
// request made its event, and that the receiver got every event, each signed.
func TestKillNineLosesNoWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dsr serve twice; skipped in -short mode")
	}
	var secret atomicString
	var mu sync.Mutex
	seen := map[string]bool{}
	var badSig int
	// Once three events arrived, the receiver holds every further delivery open until dsr
	// is killed: the kill cuts deliveries in flight, not only queued ones.
	hold := make(chan struct{})
	var inFlight atomic.Int32
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		held := len(seen) >= 3
		mu.Unlock()
		if held {
			inFlight.Add(1)
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if err := webhooks.Verify(r.Header, body, secret.get(), time.Now(), 0); err != nil {
			badSig++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		seen[r.Header.Get(webhooks.HeaderID)] = true
		w.WriteHeader(http.StatusOK)
	}))
	defer recv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: recv.Certificate().Raw}), 0o600))

	in := newInstall(t)
	in.env = append(in.env, "DSR_WEBHOOK_ALLOW_NETS=127.0.0.0/8", "DSR_WEBHOOK_CA_FILE="+ca,
		"DSR_WEBHOOK_RETRY_BASE=200ms", "DSR_WEBHOOK_RETRY_CAP=1s", "DSR_WEBHOOK_TIMEOUT=5s")
	var tn tenantInfo
	require.NoError(t, json.Unmarshal(in.run("tenant", "create", "--name", "Hook Crash Co"), &tn))
	serve := in.serve()

	call := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, "http://"+in.http+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tn.APIKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, body := call("POST", "/v1/webhooks", `{"url":"`+recv.URL+`/hook"}`)
	require.Equal(t, http.StatusCreated, status, "%s", body)
	var hook struct{ Secret string }
	require.NoError(t, json.Unmarshal(body, &hook))
	secret.set(hook.Secret)

	const n = 12
	for i := 0; i < n; i++ {
		status, body := call("POST", "/v1/requests", fmt.Sprintf(`{"type":"restriction","subject":{"email":"v%d@example.com"}}`, i))
		require.Equal(t, http.StatusCreated, status, "%s", body)
	}
	require.Eventually(t, func() bool { return inFlight.Load() > 0 }, time.Minute, 20*time.Millisecond,
		"deliveries reach the receiver")
	require.NoError(t, serve.Process.Signal(syscall.SIGKILL))
	_ = serve.Wait()
	close(hold)
	mu.Lock()
	t.Logf("killed with %d events received and %d deliveries in flight", len(seen), inFlight.Load())
	mu.Unlock()

	in.serve()
	orch, err := sqlx.Open("postgres", in.orchURL)
	require.NoError(t, err)
	defer orch.Close()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var open, queued, events int
		require.NoError(t, orch.Get(&open, `SELECT count(*) FROM requests WHERE status NOT IN ('completed','denied','canceled','failed')`))
		require.NoError(t, orch.Get(&queued, `SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'`))
		require.NoError(t, orch.Get(&events, `SELECT count(*) FROM webhook_events`))
		mu.Lock()
		got := len(seen)
		mu.Unlock()
		if open == 0 && queued == 0 && got == events {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(in.dataDir, "serve.log"))
			t.Fatalf("open=%d undelivered=%d events=%d received=%d after the restart; log:\n%s", open, queued, events, got, tail(b, 4000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Every request went received -> in_progress -> completed: two events each, none lost.
	var perRequest []int
	require.NoError(t, orch.Select(&perRequest, `SELECT count(e.id) FROM requests r LEFT JOIN webhook_events e ON e.request_id = r.id GROUP BY r.id`))
	require.Len(t, perRequest, n)
	for _, c := range perRequest {
		require.Equal(t, 2, c, "each status change made one event")
	}
	var ids []string
	require.NoError(t, orch.Select(&ids, `SELECT id FROM webhook_events`))
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		require.True(t, seen[id], "event %s delivered", id)
	}
	require.Zero(t, badSig, "every delivery is signed with the subscription's secret")
}

type atomicString struct {
	mu sync.Mutex
	s  string
}

func (a *atomicString) get() string  { a.mu.Lock(); defer a.mu.Unlock(); return a.s }
func (a *atomicString) set(s string) { a.mu.Lock(); defer a.mu.Unlock(); a.s = s }
