package subprocessor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/connectors/subprocessor"
	"dsr/internal/domain"
	"dsr/internal/mail/smtp"
	"dsr/internal/store"
	"dsr/internal/testkit/fakevendor"
	"dsr/internal/testkit/smtptest"
	"dsr/internal/testkit/testenv"
)

// TestErasureWaitsForRecipients runs a full erasure through the API with three recipients:
// an analytics service whose deletion job runs for several checks, a vendor reached by
// mail, and the exempt hosting provider. The request shows `waiting` with the recipients'
// reasons while they work, then completes with each in result.recipients.
func TestErasureWaitsForRecipients(t *testing.T) {
	t.Parallel()
	analytics := fakevendor.NewAnalytics(fakevendor.AnalyticsOptions{Credentials: fakevendor.Credentials{Type: "bearer", Token: "tok"}, JobPolls: 3})
	srv := httptest.NewServer(analytics)
	t.Cleanup(srv.Close)
	sink := smtptest.New(t)
	m, err := smtp.New(sink.URL, "privacy@dsr.example")
	require.NoError(t, err)
	reg, err := subprocessor.Parse([]byte(`[
		{"name":"Survey Co","purpose":"satisfaction surveys","data_categories":["email"],"country":"FR",
		 "transfer_mechanism":"EEA","dpa_date":"2024-06-01","connector":{"kind":"mail","contact":"privacy@survey.example"}}]`))
	require.NoError(t, err)
	hosting, err := subprocessor.Load("")
	require.NoError(t, err)

	env := testenv.New(t, testenv.Options{SMTPURL: sink.URL, Connectors: func(st *store.Store) []connectors.Connector {
		api, err := subprocessor.New(subprocessor.Config{Name: "Analytics", Shape: subprocessor.ShapeAsyncJob, BaseURL: srv.URL,
			Auth: subprocessor.Auth{Type: subprocessor.AuthBearer, Token: "tok"}, PollInitial: 200 * time.Millisecond,
			PollMax: 400 * time.Millisecond, Receipts: st.Receipts()})
		require.NoError(t, err)
		return []connectors.Connector{
			api,
			&subprocessor.Manual{Entry: reg[0], Store: st, Mailer: m, CheckEvery: 300 * time.Millisecond},
			&subprocessor.Exempt{Entry: hosting[0]},
		}
	}})
	tn, key := env.Tenant(t, "Acme")
	email := "leaving@example.com"
	_, err = env.Chat.DB.Exec(`INSERT INTO end_users (account_id, email, name) VALUES ($1, $2, 'Leaving')`, tn.ID, email)
	require.NoError(t, err)
	analytics.AddContact(tn.ID, email, "Leaving")

	req, _ := http.NewRequest("POST", env.Server.URL+"/v1/requests", strings.NewReader(
		fmt.Sprintf(`{"type":"erasure","erasure_scope":"full","subject":{"email":%q}}`, email)))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var created struct{ ID string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&created))
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	// Waiting, with both recipients' reasons; the vendor was mailed.
	r := env.WaitStatus(t, created.ID, domain.StatusWaiting)
	require.Contains(t, *r.StatusReason, "Survey Co")
	vendor := sink.Wait(t, 1, 10*time.Second)[0]
	require.Equal(t, "privacy@survey.example", vendor.To[0])
	require.Contains(t, vendor.Subject, domain.Ref(created.ID))
	// The analytics job finishes by itself; the request still waits for the vendor.
	require.Eventually(t, func() bool { return !analytics.Has(tn.ID, email) }, 20*time.Second, 50*time.Millisecond)
	time.Sleep(time.Second)
	r, err = env.Store.GetRequest(context.Background(), "", created.ID)
	require.NoError(t, err)
	require.Equal(t, domain.StatusWaiting, r.Status)
	require.Contains(t, *r.StatusReason, "Survey Co")
	require.NotContains(t, *r.StatusReason, "Analytics")

	// The vendor confirms (a DPO marks its task done): the request completes.
	done, err := env.Store.CloseTask(context.Background(), created.ID, "Survey Co", domain.DPOActor("ann"), func(bool, domain.Actor) *domain.Change { return nil })
	require.NoError(t, err)
	require.True(t, done)
	env.WaitStatus(t, created.ID, domain.StatusCompleted)

	req, _ = http.NewRequest("GET", env.Server.URL+"/v1/requests/"+created.ID, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var got struct {
		Status string `json:"status"`
		Result struct {
			Recipients []struct{ Name, Kind, Status string } `json:"recipients"`
		} `json:"result"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	require.Equal(t, "completed", got.Status)
	statuses := map[string]string{}
	for _, rc := range got.Result.Recipients {
		statuses[rc.Name] = rc.Kind + "/" + rc.Status
	}
	require.Equal(t, map[string]string{
		"Analytics": "api/confirmed", "Survey Co": "mail/confirmed", hosting[0].Name: "none/exempt",
	}, statuses)
	ledger, err := env.Store.Recipients(context.Background(), created.ID)
	require.NoError(t, err)
	require.Len(t, ledger, 3, "one ledger row per recipient")
}
