package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// refusing is newRequest with duplicates refused.
func refusing(tenantID string, typ domain.RequestType, params store.Params) store.NewRequest {
	n := newRequest(tenantID, typ)
	n.Params = params
	n.RefuseDuplicates = true
	return n
}

// TestCreateRequestRefusesDuplicates checks which second requests of a subject are
// duplicates of the open first one: the same right, whatever the erasure scope or the
// letter case of the email, but not a rectification to other values or an objection to
// other purposes, another right, another tenant, or once the first is final.
func TestCreateRequestRefusesDuplicates(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tn := tenant(t, s)
	other := tenant(t, s)

	tests := []struct {
		name      string
		first     store.NewRequest
		second    store.NewRequest
		duplicate bool
		// shout writes the second's email in capitals, with spaces around.
		shout bool
	}{
		{name: "same right, any scope and letter case", duplicate: true, shout: true,
			first:  refusing(tn.ID, domain.Erasure, store.Params{ErasureScope: domain.ScopeFull}),
			second: refusing(tn.ID, domain.Erasure, store.Params{ErasureScope: domain.ScopeProfile})},
		{name: "another right",
			first:  refusing(tn.ID, domain.Access, store.Params{}),
			second: refusing(tn.ID, domain.Portability, store.Params{})},
		{name: "another tenant",
			first:  refusing(tn.ID, domain.Restriction, store.Params{}),
			second: refusing(other.ID, domain.Restriction, store.Params{})},
		{name: "rectification to the same values", duplicate: true,
			first:  refusing(tn.ID, domain.Rectification, store.Params{Rectification: map[string]string{"name": "A", "locale": "fr"}}),
			second: refusing(tn.ID, domain.Rectification, store.Params{Rectification: map[string]string{"locale": "fr", "name": "A"}})},
		{name: "rectification to other values",
			first:  refusing(tn.ID, domain.Rectification, store.Params{Rectification: map[string]string{"name": "A"}}),
			second: refusing(tn.ID, domain.Rectification, store.Params{Rectification: map[string]string{"name": "B"}})},
		{name: "objection to the same purposes in another order", duplicate: true,
			first:  refusing(tn.ID, domain.Objection, store.Params{ObjectionPurposes: domain.Purposes}),
			second: refusing(tn.ID, domain.Objection, store.Params{ObjectionPurposes: []domain.Purpose{domain.PurposeProfiling, domain.PurposeAnalytics, domain.PurposeMarketing}})},
		{name: "objection to other purposes",
			first:  refusing(tn.ID, domain.Objection, store.Params{ObjectionPurposes: []domain.Purpose{domain.PurposeMarketing}}),
			second: refusing(tn.ID, domain.Objection, store.Params{ObjectionPurposes: []domain.Purpose{domain.PurposeAnalytics}})},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each case has a subject of its own.
			subject := fmt.Sprintf("case%d@example.com", i)
			tt.first.SubjectEmail, tt.second.SubjectEmail = subject, subject
			if tt.shout {
				tt.second.SubjectEmail = " " + strings.ToUpper(subject) + " "
			}
			first, created, err := s.CreateRequest(ctx, tt.first)
			require.NoError(t, err)
			require.True(t, created)
			second, created, err := s.CreateRequest(ctx, tt.second)
			if !tt.duplicate {
				require.NoError(t, err)
				require.True(t, created)
				require.NotEqual(t, first.ID, second.ID)
				return
			}
			var dup *store.DuplicateError
			require.ErrorAs(t, err, &dup)
			require.Equal(t, first.ID, dup.Open.ID)
			require.False(t, created)
			events, err := s.Events(ctx, first.ID)
			require.NoError(t, err)
			require.Len(t, events, 1)
			require.Equal(t, domain.EventDuplicateRefused, events[0].Kind)
			require.Equal(t, domain.TenantActor(tt.second.TenantID), events[0].Actor)
			require.NotContains(t, events[0].Message+string(events[0].Detail), "example.com", "no email in the event")

			// Once the first is final, the same request is a new one.
			setStatus(t, s, first.ID, domain.StatusCanceled)
			third, created, err := s.CreateRequest(ctx, tt.second)
			require.NoError(t, err)
			require.True(t, created)
			require.NotEqual(t, first.ID, third.ID)
		})
	}
}

// TestCreateRequestDuplicatesOff keeps the old behaviour: every request is made.
func TestCreateRequestDuplicatesOff(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tn := tenant(t, s)
	a := request(t, s, tn.ID, domain.Access)
	b := request(t, s, tn.ID, domain.Access)
	require.NotEqual(t, a.ID, b.ID)
}

// TestCreateRequestDuplicateIdempotency replays an idempotency key (created=false, no
// refusal) and refuses a new key for the same subject and right.
func TestCreateRequestDuplicateIdempotency(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tn := tenant(t, s)
	n := refusing(tn.ID, domain.Access, store.Params{})
	n.IdempotencyKey, n.RequestHash = "k-1", "h-1"
	first, created, err := s.CreateRequest(ctx, n)
	require.NoError(t, err)
	require.True(t, created)

	again, created, err := s.CreateRequest(ctx, n)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, first.ID, again.ID)

	n.RequestHash = "h-2"
	_, _, err = s.CreateRequest(ctx, n)
	require.ErrorIs(t, err, store.ErrIdempotencyMismatch)

	n.IdempotencyKey = "k-2"
	_, _, err = s.CreateRequest(ctx, n)
	var dup *store.DuplicateError
	require.ErrorAs(t, err, &dup)
	require.Equal(t, first.ID, dup.Open.ID)
}

// TestCreateRequestDuplicatesConcurrently makes the same request from many goroutines at
// once: exactly one is made, every other is refused naming it.
func TestCreateRequestDuplicatesConcurrently(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tn := tenant(t, s)
	const n = 12
	var wg sync.WaitGroup
	made := make([]string, n)
	refused := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			r, _, err := s.CreateRequest(ctx, refusing(tn.ID, domain.Erasure, store.Params{ErasureScope: domain.ScopeFull}))
			var dup *store.DuplicateError
			switch {
			case errors.As(err, &dup):
				refused[i] = dup.Open.ID
			case err != nil:
				errs[i] = err
			default:
				made[i] = r.ID
			}
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	var id string
	count := 0
	for _, m := range made {
		if m != "" {
			id = m
			count++
		}
	}
	require.Equal(t, 1, count, "exactly one request made")
	for i, r := range refused {
		if made[i] == "" {
			require.Equal(t, id, r)
		}
	}
	events, err := s.Events(ctx, id)
	require.NoError(t, err)
	require.Len(t, events, n-1, "each refusal recorded")
}
