package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"dsr/internal/store"
	"dsr/internal/testkit/pgtest"
	"dsr/schema"
)

// reportServer serves slaReport for a tenant that has one request closed in April 2026,
// next to another tenant's request of the same month; the authentication middleware is
// replaced by one that sets that tenant.
func reportServer(t *testing.T) (*gin.Engine, store.Tenant) {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t, schema.Orchestrator).DB
	s := store.New(db)
	mine, err := s.CreateTenant(ctx, store.Tenant{Name: "Mine", Region: "eu", Country: "FR", TZ: "Europe/Paris"})
	require.NoError(t, err)
	other, err := s.CreateTenant(ctx, store.Tenant{Name: "Other", Region: "eu", Country: "DE", TZ: "Europe/Berlin"})
	require.NoError(t, err)
	for i, tn := range []store.Tenant{mine, other} {
		_, err := db.ExecContext(ctx, `
			INSERT INTO requests (id, tenant_id, type, status, source, subject_email, received_at, clock_started_at,
				target_due, legal_due, extended_due, completed_at)
			VALUES ($1, $2, 'access', 'completed', 'api', 'subject@example.com', '2026-04-02T08:00:00Z',
				'2026-04-02T08:00:00Z', '2026-04-09', '2026-05-04', '2026-07-02', '2026-04-08T14:00:00Z')`,
			[]string{"30000000-0000-0000-0000-000000000001", "30000000-0000-0000-0000-000000000002"}[i], tn.ID)
		require.NoError(t, err)
	}
	h := &API{Store: s, Log: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Date(2026, time.May, 4, 9, 0, 0, 0, time.UTC) }}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.GET("/v1/reports/sla", func(c *gin.Context) { c.Set(tenantKey, mine) }, h.slaReport)
	return r, mine
}

func TestSLAReportHandler(t *testing.T) {
	t.Parallel()
	srv, _ := reportServer(t)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	get := func(t *testing.T, query string) *httptest.ResponseRecorder {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, hs.URL+"/v1/reports/sla?"+query, nil)
		require.NoError(t, err)
		// The server sets the tenant itself; the key only satisfies the document.
		req.Header.Set("Authorization", "Bearer dsr_test")
		resp, err := openAPICheck.Client(t).Do(req)
		require.NoError(t, err)
		defer resp.Body.Close() //nolint:errcheck // read in full
		w := httptest.NewRecorder()
		maps.Copy(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		_, err = io.Copy(w, resp.Body)
		require.NoError(t, err)
		return w
	}

	t.Run("bad parameters", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name    string
			query   string
			message string
		}{
			{name: "no from", query: "to=2026-04-30", message: "from is required"},
			{name: "no to", query: "from=2026-04-01", message: "to is required"},
			{name: "not a date", query: "from=01/04/2026&to=2026-04-30", message: "from must be a date YYYY-MM-DD"},
			{name: "impossible date", query: "from=2026-04-01&to=2026-02-30", message: "to must be a date YYYY-MM-DD"},
			{name: "from after to", query: "from=2026-04-30&to=2026-04-01", message: "from 2026-04-30 is after to 2026-04-01"},
			{name: "too long", query: "from=2020-01-01&to=2026-04-30", message: "longer than 3 years"},
			{name: "format", query: "from=2026-04-01&to=2026-04-30&format=xlsx", message: "format must be pdf or csv"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				w := get(t, tt.query)
				require.Equal(t, http.StatusBadRequest, w.Code)
				var body struct {
					Error struct{ Code, Message string }
				}
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
				require.Equal(t, CodeBadRequest, body.Error.Code)
				require.Contains(t, body.Error.Message, tt.message)
			})
		}
	})

	t.Run("pdf by default", func(t *testing.T) {
		t.Parallel()
		w := get(t, "from=2026-04-01&to=2026-04-30")
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Equal(t, "application/pdf", w.Header().Get("Content-Type"))
		require.Equal(t, `attachment; filename="sla-2026-04-01-2026-04-30.pdf"`, w.Header().Get("Content-Disposition"))
		require.True(t, strings.HasPrefix(w.Body.String(), "%PDF-"))
	})

	t.Run("csv of the caller's tenant only", func(t *testing.T) {
		t.Parallel()
		w := get(t, "from=2026-04-01&to=2026-04-30&format=csv")
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Equal(t, "text/csv; charset=utf-8", w.Header().Get("Content-Type"))
		require.Equal(t, `attachment; filename="sla-2026-04-01-2026-04-30.csv"`, w.Header().Get("Content-Disposition"))
		records, err := csv.NewReader(w.Body).ReadAll()
		require.NoError(t, err)
		require.Len(t, records, 2)
		require.Equal(t, "request_id", records[0][0])
		require.Equal(t, "30000000-0000-0000-0000-000000000001", records[1][0])
	})
}
