package subprocessor

import (
	"context"
	"fmt"
	"time"

	"dsr/connectors"
	"dsr/internal/domain"
)

// Exempt is a sub-processor that needs no notice of a change (it holds the data only as
// infrastructure that dsr changes directly): it holds nothing dsr can export, and each
// rectification, erasure or restriction puts it in the Art. 19 ledger as exempt, with the
// registry's reason.
type Exempt struct {
	Entry Entry
}

var _ connectors.Connector = (*Exempt)(nil)

// Name is the sub-processor's name.
func (x *Exempt) Name() string { return x.Entry.Name }

// Kind is a sub-processor.
func (x *Exempt) Kind() string { return connectors.KindSubprocessor }

// Find finds nothing: the data is found where dsr reaches it directly.
func (x *Exempt) Find(context.Context, connectors.Subject) (connectors.Match, error) {
	return connectors.Match{}, nil
}

// Blockers never block.
func (x *Exempt) Blockers(context.Context, connectors.Request) ([]domain.Blocker, error) {
	return nil, nil
}

// Export exports nothing: what the sub-processor holds is exported from where dsr reads it.
func (x *Exempt) Export(context.Context, connectors.Request, connectors.ExportScope, connectors.Sink) error {
	return nil
}

func (x *Exempt) outcome(action domain.RequestType) domain.Outcome {
	return domain.Outcome{
		Connector: x.Entry.Name, Action: action, Rows: map[string]int64{}, AppliedAt: time.Now().UTC(),
		Notes:     []string{"no notice needed: " + x.Entry.Connector.Reason},
		Recipient: &domain.Recipient{Name: x.Entry.Name, Kind: domain.ReachNone, Status: domain.RecipientExempt, Reason: x.Entry.Connector.Reason},
	}
}

// Rectify records the exemption.
func (x *Exempt) Rectify(_ context.Context, req connectors.Request) (domain.Outcome, error) {
	if err := connectors.CheckRectification(req.Rectification); err != nil {
		return domain.Outcome{}, err
	}
	return x.outcome(domain.Rectification), nil
}

// Erase records the exemption.
func (x *Exempt) Erase(_ context.Context, req connectors.Request) (domain.Outcome, error) {
	if _, err := connectors.CheckScope(req.ErasureScope); err != nil {
		return domain.Outcome{}, fmt.Errorf("erase for request %s at %s: %w", req.ID, x.Name(), err)
	}
	return x.outcome(domain.Erasure), nil
}

// Restrict records the exemption.
func (x *Exempt) Restrict(context.Context, connectors.Request) (domain.Outcome, error) {
	return x.outcome(domain.Restriction), nil
}

// Object records the exemption: an objection is honoured where the processing happens.
func (x *Exempt) Object(_ context.Context, req connectors.Request) (domain.Outcome, error) {
	if _, err := connectors.CheckPurposes(req.ObjectionPurposes); err != nil {
		return domain.Outcome{}, err
	}
	return x.outcome(domain.Objection), nil
}
