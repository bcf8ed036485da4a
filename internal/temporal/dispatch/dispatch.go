// Package dispatch is everything dsr says to Temporal as a client: it starts the workflow
// of a recorded request (idempotently, so the API, a client's retry and the resume pass
// can all start the same request), starts again those a stopped process did not, sends
// requests' workflows their decisions (updates), keeps the mailroom workflow and the
// weekly report's schedule, sets the namespace's search attributes and checks that
// workers poll.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/workflows"
)

// Search attributes set on every DSR workflow, for finding them in Temporal's own tools.
var (
	TenantAttribute = temporal.NewSearchAttributeKeyKeyword("DsrTenant")
	TypeAttribute   = temporal.NewSearchAttributeKeyKeyword("DsrType")
)

// SearchAttributes are the custom search attributes the namespace needs.
var SearchAttributes = map[string]enums.IndexedValueType{
	TenantAttribute.GetName(): enums.INDEXED_VALUE_TYPE_KEYWORD,
	TypeAttribute.GetName():   enums.INDEXED_VALUE_TYPE_KEYWORD,
}

// Client speaks to Temporal for dsr.
type Client struct {
	// Temporal is the SDK's client.
	Temporal client.Client
	Store    *store.Store
	// RecheckEvery is how often a blocked request looks at its blockers again; the
	// workflow's default when zero.
	RecheckEvery time.Duration
	Log          *slog.Logger
}

// Input builds the workflow input of a recorded request: a controller's request (API) is
// verified and approved on submission; a subject's (mail) waits for both.
func (d *Client) Input(t store.Tenant, r store.Request) workflows.Input {
	fromController := r.Source == domain.SourceAPI
	actor := domain.TenantActor(t.ID)
	if r.Source == domain.SourceMail {
		actor = domain.ActorSubject
	}
	return workflows.Input{
		RequestID:    r.ID,
		TenantID:     t.ID,
		Region:       t.Region,
		Type:         r.Type,
		Verified:     fromController,
		Approved:     fromController,
		Actor:        actor,
		RecheckEvery: d.RecheckEvery,
	}
}

// Start starts the request's workflow unless it already runs or ran.
func (d *Client) Start(ctx context.Context, t store.Tenant, r store.Request) error {
	_, err := d.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.WorkflowID(r.ID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(TenantAttribute.ValueSet(t.ID), TypeAttribute.ValueSet(string(r.Type))),
	}, workflows.DSR, d.Input(t, r))
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start workflow of request %s: %w", r.ID, err)
	}
	return nil
}

// Resume starts the workflow of every open request that has none, for example one whose
// process died between recording it and starting it. It goes on past a request it cannot
// start and returns how many it looked at, with every error joined.
func (d *Client) Resume(ctx context.Context) (int, error) {
	open, err := d.Store.OpenRequests(ctx)
	if err != nil {
		return 0, err
	}
	tenants := map[string]store.Tenant{}
	var errs []error
	for _, r := range open {
		t, ok := tenants[r.TenantID]
		if !ok {
			if t, err = d.Store.GetTenant(ctx, r.TenantID); err != nil {
				errs = append(errs, fmt.Errorf("resume request %s: %w", r.ID, err))
				continue
			}
			tenants[r.TenantID] = t
		}
		if err := d.Start(ctx, t, r); err != nil {
			errs = append(errs, err)
		}
	}
	return len(open), errors.Join(errs...)
}

// KeepResuming runs Resume and ResumeDeliveries now and then every interval until ctx
// ends, logging failures.
func (d *Client) KeepResuming(ctx context.Context, interval time.Duration) {
	for {
		if _, err := d.Resume(ctx); err != nil && ctx.Err() == nil {
			d.Log.Warn("resume open requests", slog.Any("error", err))
		}
		if _, err := d.ResumeDeliveries(ctx); err != nil && ctx.Err() == nil {
			d.Log.Warn("resume webhook deliveries", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
