package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"dsr/http/api"
	"dsr/internal/store"
)

// keyJSON is a key as the API shows it.
type keyJSON struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	Prefix            string     `json:"prefix"`
	Scopes            []string   `json:"scopes"`
	CreatedAt         time.Time  `json:"created_at"`
	LastUsedAt        *time.Time `json:"last_used_at"`
	ExpiresAt         *time.Time `json:"expires_at"`
	RevokedAt         *time.Time `json:"revoked_at"`
	APIKey            string     `json:"api_key"`
	Replaces          string     `json:"replaces"`
	ReplacedExpiresAt *time.Time `json:"replaced_expires_at"`
}

func decodeKey(t *testing.T, r response) keyJSON {
	t.Helper()
	var k keyJSON
	require.NoError(t, json.Unmarshal(r.Body, &k), "body: %s", r.Body)
	return k
}

func listKeys(t *testing.T, c *client) []keyJSON {
	t.Helper()
	r := c.do("GET", "/v1/keys", "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.NotContains(t, string(r.Body), "api_key", "a list never shows a secret")
	var out struct {
		Keys []keyJSON `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &out))
	return out.Keys
}

// skewClock is the wall clock moved ahead by what a test sets.
type skewClock struct{ ahead atomic.Int64 }

func (c *skewClock) Now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

// replica serves the API from a second process's view: its own pool on the same
// database, its own HTTP server, its own clock.
func replica(t *testing.T, dbURL string, clock *skewClock) string {
	t.Helper()
	db, err := sqlx.Open("postgres", dbURL)
	require.NoError(t, err)
	db.SetMaxOpenConns(2)
	t.Cleanup(func() { db.Close() })
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	(&api.API{Store: store.New(db), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock.Now}).Register(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestKeyManagement(t *testing.T) {
	t.Parallel()
	env, admin := setup(t)
	clock := &skewClock{}
	second := replica(t, env.Orch.URL, clock)
	on := func(base string, c *client) *client { return &client{t: c.t, base: base, key: c.key} }

	// The tenant's first key may do everything; the list shows no secret.
	keys := listKeys(t, admin)
	require.Len(t, keys, 1)
	require.Equal(t, "default", keys[0].Name)
	require.Equal(t, []string{"admin"}, keys[0].Scopes)
	require.NotNil(t, keys[0].LastUsedAt, "used by this very call")
	require.True(t, strings.HasPrefix(admin.key, keys[0].Prefix))
	first := keys[0]

	// A requests key: requests yes, keys no.
	r := admin.do("POST", "/v1/keys", `{"name":"  CRM integration ","scopes":["requests","requests"]}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	created := decodeKey(t, r)
	require.Equal(t, "CRM integration", created.Name)
	require.Equal(t, []string{"requests"}, created.Scopes)
	require.True(t, strings.HasPrefix(created.APIKey, "dsr_"))
	require.True(t, strings.HasPrefix(created.APIKey, created.Prefix))
	reqs := &client{t: t, base: admin.base, key: created.APIKey}
	require.Equal(t, http.StatusOK, reqs.do("GET", "/v1/requests", "").Status)
	for _, call := range [][2]string{{"GET", "/v1/keys"}, {"POST", "/v1/keys"}, {"POST", "/v1/keys/" + first.ID + "/revoke"}, {"POST", "/v1/keys/" + first.ID + "/rotate"}} {
		r := reqs.do(call[0], call[1], `{"name":"x","scopes":["admin"]}`)
		require.Equal(t, http.StatusForbidden, r.Status, "%s %s: %s", call[0], call[1], r.Body)
		code, msg := r.errorCode(t)
		require.Equal(t, "forbidden", code)
		require.Contains(t, msg, "needs scope admin")
	}
	require.Len(t, listKeys(t, admin), 2, "nothing was made by the refused calls")

	t.Run("bad bodies", func(t *testing.T) {
		tests := []struct {
			name, path, body string
			status           int
			want             string
		}{
			{name: "not json", path: "/v1/keys", body: "{", status: 400, want: "JSON object"},
			{name: "unknown field", path: "/v1/keys", body: `{"name":"a","scopes":["admin"],"secret":"x"}`, status: 400, want: "secret"},
			{name: "empty", path: "/v1/keys", body: "", status: 400, want: "JSON object"},
			{name: "no name", path: "/v1/keys", body: `{"name":"  ","scopes":["admin"]}`, status: 422, want: "needs a name"},
			{name: "no scopes", path: "/v1/keys", body: `{"name":"a"}`, status: 422, want: "requests, admin"},
			{name: "unknown scope", path: "/v1/keys", body: `{"name":"a","scopes":["root"]}`, status: 422, want: `"root"`},
			{name: "long name", path: "/v1/keys", body: `{"name":"` + strings.Repeat("n", 101) + `","scopes":["admin"]}`, status: 422, want: "longer than 100"},
			{name: "control character", path: "/v1/keys", body: `{"name":"a\u0007b","scopes":["admin"]}`, status: 422, want: "control"},
			{name: "overlap too long", path: "/v1/keys/" + first.ID + "/rotate", body: `{"overlap":"8d"}`, status: 422, want: "between 0"},
			{name: "overlap negative", path: "/v1/keys/" + first.ID + "/rotate", body: `{"overlap":"-1h"}`, status: 422, want: "between 0"},
			{name: "overlap not a duration", path: "/v1/keys/" + first.ID + "/rotate", body: `{"overlap":"soon"}`, status: 422, want: "soon"},
			{name: "overlap a number", path: "/v1/keys/" + first.ID + "/rotate", body: `{"overlap":24}`, status: 400, want: "overlap"},
			{name: "revoke unknown field", path: "/v1/keys/" + first.ID + "/revoke", body: `{"why":"x"}`, status: 400, want: "why"},
			{name: "revoke not uuid", path: "/v1/keys/123/revoke", status: 404, want: "no API key"},
			{name: "revoke upper case", path: "/v1/keys/" + strings.ToUpper(first.ID) + "/revoke", status: 404, want: "no API key"},
			{name: "revoke unknown", path: "/v1/keys/" + uuid.NewString() + "/revoke", status: 404, want: "no API key"},
			{name: "rotate unknown", path: "/v1/keys/" + uuid.NewString() + "/rotate", status: 404, want: "no API key"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := admin.do("POST", tt.path, tt.body)
				require.Equal(t, tt.status, r.Status, "%s", r.Body)
				_, msg := r.errorCode(t)
				require.Contains(t, msg, tt.want)
			})
		}
		require.Len(t, listKeys(t, admin), 2, "nothing was made or changed")
		require.Nil(t, listKeys(t, admin)[1].ExpiresAt)
	})

	t.Run("another tenant's key", func(t *testing.T) {
		other := tenantClient(t, env)
		theirs := listKeys(t, other)[0]
		for _, action := range []string{"revoke", "rotate"} {
			r := admin.do("POST", "/v1/keys/"+theirs.ID+"/"+action, "")
			require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
		}
		require.Nil(t, listKeys(t, other)[0].RevokedAt)
	})

	// The last admin key that stays valid cannot be revoked.
	r = admin.do("POST", "/v1/keys/"+first.ID+"/revoke", "")
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
	code, msg := r.errorCode(t)
	require.Equal(t, "conflict", code)
	require.Contains(t, msg, "last admin key")

	// Revocation holds at once, on this server and on the other replica.
	require.Equal(t, http.StatusOK, on(second, reqs).do("GET", "/v1/requests", "").Status, "the replica knows the key")
	r = admin.do("POST", "/v1/keys/"+created.ID+"/revoke", "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	revoked := decodeKey(t, r)
	require.NotNil(t, revoked.RevokedAt)
	for _, base := range []string{admin.base, second} {
		r := on(base, reqs).do("GET", "/v1/requests", "")
		require.Equal(t, http.StatusUnauthorized, r.Status, "%s: %s", base, r.Body)
	}
	r = on(second, admin).do("POST", "/v1/keys/"+created.ID+"/revoke", "{}")
	require.Equal(t, http.StatusOK, r.Status, "revoking again is fine: %s", r.Body)
	require.True(t, revoked.RevokedAt.Equal(*decodeKey(t, r).RevokedAt))

	// Rotation with an overlap: both keys work until it is over, then only the new one.
	r = on(second, admin).do("POST", "/v1/keys/"+first.ID+"/rotate", `{"overlap":"2h"}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	rotated := decodeKey(t, r)
	require.Equal(t, first.Name, rotated.Name)
	require.Equal(t, first.Scopes, rotated.Scopes)
	require.Equal(t, first.ID, rotated.Replaces)
	require.NotNil(t, rotated.ReplacedExpiresAt)
	require.WithinDuration(t, clock.Now().Add(2*time.Hour), *rotated.ReplacedExpiresAt, time.Second)
	next := &client{t: t, base: second, key: rotated.APIKey}
	clock.ahead.Store(int64(119 * time.Minute))
	require.Equal(t, http.StatusOK, on(second, admin).do("GET", "/v1/keys", "").Status, "the old key, within the overlap")
	clock.ahead.Store(int64(121 * time.Minute))
	r = on(second, admin).do("GET", "/v1/keys", "")
	require.Equal(t, http.StatusUnauthorized, r.Status, "the old key, after the overlap: %s", r.Body)
	require.Equal(t, http.StatusOK, next.do("GET", "/v1/keys", "").Status)

	// Rotation at once, on the default server: the old key is refused immediately.
	now := &client{t: t, base: admin.base, key: rotated.APIKey}
	r = now.do("POST", "/v1/keys/"+rotated.ID+"/rotate", `{"overlap":"0"}`)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	latest := decodeKey(t, r)
	require.Equal(t, http.StatusUnauthorized, now.do("GET", "/v1/keys", "").Status)
	latestClient := &client{t: t, base: admin.base, key: latest.APIKey}
	keys = listKeys(t, latestClient)
	require.Len(t, keys, 4)
	require.Equal(t, latest.ID, keys[0].ID)
	for _, k := range keys {
		require.Empty(t, k.APIKey)
	}
	// A rotated-out key is refused as a rotation source.
	r = latestClient.do("POST", "/v1/keys/"+rotated.ID+"/rotate", "")
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
}
