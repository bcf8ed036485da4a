package webhooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// Limits of a subscription's fields.
const (
	MaxURL         = 2000
	MaxDescription = 500
)

// CleanURL trims a subscription's URL and checks it: printable, at most MaxURL
// characters, and one the guard lets deliveries reach. The error is shown to the caller.
func (g *Guard) CleanURL(ctx context.Context, raw string) (string, error) {
	u := strings.TrimSpace(raw)
	if u == "" {
		return "", errors.New("url is required")
	}
	if err := domain.CheckLine(u, MaxURL); err != nil {
		return "", fmt.Errorf("url %w", err)
	}
	if err := g.CheckURL(ctx, u); err != nil {
		return "", err
	}
	return u, nil
}

// CleanEvents checks a subscription's event types and returns them sorted, once each; an
// empty list (all events) stays empty.
func CleanEvents(events []domain.WebhookEvent) ([]domain.WebhookEvent, error) {
	for _, e := range events {
		if !e.Valid() {
			return nil, fmt.Errorf("events: %q is not one of %s (an empty list means all)", e, domain.JoinNames(domain.WebhookEvents))
		}
	}
	out := slices.Clone(events)
	if out == nil {
		out = []domain.WebhookEvent{}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// CheckDescription checks a subscription's description.
func CheckDescription(d string) error {
	if err := domain.CheckLine(d, MaxDescription); err != nil {
		return fmt.Errorf("description %w", err)
	}
	return nil
}

// InvalidError is what is wrong with a subscription's fields; its message can be shown to
// the caller.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

// NewSubscription is a subscription as a tenant's admin asks for it (API or dashboard).
type NewSubscription struct {
	TenantID    string
	URL         string
	Events      []domain.WebhookEvent
	Description string
}

// Create checks and cleans a subscription, makes its signing secret and stores it, sealed.
// It returns the subscription and the secret in the clear, to be shown once and never
// kept; an *InvalidError says what is wrong with the fields.
func Create(ctx context.Context, st *store.Store, g *Guard, secrets Secrets, n NewSubscription) (store.Webhook, string, error) {
	w := store.Webhook{TenantID: n.TenantID, Description: strings.TrimSpace(n.Description)}
	u, err := g.CleanURL(ctx, n.URL)
	if err != nil {
		return store.Webhook{}, "", &InvalidError{err}
	}
	events, err := CleanEvents(n.Events)
	if err != nil {
		return store.Webhook{}, "", &InvalidError{err}
	}
	if err := CheckDescription(w.Description); err != nil {
		return store.Webhook{}, "", &InvalidError{err}
	}
	w.URL, w.Events = u, domain.Strings(events)
	if w.ID, err = store.NewID(); err != nil {
		return store.Webhook{}, "", err
	}
	clear, sealed, err := secrets.New()
	if err != nil {
		return store.Webhook{}, "", fmt.Errorf("webhook secret: %w", err)
	}
	w, err = st.CreateWebhook(ctx, w, sealed)
	if err != nil {
		return store.Webhook{}, "", err
	}
	return w, clear, nil
}
