package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"dsr/internal/domain"

	"github.com/google/uuid"
	"github.com/lib/pq"
)

// BackupKinds are the kinds of backup the catalog knows.
var BackupKinds = []string{"full", "incremental", "wal", "snapshot"}

// ErrBackupConflict is returned when a backup id is in the catalog with other values.
var ErrBackupConflict = errors.New("backup id is already in the catalog with other values")

// Backup is one entry of the backup catalog: a copy of a region's chat store that holds
// whatever was there at TakenAt until it expires.
type Backup struct {
	ID        string        `db:"id" json:"id"`
	TakenAt   time.Time     `db:"taken_at" json:"taken_at"`
	ExpiresAt time.Time     `db:"expires_at" json:"expires_at"`
	Region    domain.Region `db:"region" json:"region"`
	Kind      string        `db:"kind" json:"kind"`
	CreatedAt time.Time     `db:"created_at" json:"created_at"`
}

// Validate checks a backup before it goes into the catalog; its errors name the field.
func (b Backup) Validate() error {
	var errs []error
	if strings.TrimSpace(b.ID) == "" {
		errs = append(errs, errors.New("id is empty"))
	}
	if b.TakenAt.IsZero() {
		errs = append(errs, errors.New("taken_at is missing"))
	}
	if b.ExpiresAt.IsZero() {
		errs = append(errs, errors.New("expires_at is missing"))
	} else if !b.ExpiresAt.After(b.TakenAt) {
		errs = append(errs, errors.New("expires_at must be after taken_at"))
	}
	if !b.Region.Valid() {
		errs = append(errs, fmt.Errorf("region %q is not one of %s", b.Region, domain.JoinNames(domain.Regions)))
	}
	if !slices.Contains(BackupKinds, b.Kind) {
		errs = append(errs, fmt.Errorf("kind %q is not one of %s", b.Kind, strings.Join(BackupKinds, ", ")))
	}
	return errors.Join(errs...)
}

const backupColumns = `id, taken_at, expires_at, region, kind, created_at`

// AddBackup puts a backup into the catalog and returns it as stored. Adding the same backup
// again (same id and values) returns the stored one; the same id with other values is
// ErrBackupConflict.
func (s *Store) AddBackup(ctx context.Context, b Backup) (Backup, error) {
	if err := b.Validate(); err != nil {
		return Backup{}, fmt.Errorf("add backup %q: %w", b.ID, err)
	}
	var out Backup
	err := s.db.GetContext(ctx, &out, `
		INSERT INTO backups (id, taken_at, expires_at, region, kind) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO NOTHING
		RETURNING `+backupColumns, b.ID, b.TakenAt, b.ExpiresAt, b.Region, b.Kind)
	if err == nil {
		return out.utc(), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Backup{}, fmt.Errorf("add backup %q: %w", b.ID, err)
	}
	if err := s.db.GetContext(ctx, &out, `SELECT `+backupColumns+` FROM backups WHERE id = $1`, b.ID); err != nil {
		return Backup{}, fmt.Errorf("add backup %q: read the stored one: %w", b.ID, err)
	}
	if !out.TakenAt.Equal(b.TakenAt) || !out.ExpiresAt.Equal(b.ExpiresAt) || out.Region != b.Region || out.Kind != b.Kind {
		return Backup{}, fmt.Errorf("add backup %q: %w", b.ID, ErrBackupConflict)
	}
	return out.utc(), nil
}

// ListBackups returns the catalog, oldest backup first.
func (s *Store) ListBackups(ctx context.Context) ([]Backup, error) {
	out := []Backup{}
	if err := s.db.SelectContext(ctx, &out, `SELECT `+backupColumns+` FROM backups ORDER BY taken_at, id`); err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	for i := range out {
		out[i] = out[i].utc()
	}
	return out, nil
}

func (b Backup) utc() Backup {
	b.TakenAt, b.ExpiresAt, b.CreatedAt = b.TakenAt.UTC(), b.ExpiresAt.UTC(), b.CreatedAt.UTC()
	return b
}

// Tombstone says that a request erased or restricted a subject, who is named by a keyed
// hash only. After a restore, tombstones are applied again to the restored data.
type Tombstone struct {
	ID          int64              `db:"id" json:"id"`
	RequestID   string             `db:"request_id" json:"request_id"`
	TenantID    string             `db:"tenant_id" json:"tenant_id"`
	Action      domain.RequestType `db:"action" json:"action"`
	SubjectHash []byte             `db:"subject_hash" json:"-"`
	// ErasureScope is the scope of an erasure; empty for a restriction.
	ErasureScope domain.ErasureScope `db:"erasure_scope" json:"erasure_scope,omitempty"`
	// RetainedUntil is the latest expiry, when the tombstone was recorded, of the backups
	// of the tenant's region taken until then; nil when there were none.
	RetainedUntil *time.Time `db:"retained_until" json:"retained_until,omitempty"`
	RecordedAt    time.Time  `db:"recorded_at" json:"recorded_at"`
	// RequestKnown is set when the request is in the record (TombstonesSince only).
	RequestKnown bool `db:"request_known" json:"-"`
}

const tombstoneColumns = `id, request_id, tenant_id, action, subject_hash, COALESCE(erasure_scope, '') AS erasure_scope,
	retained_until, recorded_at`

