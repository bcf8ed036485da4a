package backups

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

	"github.com/google/uuid"

	"dsr/connectors"
	"dsr/internal/domain"
	"dsr/internal/store"
)

// Name is the connector's name, which keys its outcomes.
const Name = "backups"

// RowsTombstones is the key of Outcome.Rows counting the tombstones recorded.
const RowsTombstones = "tombstones"

// Connector records what requests do to the backups of the chat store, in the orchestrator
// database. It is safe for concurrent use.
type Connector struct {
	st  *store.Store
	key []byte
}

var _ connectors.Connector = (*Connector)(nil)

// keyLabel separates the subject-hash key from every other key derived from the secret.
const keyLabel = "dsr/backups: tombstone subject hash v1"

// New returns the connector on the orchestrator's record st, where the backup catalog and
// the tombstones are kept. secret is the installation's DSR_SECRET_KEY: tombstones made
// under one key are found only with the same key.
func New(st *store.Store, secret []byte) *Connector {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(keyLabel))
	return &Connector{st: st, key: m.Sum(nil)}
}

// Name returns "backups".
func (c *Connector) Name() string { return Name }

// Kind returns connectors.KindBackup.
func (c *Connector) Kind() string { return connectors.KindBackup }

// SubjectHash is the keyed hash under which a tombstone names its subject: HMAC-SHA256 of
// the tenant id, a zero byte and the trimmed, lower-cased email.
func (c *Connector) SubjectHash(tenantID, email string) []byte {
	return newHasher(c.key).sum(tenantID, email)
}

// hasher hashes many subjects under one key without allocating a MAC for each.
type hasher struct{ mac hash.Hash }

func newHasher(key []byte) *hasher { return &hasher{mac: hmac.New(sha256.New, key)} }

func (h *hasher) sum(tenantID, email string) []byte {
	h.mac.Reset()
	h.mac.Write([]byte(strings.ToLower(tenantID)))
	h.mac.Write([]byte{0})
	h.mac.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return h.mac.Sum(nil)
}

// Find reports the subject as not found: backups are sealed copies, never searched.
func (c *Connector) Find(_ context.Context, s connectors.Subject) (connectors.Match, error) {
	if err := connectors.CheckSubject(s); err != nil {
		return connectors.Match{}, fmt.Errorf("find subject in backups: %w", err)
	}
	return connectors.Match{Found: false}, nil
}

// Blockers returns nil: nothing in a backup holds a request up.
func (c *Connector) Blockers(_ context.Context, req connectors.Request) ([]domain.Blocker, error) {
	if err := connectors.CheckSubject(req.Subject); err != nil {
		return nil, fmt.Errorf("blockers of request %s in backups: %w", req.ID, err)
	}
	return nil, nil
}

// Export writes nothing: a backup is a copy of the chat store as it was, whose data the
// chat-store connector exports; the retention of backups is among the Art. 15 facts.
func (c *Connector) Export(_ context.Context, req connectors.Request, _ connectors.ExportScope, _ connectors.Sink) error {
	if err := connectors.CheckSubject(req.Subject); err != nil {
		return fmt.Errorf("export of request %s from backups: %w", req.ID, err)
	}
	return nil
}

// Rectify changes nothing: backups are not edited. It checks the fields as the chat store
// does (an unknown one is connectors.ErrInvalid), and its outcome says until when copies
// holding the old values remain.
func (c *Connector) Rectify(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	if err := connectors.CheckSubject(req.Subject); err != nil {
		return domain.Outcome{}, fmt.Errorf("rectify for request %s in backups: %w", req.ID, err)
	}
	if err := connectors.CheckRectification(req.Rectification); err != nil {
		return domain.Outcome{}, fmt.Errorf("rectify for request %s in backups: %w", req.ID, err)
	}
	out, err := c.retained(ctx, req, domain.Rectification)
	if err != nil {
		return domain.Outcome{}, err
	}
	note := "backups are not edited; the rectified values apply to the live data"
	if out.RetainedUntil != nil {
		note = fmt.Sprintf("backups are not edited: copies holding the old values expire by %s", day(*out.RetainedUntil))
	}
	out.Notes = append(out.Notes, note)
	return out, nil
}

