package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/internal/store"
)

// TestTenantKeysCommands lists tenants and manages a tenant's API keys from the command
// line, and checks each change in the record the API reads.
func TestTenantKeysCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("uses PostgreSQL through the binary; skipped in -short mode")
	}
	t.Parallel()
	in := newInstall(t)
	var tn tenantInfo
	require.NoError(t, json.Unmarshal(in.run("tenant", "create", "--name", "Keys Co", "--region", "us", "--country", "US", "--tz", "America/New_York"), &tn))

	var tenants []struct {
		ID, Name, Region, Country string
		CreatedAt                 time.Time `json:"created_at"`
	}
	require.NoError(t, json.Unmarshal(in.run("tenant", "list"), &tenants))
	require.Len(t, tenants, 1)
	require.Equal(t, tn.ID, tenants[0].ID)
	require.Equal(t, "Keys Co", tenants[0].Name)
	require.Equal(t, "us", tenants[0].Region)
	require.Equal(t, "US", tenants[0].Country)
	require.WithinDuration(t, time.Now(), tenants[0].CreatedAt, time.Minute)

	type key struct {
		ID        string     `json:"id"`
		Name      string     `json:"name"`
		Scopes    []string   `json:"scopes"`
		APIKey    string     `json:"api_key"`
		RevokedAt *time.Time `json:"revoked_at"`
	}
	list := func() []key {
		var keys []key
		require.NoError(t, json.Unmarshal(in.run("tenant", "keys", "list", "--tenant", tn.ID), &keys))
		for _, k := range keys {
			require.Empty(t, k.APIKey, "a list never shows a secret")
		}
		return keys
	}
	keys := list()
	require.Len(t, keys, 1)
	require.Equal(t, []string{"admin"}, keys[0].Scopes, "the first key may do everything")
	first := keys[0]

	var ci key
	require.NoError(t, json.Unmarshal(in.run("tenant", "keys", "create", "--tenant", tn.ID, "--name", "CI", "--scopes", "admin, requests"), &ci))
	require.Equal(t, "CI", ci.Name)
	require.Equal(t, []string{"requests", "admin"}, ci.Scopes)
	var reqs key
	require.NoError(t, json.Unmarshal(in.run("tenant", "keys", "create", "--tenant", tn.ID, "--name", "CRM"), &reqs))
	require.Equal(t, []string{"requests"}, reqs.Scopes, "least privilege by default")

	orch, err := sqlx.Open("postgres", in.orchURL)
	require.NoError(t, err)
	defer orch.Close()
	st := store.New(orch)
	c, err := st.AuthenticateAPIKey(context.Background(), reqs.APIKey, time.Now())
	require.NoError(t, err)
	require.Equal(t, reqs.ID, c.KeyID)

	fails := func(want string, args ...string) {
		t.Helper()
		cmd := exec.Command(binary, args...)
		cmd.Env = in.env
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "output: %s", out)
		require.Equal(t, 1, exit.ExitCode(), "output: %s", out)
		require.Contains(t, string(out), want)
	}
	fails("no tenant", "tenant", "keys", "list", "--tenant", uuid.NewString())
	fails("no tenant", "tenant", "keys", "create", "--tenant", uuid.NewString(), "--name", "x")
	fails("has no key", "tenant", "keys", "revoke", "--tenant", tn.ID, "--key", uuid.NewString())

	// Revoked at once; --id is the contract's spelling of --key.
	var revoked key
	require.NoError(t, json.Unmarshal(in.run("tenant", "keys", "revoke", "--tenant", tn.ID, "--id", reqs.ID), &revoked))
	require.NotNil(t, revoked.RevokedAt)
	_, err = st.AuthenticateAPIKey(context.Background(), reqs.APIKey, time.Now())
	require.ErrorIs(t, err, store.ErrNotFound)

	in.run("tenant", "keys", "revoke", "--tenant", tn.ID, "--key", first.ID)
	fails("last admin key", "tenant", "keys", "revoke", "--tenant", tn.ID, "--key", ci.ID)
	_, err = st.AuthenticateAPIKey(context.Background(), ci.APIKey, time.Now())
	require.NoError(t, err, "the refused revocation changed nothing")

	keys = list()
	require.Len(t, keys, 3)
	active := 0
	for _, k := range keys {
		if k.RevokedAt == nil {
			active++
			require.Equal(t, ci.ID, k.ID)
		}
	}
	require.Equal(t, 1, active)
}

// TestDemoSubjects seeds a tenant, with its progress on standard error, and lists its
// well-known subjects, each of which the chat store holds.
func TestDemoSubjects(t *testing.T) {
	if testing.Short() {
		t.Skip("uses PostgreSQL through the binary; skipped in -short mode")
	}
	t.Parallel()
	in := newInstall(t)
	var tn tenantInfo
	require.NoError(t, json.Unmarshal(in.run("tenant", "create", "--name", "Acme Corp"), &tn))
	cmd := exec.Command(binary, "demo", "seed", "--tenant", tn.ID, "--end-users", "20", "--messages", "100")
	cmd.Env = in.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	require.Contains(t, stderr.String(), "demo seed: 20 end-users, 100 messages")
	require.Contains(t, stderr.String(), "demo seed: messages: 100 rows")

	var subjects []struct{ Email, Kind, Shows string }
	require.NoError(t, json.Unmarshal(in.run("demo", "subjects", "--tenant", tn.ID), &subjects))
	require.Equal(t, "visitor1@example.com", subjects[0].Email)
	require.Contains(t, subjects[0].Shows, "open conversation")
	chat, err := sqlx.Open("postgres", in.chatURL)
	require.NoError(t, err)
	defer chat.Close()
	for _, s := range subjects {
		var n int
		require.NoError(t, chat.Get(&n, `SELECT (SELECT count(*) FROM end_users WHERE account_id = $1 AND email = $2)
			+ (SELECT count(*) FROM agents WHERE account_id = $1 AND email = $2)`, tn.ID, s.Email))
		require.Equal(t, 1, n, s.Email)
	}
	require.Contains(t, subjects[3].Email, "@acme-corp.example")
}