// retainedUntilSQL is, for the tenant t, the latest expiry of the backups of its region
// taken until now and not expired yet: until when copies of its current data live on.
const retainedUntilSQL = `(SELECT max(b.expires_at) FROM backups b WHERE b.region = t.region AND b.taken_at <= now() AND b.expires_at > now())`

// recordTombstoneSQL inserts the tombstone of ($1 request, $3 action) with the latest expiry
// of the backups of the tenant's region taken until now (and not yet expired); nothing when
// the tenant is unknown or the tombstone exists.
const recordTombstoneSQL = `
INSERT INTO tombstones (request_id, tenant_id, action, subject_hash, erasure_scope, retained_until)
SELECT $1, t.id, $3, $4, NULLIF($5, ''),
    ` + retainedUntilSQL + `
FROM tenants t WHERE t.id = $2
ON CONFLICT (request_id, action) DO NOTHING
RETURNING ` + tombstoneColumns

// RecordTombstone records t (RequestID, TenantID, Action, SubjectHash and, for an erasure,
// ErasureScope) and returns it as stored, with created set. When the tombstone of the same
// request and action exists, it returns that one, unchanged, with created false. An
// unknown tenant is ErrNotFound.
func (s *Store) RecordTombstone(ctx context.Context, t Tombstone) (out Tombstone, created bool, err error) {
	if _, err := uuid.Parse(t.RequestID); err != nil {
		return Tombstone{}, false, fmt.Errorf("record tombstone: request id %q is not a uuid", t.RequestID)
	}
	if _, err := uuid.Parse(t.TenantID); err != nil {
		return Tombstone{}, false, fmt.Errorf("record tombstone of request %s: tenant %q: %w", t.RequestID, t.TenantID, ErrNotFound)
	}
	err = s.db.GetContext(ctx, &out, recordTombstoneSQL, t.RequestID, t.TenantID, t.Action, t.SubjectHash, t.ErasureScope)
	if err == nil {
		return out.utc(), true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Tombstone{}, false, fmt.Errorf("record tombstone of request %s: %w", t.RequestID, err)
	}
	err = s.db.GetContext(ctx, &out, `SELECT `+tombstoneColumns+` FROM tombstones WHERE request_id = $1 AND action = $2`, t.RequestID, t.Action)
	if errors.Is(err, sql.ErrNoRows) {
		// Nothing inserted and nothing there: the tenant is not in the record.
		return Tombstone{}, false, fmt.Errorf("record tombstone of request %s: tenant %s: %w", t.RequestID, t.TenantID, ErrNotFound)
	}
	if err != nil {
		return Tombstone{}, false, fmt.Errorf("record tombstone of request %s: read the stored one: %w", t.RequestID, err)
	}
	return out.utc(), false, nil
}

// RetainedUntil returns the latest expiry of the backups of the tenant's region taken until
// now and not expired yet: until when copies of the tenant's current data live on in
// backups. ok is false when no backup holds them; an unknown tenant is ErrNotFound.
func (s *Store) RetainedUntil(ctx context.Context, tenantID string) (until time.Time, ok bool, err error) {
	if _, err := uuid.Parse(tenantID); err != nil {
		return time.Time{}, false, fmt.Errorf("backups of tenant %q: %w", tenantID, ErrNotFound)
	}
	var row struct {
		Until *time.Time `db:"until"`
	}
	err = s.db.GetContext(ctx, &row, `
		SELECT `+retainedUntilSQL+` AS until
		FROM tenants t WHERE t.id = $1`, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, fmt.Errorf("backups of tenant %s: %w", tenantID, ErrNotFound)
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("backups of tenant %s: %w", tenantID, err)
	}
	if row.Until == nil {
		return time.Time{}, false, nil
	}
	return row.Until.UTC(), true, nil
}

// TombstonesSince returns the tombstones recorded after since, in the order they were
// recorded, leaving out those of canceled requests (an erasure canceled while it waited may
// have left one). With regions, only tombstones of tenants in those regions are returned.
func (s *Store) TombstonesSince(ctx context.Context, since time.Time, regions []domain.Region) ([]Tombstone, error) {
	out := []Tombstone{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT ts.id, ts.request_id, ts.tenant_id, ts.action, ts.subject_hash, COALESCE(ts.erasure_scope, '') AS erasure_scope,
			ts.retained_until, ts.recorded_at, r.id IS NOT NULL AS request_known
		FROM tombstones ts
		JOIN tenants t ON t.id = ts.tenant_id
		LEFT JOIN requests r ON r.id = ts.request_id
		WHERE ts.recorded_at > $1
			AND (r.status IS NULL OR r.status <> $3)
			AND (cardinality($2::text[]) = 0 OR t.region = ANY($2::text[]))
		ORDER BY ts.recorded_at, ts.id`, since, pq.Array(nonNil(domain.Strings(regions))), domain.StatusCanceled)
	if err != nil {
		return nil, fmt.Errorf("read tombstones since %s: %w", since.UTC().Format(time.RFC3339), err)
	}
	for i := range out {
		out[i] = out[i].utc()
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (t Tombstone) utc() Tombstone {
	t.RecordedAt = t.RecordedAt.UTC()
	if t.RetainedUntil != nil {
		u := t.RetainedUntil.UTC()
		t.RetainedUntil = &u
	}
	return t
}
