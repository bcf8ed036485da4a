// Package intake turns a recorded request into its running workflow. Starting is
// idempotent (workflow id "dsr-<request id>"), so the API, a client's retry and the resume
// pass at boot can all call Start for the same request.
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

// Intake starts workflows for recorded requests.
type Intake struct {
	Temporal client.Client
	Store    *store.Store
	// RecheckEvery is how often a blocked request looks at its blockers again; the
	// workflow's default when zero.
	RecheckEvery time.Duration
	Log          *slog.Logger
}

// Input builds the workflow input of a recorded request.
func (in *Intake) Input(t store.Tenant, r store.Request) workflows.Input {
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
		RecheckEvery: in.RecheckEvery,
	}
}

// Start starts the request's workflow unless it already runs or ran.
func (in *Intake) Start(ctx context.Context, t store.Tenant, r store.Request) error {
	_, err := in.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.WorkflowID(r.ID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(TenantAttribute.ValueSet(t.ID), TypeAttribute.ValueSet(string(r.Type))),
	}, workflows.DSR, in.Input(t, r))
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start workflow of request %s: %w", r.ID, err)
	}
	return nil
}

// Resume starts the workflow of every open request that has none, for example one whose
// process died between recording it and starting it. It goes on past a request it cannot
// start and returns how many it looked at, with every error joined.
func (in *Intake) Resume(ctx context.Context) (int, error) {
	open, err := in.Store.OpenRequests(ctx)
	if err != nil {
		return 0, err
	}
	tenants := map[string]store.Tenant{}
	var errs []error
	for _, r := range open {
		t, ok := tenants[r.TenantID]
		if !ok {
			if t, err = in.Store.GetTenant(ctx, r.TenantID); err != nil {
				errs = append(errs, fmt.Errorf("resume request %s: %w", r.ID, err))
				continue
			}
			tenants[r.TenantID] = t
		}
		if err := in.Start(ctx, t, r); err != nil {
			errs = append(errs, err)
		}
	}
	return len(open), errors.Join(errs...)
}

// KeepResuming runs Resume now and then every interval until ctx ends, logging failures.
func (in *Intake) KeepResuming(ctx context.Context, interval time.Duration) {
	for {
		if _, err := in.Resume(ctx); err != nil && ctx.Err() == nil {
			in.Log.Warn("resume open requests", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
