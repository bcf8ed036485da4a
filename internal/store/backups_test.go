package store_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// backupAt is a backup of the region taken and expiring relative to now.
func backupAt(id string, region domain.Region, taken, expires time.Duration) store.Backup {
	now := time.Now().UTC().Truncate(time.Second)
	return store.Backup{ID: id, Region: region, Kind: "full", TakenAt: now.Add(taken), ExpiresAt: now.Add(expires)}
}

func addBackups(t *testing.T, s *store.Store, bs ...store.Backup) {
	t.Helper()
	for _, b := range bs {
		_, err := s.AddBackup(ctx, b)
		require.NoError(t, err, "add backup %s", b.ID)
	}
}

func hash(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func TestBackupCatalog(t *testing.T) {
	t.Parallel()
	s := setup(t)

	list, err := s.ListBackups(ctx)
	require.NoError(t, err)
	require.NotNil(t, list, "an empty catalog lists as [] rather than null")
	require.Empty(t, list)

	newer := backupAt("b-2", "us", -time.Hour, 30*24*time.Hour)
	newer.Kind = "wal"
	older := backupAt("b-1", "eu", -48*time.Hour, 7*24*time.Hour)
	got, err := s.AddBackup(ctx, newer)
	require.NoError(t, err)
	require.Equal(t, newer.ID, got.ID)
	require.True(t, newer.TakenAt.Equal(got.TakenAt))
	require.True(t, newer.ExpiresAt.Equal(got.ExpiresAt))
	require.Equal(t, "wal", got.Kind)
	require.False(t, got.CreatedAt.IsZero())
	addBackups(t, s, older)

	list, err = s.ListBackups(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, []string{"b-1", "b-2"}, []string{list[0].ID, list[1].ID}, "oldest first")
	require.Equal(t, time.UTC, list[0].TakenAt.Location())

	// The same backup again is fine; the same id with other values is not.
	again, err := s.AddBackup(ctx, older)
	require.NoError(t, err)
	require.Equal(t, list[0], again)
	moved := older
	moved.ExpiresAt = moved.ExpiresAt.Add(time.Hour)
	_, err = s.AddBackup(ctx, moved)
	require.ErrorIs(t, err, store.ErrBackupConflict)

	tests := []struct {
		name   string
		change func(*store.Backup)
		want   string
	}{
		{name: "empty id", change: func(b *store.Backup) { b.ID = " " }, want: "id is empty"},
		{name: "no taken at", change: func(b *store.Backup) { b.TakenAt = time.Time{} }, want: "taken_at"},
		{name: "expires before taken", change: func(b *store.Backup) { b.ExpiresAt = b.TakenAt.Add(-time.Second) }, want: "expires_at must be after taken_at"},
		{name: "expires when taken", change: func(b *store.Backup) { b.ExpiresAt = b.TakenAt }, want: "expires_at must be after taken_at"},
		{name: "unknown region", change: func(b *store.Backup) { b.Region = "mars" }, want: `region "mars"`},
		{name: "unknown kind", change: func(b *store.Backup) { b.Kind = "tape" }, want: `kind "tape"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := backupAt("bad-"+uuid.NewString(), "eu", -time.Hour, time.Hour)
			tc.change(&b)
			_, err := s.AddBackup(ctx, b)
			require.ErrorContains(t, err, tc.want)
		})
	}
	list, err = s.ListBackups(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2, "nothing invalid went into the catalog")
}

func TestRecordTombstone(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tn := tenant(t, s) // eu
	day := 24 * time.Hour
	latest := backupAt("eu-latest", "eu", -2*day, 20*day)
	addBackups(t, s,
		backupAt("eu-old", "eu", -10*day, 10*day),
		latest,
		backupAt("eu-expired", "eu", -40*day, -day),
		backupAt("eu-future", "eu", time.Hour, 60*day), // not taken yet
		backupAt("us-later", "us", -day, 90*day),       // another region
	)

	until, ok, err := s.RetainedUntil(ctx, tn.ID)
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, latest.ExpiresAt.Equal(until), "latest expiry of the region's backups taken until now: got %s", until)

	ts := store.Tombstone{RequestID: uuid.NewString(), TenantID: tn.ID, Action: domain.Erasure,
		SubjectHash: hash("a"), ErasureScope: "full"}
	first, created, err := s.RecordTombstone(ctx, ts)
	require.NoError(t, err)
	require.True(t, created)
	require.Positive(t, first.ID)
	require.Equal(t, ts.RequestID, first.RequestID)
	require.Equal(t, tn.ID, first.TenantID)
	require.Equal(t, domain.ScopeFull, first.ErasureScope)
	require.Equal(t, ts.SubjectHash, first.SubjectHash)
	require.NotNil(t, first.RetainedUntil)
	require.True(t, latest.ExpiresAt.Equal(*first.RetainedUntil))
	require.WithinDuration(t, time.Now(), first.RecordedAt, time.Minute)

	// A later backup does not change what the request was told.
	addBackups(t, s, backupAt("eu-next", "eu", -time.Minute, 45*day))
	second, created, err := s.RecordTombstone(ctx, ts)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, first, second)

	// The same request may hold another action; a restriction has no scope.
	r, created, err := s.RecordTombstone(ctx, store.Tombstone{RequestID: ts.RequestID, TenantID: tn.ID,
		Action: domain.Restriction, SubjectHash: hash("a")})
	require.NoError(t, err)
	require.True(t, created)
	require.Empty(t, r.ErasureScope)
	require.True(t, r.RetainedUntil.After(*first.RetainedUntil), "recorded after the newer backup")

	_, _, err = s.RecordTombstone(ctx, store.Tombstone{RequestID: uuid.NewString(), TenantID: uuid.NewString(),
		Action: domain.Erasure, SubjectHash: hash("a"), ErasureScope: "full"})
	require.ErrorIs(t, err, store.ErrNotFound, "unknown tenant")
	_, _, err = s.RecordTombstone(ctx, store.Tombstone{RequestID: uuid.NewString(), TenantID: tn.ID,
		Action: domain.Erasure, SubjectHash: []byte("short"), ErasureScope: "full"})
	require.Error(t, err, "a hash is 32 bytes")
	_, _, err = s.RecordTombstone(ctx, store.Tombstone{RequestID: uuid.NewString(), TenantID: tn.ID,
		Action: domain.Erasure, SubjectHash: hash("a")})
	require.Error(t, err, "an erasure has a scope")
}

func TestRetainedUntilWithoutBackups(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tn := tenant(t, s)
	addBackups(t, s, backupAt("us-only", "us", -time.Hour, time.Hour))

	_, ok, err := s.RetainedUntil(ctx, tn.ID)
	require.NoError(t, err)
	require.False(t, ok, "no backup of the tenant's region")
	ts, _, err := s.RecordTombstone(ctx, store.Tombstone{RequestID: uuid.NewString(), TenantID: tn.ID,
		Action: domain.Restriction, SubjectHash: hash("b")})
	require.NoError(t, err)
	require.Nil(t, ts.RetainedUntil)

	_, _, err = s.RetainedUntil(ctx, uuid.NewString())
	require.ErrorIs(t, err, store.ErrNotFound)
	_, _, err = s.RetainedUntil(ctx, "not-a-uuid")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestTombstonesSince(t *testing.T) {
	t.Parallel()
	s := setup(t)
	eu := tenant(t, s)
	us, err := s.CreateTenant(ctx, store.Tenant{Name: "Yankee", Region: "us", Country: "US", TZ: "America/New_York"})
	require.NoError(t, err)

	record := func(tenantID, requestID string) store.Tombstone {
		t.Helper()
		ts, created, err := s.RecordTombstone(ctx, store.Tombstone{RequestID: requestID, TenantID: tenantID,
			Action: domain.Erasure, SubjectHash: hash(requestID), ErasureScope: "profile"})
		require.NoError(t, err)
		require.True(t, created)
		return ts
	}
	before := record(eu.ID, request(t, s, eu.ID, "erasure").ID)
	time.Sleep(10 * time.Millisecond)
	var since time.Time
	require.NoError(t, s.DB().GetContext(ctx, &since, `SELECT now()`))
	time.Sleep(10 * time.Millisecond)

	known := record(eu.ID, request(t, s, eu.ID, "erasure").ID)
	unknown := record(eu.ID, uuid.NewString()) // a request id the record does not have
	canceled := request(t, s, eu.ID, "erasure")
	record(eu.ID, canceled.ID)
	setStatus(t, s, canceled.ID, domain.StatusCanceled)
	other := record(us.ID, request(t, s, us.ID, "erasure").ID)

	got, err := s.TombstonesSince(ctx, since, nil)
	require.NoError(t, err)
	var ids []int64
	for _, ts := range got {
		ids = append(ids, ts.ID)
	}
	require.Equal(t, []int64{known.ID, unknown.ID, other.ID}, ids, "recorded after since, in order, without the canceled request's")
	require.True(t, got[0].RequestKnown)
	require.False(t, got[1].RequestKnown)
	require.Equal(t, known.SubjectHash, got[0].SubjectHash)

	got, err = s.TombstonesSince(ctx, since, []domain.Region{domain.RegionUS})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, other.ID, got[0].ID)

	got, err = s.TombstonesSince(ctx, before.RecordedAt.Add(-time.Second), []domain.Region{domain.RegionEU})
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.Equal(t, before.ID, got[0].ID)

	got, err = s.TombstonesSince(ctx, time.Now().Add(time.Hour), nil)
	require.NoError(t, err)
	require.NotNil(t, got)
	require.Empty(t, got)
}