// Object changes nothing: data in backups is never processed for any purpose. It checks
// the purposes as the chat store does (an unknown one is connectors.ErrInvalid).
func (c *Connector) Object(_ context.Context, req connectors.Request) (domain.Outcome, error) {
	if err := connectors.CheckSubject(req.Subject); err != nil {
		return domain.Outcome{}, fmt.Errorf("object for request %s in backups: %w", req.ID, err)
	}
	if _, err := connectors.CheckPurposes(req.ObjectionPurposes); err != nil {
		return domain.Outcome{}, fmt.Errorf("object for request %s in backups: %w", req.ID, err)
	}
	return domain.Outcome{
		Connector: Name, Action: domain.Objection, Rows: map[string]int64{}, AppliedAt: time.Now().UTC(),
		Notes: []string{"data in backups is not processed for any purpose; nothing to record"},
	}, nil
}

// retained is the outcome of an action that changes nothing in backups, with until when
// they hold the subject's data.
func (c *Connector) retained(ctx context.Context, req connectors.Request, action domain.RequestType) (domain.Outcome, error) {
	out := domain.Outcome{Connector: Name, Action: action, Rows: map[string]int64{}, AppliedAt: time.Now().UTC()}
	until, ok, err := c.st.RetainedUntil(ctx, req.Subject.TenantID)
	if errors.Is(err, store.ErrNotFound) {
		return domain.Outcome{}, fmt.Errorf("%s for request %s in backups: tenant %s is not in the record: %w", action, req.ID, req.Subject.TenantID, connectors.ErrInvalid)
	}
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s in backups: %w", action, req.ID, err)
	}
	if ok {
		out.RetainedUntil = &until
	}
	return out, nil
}

// Erase records the erasure's tombstone (once per request id) and returns an outcome that
// counts it, with RetainedUntil: the date by which the last backup holding the subject's
// data expires. Backups themselves are not changed: the data in them is put beyond use and
// erased again by Replay after any restore.
func (c *Connector) Erase(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	scope, err := connectors.CheckScope(req.ErasureScope)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("erase for request %s in backups: %w", req.ID, err)
	}
	return c.tombstone(ctx, req, domain.Erasure, scope)
}

// Restrict records the restriction's tombstone (once per request id), so that the
// restriction is applied again after any restore; the outcome is as for Erase.
func (c *Connector) Restrict(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	return c.tombstone(ctx, req, domain.Restriction, "")
}

func (c *Connector) tombstone(ctx context.Context, req connectors.Request, action domain.RequestType, scope domain.ErasureScope) (domain.Outcome, error) {
	if _, err := uuid.Parse(req.ID); err != nil {
		return domain.Outcome{}, fmt.Errorf("%s in backups: request id %q is not a uuid: %w", action, req.ID, connectors.ErrInvalid)
	}
	if err := connectors.CheckSubject(req.Subject); err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s in backups: %w", action, req.ID, err)
	}
	ts, created, err := c.st.RecordTombstone(ctx, store.Tombstone{
		RequestID:    req.ID,
		TenantID:     req.Subject.TenantID,
		Action:       action,
		SubjectHash:  c.SubjectHash(req.Subject.TenantID, req.Subject.Email),
		ErasureScope: scope,
	})
	if errors.Is(err, store.ErrNotFound) {
		return domain.Outcome{}, fmt.Errorf("%s for request %s in backups: tenant %s is not in the record: %w", action, req.ID, req.Subject.TenantID, connectors.ErrInvalid)
	}
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("%s for request %s in backups: %w", action, req.ID, err)
	}
	out := domain.Outcome{
		Connector:     Name,
		Action:        action,
		Rows:          map[string]int64{RowsTombstones: 1},
		AppliedAt:     ts.RecordedAt,
		Replayed:      !created,
		RetainedUntil: ts.RetainedUntil,
	}
	what := "erased again"
	if action == domain.Restriction {
		what = "restricted again"
	}
	if ts.RetainedUntil != nil {
		out.Notes = append(out.Notes, fmt.Sprintf("tombstone recorded (a keyed hash of the subject, no personal data): copies in backups are put beyond use, %s after any restore, and expire by %s",
			what, day(*ts.RetainedUntil)))
	} else {
		out.Notes = append(out.Notes, fmt.Sprintf("tombstone recorded (a keyed hash of the subject, no personal data): no current backup of the tenant's region is in the catalog; the subject is %s after any restore", what))
	}
	return out, nil
}

// day formats an instant as its UTC date.
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }
