package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

// TestMinimisedRequestView reads, over the API and against the OpenAPI document, a request
// whose subject was replaced by a keyed hash after the retention period.
func TestMinimisedRequestView(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(pgtest.New(t, schema.Orchestrator).DB)
	tn, err := st.CreateTenant(ctx, store.Tenant{Name: "Acme", Region: "eu", Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	key, err := st.CreateAPIKey(ctx, tn.ID)
	require.NoError(t, err)
	now := time.Now().UTC()
	req, _, err := st.CreateRequest(ctx, store.NewRequest{TenantID: tn.ID, Type: domain.Rectification, Source: domain.SourceAPI,
		SubjectEmail: "visitor9@example.com", Params: store.Params{Rectification: map[string]string{"name": "New Name"}},
		ReceivedAt: now, TargetDue: now, LegalDue: now, ExtendedDue: now})
	require.NoError(t, err)
	_, err = st.Record(ctx, domain.Change{RequestID: req.ID, DedupeKey: "final", Kind: domain.EventCompleted,
		Actor: domain.ActorSystem, Status: domain.StatusCompleted})
	require.NoError(t, err)
	_, err = st.Minimise(ctx, store.MinimiseOptions{Before: now.Add(time.Hour), Hash: func(string, string) string { return "00ff" }})
	require.NoError(t, err)

	gin.SetMode(gin.TestMode)
	r := gin.New()
	(&API{Store: st, Log: slog.New(slog.DiscardHandler)}).Register(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	get := func(path string) map[string]any {
		t.Helper()
		hr, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		hr.Header.Set("Authorization", "Bearer "+key)
		resp, err := openAPICheck.Client(t).Do(hr)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var v map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
		return v
	}
	one := get("/v1/requests/" + req.ID)
	subject := one["subject"].(map[string]any)
	require.Equal(t, store.MinimisedPrefix+"00ff", subject["email"])
	require.NotEmpty(t, subject["minimised_at"])
	require.Equal(t, []any{"name"}, one["rectification_fields"])
	events := one["events"].([]any)
	require.Equal(t, string(domain.EventMinimised), events[len(events)-1].(map[string]any)["kind"])
	list := get("/v1/requests?status=completed")
	b, err := json.Marshal(list)
	require.NoError(t, err)
	require.False(t, strings.Contains(string(b), "visitor9"))
}
