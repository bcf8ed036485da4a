package webhooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"dsr/internal/domain"
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
