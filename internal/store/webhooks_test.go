package store_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// TestWebhookOutbox checks that a change queues its webhook event and deliveries in its
// own transaction, only for subscriptions that want it, and hands the deliveries over
// after the commit.
func TestWebhookOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := setup(t)
	var mu sync.Mutex
	var handed []string
	s.OnDeliveriesQueued(func(_ context.Context, ids []string) {
		mu.Lock()
		handed = append(handed, ids...)
		mu.Unlock()
	})
	tn := tenant(t, s)
	r := request(t, s, tn.ID, domain.Access)

	// No subscription: nothing is queued.
	_, err := s.Record(ctx, domain.Change{RequestID: r.ID, DedupeKey: "a", Kind: domain.EventStatusChanged, Actor: domain.ActorSystem, Status: domain.StatusInProgress})
	require.NoError(t, err)
	require.Empty(t, handed)

	all, err := store.NewID()
	require.NoError(t, err)
	_, err = s.CreateWebhook(ctx, store.Webhook{ID: all, TenantID: tn.ID, URL: "https://example.com/a"}, store.SealedSecret{ID: all, Sealed: []byte("x")})
	require.NoError(t, err)
	pkgOnly, err := store.NewID()
	require.NoError(t, err)
	_, err = s.CreateWebhook(ctx, store.Webhook{ID: pkgOnly, TenantID: tn.ID, URL: "https://example.com/p",
		Events: pq.StringArray{string(domain.WebhookPackageReady)}}, store.SealedSecret{ID: pkgOnly, Sealed: []byte("y")})
	require.NoError(t, err)

	// The same status again is no change; a package is one for both subscriptions.
	_, err = s.Record(ctx, domain.Change{RequestID: r.ID, DedupeKey: "b", Kind: domain.EventStatusChanged, Actor: domain.ActorSystem, Status: domain.StatusInProgress})
	require.NoError(t, err)
	require.Empty(t, handed)
	_, err = s.Record(ctx, domain.Change{RequestID: r.ID, DedupeKey: "c", Kind: domain.EventPackageReady, Actor: domain.ActorSystem})
	require.NoError(t, err)
	require.Len(t, handed, 2)
	_, err = s.Record(ctx, domain.Change{RequestID: r.ID, DedupeKey: "d", Kind: domain.EventCompleted, Actor: domain.ActorSystem, Status: domain.StatusCompleted})
	require.NoError(t, err)
	require.Len(t, handed, 3, "the status change goes to the subscription of all events only")
	// A retried record queues nothing more.
	_, err = s.Record(ctx, domain.Change{RequestID: r.ID, DedupeKey: "d", Kind: domain.EventCompleted, Actor: domain.ActorSystem, Status: domain.StatusCompleted})
	require.NoError(t, err)
	require.Len(t, handed, 3)

	j, err := s.DeliveryJob(ctx, handed[2])
	require.NoError(t, err)
	require.Equal(t, domain.WebhookStatusChanged, j.EventType)
	require.Equal(t, domain.DeliveryQueued, j.Status)
	var p store.WebhookPayload
	require.NoError(t, json.Unmarshal(j.Payload, &p))
	require.Equal(t, domain.StatusCompleted, p.Data.Status)
	require.Equal(t, domain.StatusInProgress, p.Data.PreviousStatus)
	require.Equal(t, r.ID, p.Data.RequestID)
	require.NotContains(t, string(j.Payload), r.SubjectEmail)

	unstarted, err := s.UnstartedDeliveries(ctx, 10)
	require.NoError(t, err)
	require.ElementsMatch(t, handed, unstarted)
	require.NoError(t, s.DeliveriesStarted(ctx, handed))
	unstarted, err = s.UnstartedDeliveries(ctx, 10)
	require.NoError(t, err)
	require.Empty(t, unstarted)
}

// TestPurgeDeliveries: deliveries that ended before the cut are deleted with their
// attempts, and then their events; queued ones and later ones stay.
func TestPurgeDeliveries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := setup(t)
	tn := tenant(t, s)
	id, err := store.NewID()
	require.NoError(t, err)
	_, err = s.CreateWebhook(ctx, store.Webhook{ID: id, TenantID: tn.ID, URL: "https://example.com/a"}, store.SealedSecret{ID: id, Sealed: []byte("x")})
	require.NoError(t, err)
	var queued []string
	s.OnDeliveriesQueued(func(_ context.Context, ids []string) { queued = append(queued, ids...) })
	// Three requests, one event and one delivery each.
	for i := range 3 {
		r := request(t, s, tn.ID, domain.Access)
		_, err := s.Record(ctx, domain.Change{RequestID: r.ID, DedupeKey: "s", Kind: domain.EventStatusChanged, Actor: domain.ActorSystem,
			Status: domain.StatusInProgress})
		require.NoError(t, err)
		require.Len(t, queued, i+1)
	}
	now := time.Now()
	code := 200
	old, recent, open := queued[0], queued[1], queued[2]
	for _, d := range []struct {
		id string
		at time.Time
	}{{old, now.Add(-40 * 24 * time.Hour)}, {recent, now.Add(-time.Hour)}} {
		ok, err := s.RecordAttempt(ctx, d.id, store.Attempt{At: d.at, StatusCode: &code, LatencyMS: 5},
			store.AttemptOutcome{Status: domain.DeliveryDelivered})
		require.NoError(t, err)
		require.True(t, ok)
	}
	n, err := s.PurgeDeliveries(ctx, now.Add(-30*24*time.Hour), 100)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = s.DeliveryJob(ctx, old)
	require.ErrorIs(t, err, store.ErrNotFound)
	for _, id := range []string{recent, open} {
		_, err := s.DeliveryJob(ctx, id)
		require.NoError(t, err, "kept")
	}
	// A cut after everything keeps the queued delivery and its event.
	n, err = s.PurgeDeliveries(ctx, now.Add(time.Hour), 100)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	j, err := s.DeliveryJob(ctx, open)
	require.NoError(t, err)
	require.Equal(t, domain.DeliveryQueued, j.Status)
}
