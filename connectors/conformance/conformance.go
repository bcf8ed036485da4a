// Package conformance is the test suite every connector kind passes: the chat store, HTTP
// sub-processors, mail, backups, object storage. A connector's test supplies a Harness that
// builds the connector on a fresh system, seeds subjects in it and reads the system directly
// for ground truth; Run then checks the Connector contract case by case, each case with its
// own fresh subjects, in parallel:
//
//   - Find: an unknown subject (unknown email, unknown tenant, a known email in another
//     tenant) is not found and is no error; a seeded subject is found.
//   - Export: Begin comes before the rows of its category, each category once, each row has
//     one value per column, values are plain; the subject's email appears in the export (the
//     full one and the portability one, which holds no category the full one lacks); an
//     unknown subject yields no rows and no error.
//   - Erase (both scopes, end-user and agent): afterwards the system no longer holds the
//     subject (Harness.Has) and Find does not find them, while a neighbour in the same tenant
//     is untouched. The same request id again returns the stored outcome (Replayed, same
//     rows, same time); a new request id finds nothing to do; two concurrent calls with one
//     id act once. An end-user with an open conversation blocks erasure (ErrBlocked, nothing
//     changed, no receipt) until the same request comes back with Override.
//   - Rectify: an unknown field is ErrInvalid; a rectified value shows in the next export and
//     never in the outcome; a retry is replayed.
//   - Restrict and Object: the data stays, a retry is replayed; an unknown purpose is
//     ErrInvalid.
//
// The suite is modelled on river's driver test suite: one Run, many small cases, no case
// depending on another.
package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
)

// Roles a Harness can seed.
const (
	// RoleEndUser is a website visitor of the tenant.
	RoleEndUser = "end_user"
	// RoleAgent is a member of the tenant's staff who is not the account owner.
	RoleAgent = "agent"
)

// SubjectSpec says what subject Harness.Seed creates.
type SubjectSpec struct {
	// Role is RoleEndUser or RoleAgent.
	Role string
	// OpenConversation asks for an end-user who is the requester on an open conversation,
	// which blocks their erasure.
	OpenConversation bool
}

// Harness adapts one connector kind to the suite.
type Harness interface {
	// New returns a connector on a fresh system. Run calls it once and seeds every case's
	// subjects into that system, so cases also check that they leave each other alone.
	New(t *testing.T) connectors.Connector
	// Seed creates a new subject, unknown to the system until now, with some data of every
	// kind the system holds, and returns it. The subject's email must appear in an export of
	// their data. Subjects seeded by one harness share a tenant. A harness that cannot
	// express spec calls t.Skipf with the reason.
	Seed(t *testing.T, c connectors.Connector, spec SubjectSpec) connectors.Subject
	// Has reports whether the system still holds the subject's identity, read directly from
	// the system rather than through the connector.
	Has(t *testing.T, c connectors.Connector, s connectors.Subject) bool
	// RectifyField names a field Rectify accepts whose new value shows in an export of the
	// subject; "" when the connector rectifies nothing, which skips the rectification cases.
	RectifyField() string
}

// Run runs the suite against the connector h builds.
func Run(t *testing.T, h Harness) {
	t.Helper()
	c := h.New(t)
	require.NotEmpty(t, c.Name(), "connector name")
	require.Contains(t, []string{connectors.KindDatabase, connectors.KindSubprocessor, connectors.KindBackup, connectors.KindObjectStore}, c.Kind())

	s := &suite{h: h, c: c}
	t.Run("Find", s.find)
	t.Run("Export", s.export)
	t.Run("Erase", s.erase)
	t.Run("Rectify", s.rectify)
	t.Run("Restrict", s.restrict)
	t.Run("Object", s.object)
}

type suite struct {
	h Harness
	c connectors.Connector
}

var (
	endUser = SubjectSpec{Role: RoleEndUser}
	agent   = SubjectSpec{Role: RoleAgent}
)

var specs = []struct {
	name string
	spec SubjectSpec
}{
	{"EndUser", endUser},
	{"Agent", agent},
}

func (s *suite) seed(t *testing.T, spec SubjectSpec) connectors.Subject {
	t.Helper()
	subj := s.h.Seed(t, s.c, spec)
	require.NotEmpty(t, subj.TenantID, "seeded subject's tenant")
	require.NotEmpty(t, subj.Email, "seeded subject's email")
	require.True(t, s.h.Has(t, s.c, subj), "the system holds the subject just seeded")
	return subj
}

func request(typ string, subj connectors.Subject) connectors.Request {
	return connectors.Request{ID: uuid.NewString(), Type: typ, Subject: subj}
}

func unknownEmail() string { return "nobody-" + uuid.NewString() + "@example.invalid" }

func sumRows(o connectors.Outcome) int64 {
	var n int64
	for _, v := range o.Rows {
		n += v
	}
	return n
}

func (s *suite) export(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	for _, tt := range specs {
		t.Run("Streams"+tt.name, func(t *testing.T) {
			t.Parallel()
			subj := s.seed(t, tt.spec)
			var rec Recorder
			require.NoError(t, s.c.Export(ctx, request(connectors.TypeAccess, subj), connectors.ExportScope{}, &rec))
			require.NotEmpty(t, rec.Names(), "categories")
			require.Positive(t, rec.RowCount(), "rows")
			for _, cat := range rec.Categories() {
				for i, row := range cat.Rows {
					require.Len(t, row, len(cat.Columns), "category %s row %d", cat.Name, i)
				}
			}
			require.True(t, rec.Contains(subj.Email), "the export holds the subject's email")
		})
		t.Run("Portability"+tt.name, func(t *testing.T) {
			t.Parallel()
			subj := s.seed(t, tt.spec)
			var full, portable Recorder
			require.NoError(t, s.c.Export(ctx, request(connectors.TypeAccess, subj), connectors.ExportScope{}, &full))
			require.NoError(t, s.c.Export(ctx, request(connectors.TypePortability, subj), connectors.ExportScope{Portability: true}, &portable))
			require.True(t, portable.Contains(subj.Email), "the portability export holds the subject's email")
			require.Subset(t, full.Names(), portable.Names(), "portability categories are export categories")
			require.LessOrEqual(t, portable.RowCount(), full.RowCount(), "portability holds no more than access")
		})
	}
	t.Run("UnknownSubject", func(t *testing.T) {
		t.Parallel()
		known := s.seed(t, endUser)
		for _, scope := range []connectors.ExportScope{{}, {Portability: true}} {
			var rec Recorder
			unknown := connectors.Subject{TenantID: known.TenantID, Email: unknownEmail()}
			require.NoError(t, s.c.Export(ctx, request(connectors.TypeAccess, unknown), scope, &rec))
			require.Zero(t, rec.RowCount(), "rows for an unknown subject (portability %v)", scope.Portability)
		}
	})
	t.Run("OtherTenant", func(t *testing.T) {
		t.Parallel()
		known := s.seed(t, endUser)
		var rec Recorder
		elsewhere := connectors.Subject{TenantID: uuid.NewString(), Email: known.Email}
		require.NoError(t, s.c.Export(ctx, request(connectors.TypeAccess, elsewhere), connectors.ExportScope{}, &rec))
		require.Zero(t, rec.RowCount(), "another tenant's export must not hold this tenant's subject")
	})
}

func (s *suite) find(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("Unknown", func(t *testing.T) {
		t.Parallel()
		known := s.seed(t, endUser)
		for _, tt := range []struct {
			name string
			subj connectors.Subject
		}{
			{"UnknownEmail", connectors.Subject{TenantID: known.TenantID, Email: unknownEmail()}},
			{"UnknownTenant", connectors.Subject{TenantID: uuid.NewString(), Email: unknownEmail()}},
			{"KnownEmailOtherTenant", connectors.Subject{TenantID: uuid.NewString(), Email: known.Email}},
		} {
			m, err := s.c.Find(ctx, tt.subj)
			require.NoError(t, err, tt.name)
			require.False(t, m.Found, tt.name)
		}
	})
	for _, tt := range specs {
		t.Run("Seeded"+tt.name, func(t *testing.T) {
			t.Parallel()
			subj := s.seed(t, tt.spec)
			m, err := s.c.Find(ctx, subj)
			require.NoError(t, err)
			require.True(t, m.Found)
			var total int64
			for cat, n := range m.Counts {
				require.GreaterOrEqual(t, n, int64(0), "count of %s", cat)
				total += n
			}
			if m.Counts != nil {
				require.Positive(t, total, "counts of a seeded subject")
			}
			upper := connectors.Subject{TenantID: subj.TenantID, Email: strings.ToUpper(subj.Email)}
			m, err = s.c.Find(ctx, upper)
			require.NoError(t, err)
			require.True(t, m.Found, "emails match whatever their case")
		})
	}
}

func (s *suite) erase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	for _, tt := range specs {
		for _, scope := range []string{connectors.ScopeProfile, connectors.ScopeFull} {
			t.Run("Removes"+tt.name+"Scope_"+scope, func(t *testing.T) {
				t.Parallel()
				subj := s.seed(t, tt.spec)
				neighbour := s.seed(t, tt.spec)
				before, err := s.c.Find(ctx, neighbour)
				require.NoError(t, err)

				req := request(connectors.TypeErasure, subj)
				req.ErasureScope = scope
				out, err := s.c.Erase(ctx, req)
				require.NoError(t, err)
				require.False(t, out.Replayed)
				require.Equal(t, s.c.Name(), out.Connector)
				require.Positive(t, sumRows(out), "rows erased")
				require.False(t, out.AppliedAt.IsZero(), "applied at")

				require.False(t, s.h.Has(t, s.c, subj), "the system still holds the subject")
				m, err := s.c.Find(ctx, subj)
				require.NoError(t, err)
				require.False(t, m.Found)

				require.True(t, s.h.Has(t, s.c, neighbour), "the neighbour was erased too")
				after, err := s.c.Find(ctx, neighbour)
				require.NoError(t, err)
				require.Equal(t, before, after, "the neighbour's records changed")
			})
		}
	}

	t.Run("ReplaySameRequest", func(t *testing.T) {
		t.Parallel()
		subj := s.seed(t, endUser)
		req := request(connectors.TypeErasure, subj)
		req.ErasureScope = connectors.ScopeFull
		first, err := s.c.Erase(ctx, req)
		require.NoError(t, err)
		require.False(t, first.Replayed)

		second, err := s.c.Erase(ctx, req)
		require.NoError(t, err)
		require.True(t, second.Replayed)
		require.Equal(t, first.Rows, second.Rows, "a replay reports the rows of the first run")
		require.True(t, first.AppliedAt.Equal(second.AppliedAt), "a replay reports the time of the first run")
		require.Equal(t, first.Exceptions, second.Exceptions)
		require.False(t, s.h.Has(t, s.c, subj))
	})

	t.Run("NewRequestAfterErasure", func(t *testing.T) {
		t.Parallel()
		subj := s.seed(t, endUser)
		req := request(connectors.TypeErasure, subj)
		_, err := s.c.Erase(ctx, req)
		require.NoError(t, err)

		again, err := s.c.Erase(ctx, request(connectors.TypeErasure, subj))
		require.NoError(t, err)
		require.False(t, again.Replayed, "a new request id is not a replay")
		require.Zero(t, sumRows(again), "nothing left to erase: %v", again.Rows)
	})

	t.Run("UnknownSubject", func(t *testing.T) {
		t.Parallel()
		known := s.seed(t, endUser)
		unknown := connectors.Subject{TenantID: known.TenantID, Email: unknownEmail()}
		out, err := s.c.Erase(ctx, request(connectors.TypeErasure, unknown))
		require.NoError(t, err)
		require.Zero(t, sumRows(out))
		require.True(t, s.h.Has(t, s.c, known), "erasing an unknown subject touched a known one")
	})

	t.Run("ConcurrentSameRequest", func(t *testing.T) {
		t.Parallel()
		subj := s.seed(t, endUser)
		req := request(connectors.TypeErasure, subj)
		req.ErasureScope = connectors.ScopeFull

		const callers = 2
		outs := make([]connectors.Outcome, callers)
		errs := make([]error, callers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range callers {
			wg.Go(func() {
				<-start
				outs[i], errs[i] = s.c.Erase(ctx, req)
			})
		}
		close(start)
		wg.Wait()

		acted := 0
		for i := range callers {
			require.NoError(t, errs[i], "caller %d", i)
			if !outs[i].Replayed {
				acted++
			}
		}
		require.Equal(t, 1, acted, "exactly one caller acts, the other replays")
		require.Equal(t, outs[0].Rows, outs[1].Rows)
		require.Positive(t, sumRows(outs[0]))
		require.False(t, s.h.Has(t, s.c, subj))
	})

	t.Run("BlockedByOpenConversation", func(t *testing.T) {
		t.Parallel()
		subj := s.seed(t, SubjectSpec{Role: RoleEndUser, OpenConversation: true})
		req := request(connectors.TypeErasure, subj)
		req.ErasureScope = connectors.ScopeFull

		blockers, err := s.c.Blockers(ctx, req)
		require.NoError(t, err)
		require.Len(t, blockers, 1)
		require.Equal(t, connectors.BlockerOpenConversations, blockers[0].Code)
		require.Positive(t, blockers[0].Count)

		before, err := s.c.Find(ctx, subj)
		require.NoError(t, err)
		_, err = s.c.Erase(ctx, req)
		require.ErrorIs(t, err, connectors.ErrBlocked)
		require.True(t, s.h.Has(t, s.c, subj), "a blocked erasure deleted the subject")
		after, err := s.c.Find(ctx, subj)
		require.NoError(t, err)
		require.Equal(t, before, after, "a blocked erasure changed something")

		// The DPO overrides: the same request comes back, and must act rather than replay.
		req.Override = true
		out, err := s.c.Erase(ctx, req)
		require.NoError(t, err)
		require.False(t, out.Replayed, "the blocked attempt left a receipt")
		require.Positive(t, sumRows(out))
		require.False(t, s.h.Has(t, s.c, subj))
	})

	t.Run("NotBlockedWithoutOpenConversation", func(t *testing.T) {
		t.Parallel()
		for _, tt := range specs {
			subj := s.seed(t, tt.spec)
			blockers, err := s.c.Blockers(ctx, request(connectors.TypeErasure, subj))
			require.NoError(t, err, tt.name)
			require.Empty(t, blockers, tt.name)
		}
	})
}

func (s *suite) rectify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("UnknownField", func(t *testing.T) {
		t.Parallel()
		subj := s.seed(t, endUser)
		before, err := s.c.Find(ctx, subj)
		require.NoError(t, err)
		req := request(connectors.TypeRectification, subj)
		req.Rectification = map[string]string{"no_such_field_" + strings.ReplaceAll(uuid.NewString()[:8], "-", ""): "x"}
		_, err = s.c.Rectify(ctx, req)
		require.ErrorIs(t, err, connectors.ErrInvalid)
		after, err := s.c.Find(ctx, subj)
		require.NoError(t, err)
		require.Equal(t, before, after)
	})

	for _, tt := range specs {
		t.Run("ShowsInExport"+tt.name, func(t *testing.T) {
			t.Parallel()
			field := s.h.RectifyField()
			if field == "" {
				t.Skipf("connector %s rectifies no field", s.c.Name())
			}
			subj := s.seed(t, tt.spec)
			value := "Rectified " + uuid.NewString()[:8]
			req := request(connectors.TypeRectification, subj)
			req.Rectification = map[string]string{field: value}

			out, err := s.c.Rectify(ctx, req)
			require.NoError(t, err)
			require.False(t, out.Replayed)
			require.Equal(t, []string{field}, out.Fields)
			require.Positive(t, sumRows(out))
			body, err := json.Marshal(out)
			require.NoError(t, err)
			require.NotContains(t, string(body), value, "an outcome must not hold the new value")

			var rec Recorder
			require.NoError(t, s.c.Export(ctx, request(connectors.TypeAccess, subj), connectors.ExportScope{}, &rec))
			require.True(t, rec.Contains(value), "the export shows the rectified value")

			again, err := s.c.Rectify(ctx, req)
			require.NoError(t, err)
			require.True(t, again.Replayed)
			require.Equal(t, out.Rows, again.Rows)
		})
	}
}

func (s *suite) restrict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range specs {
		t.Run("Idempotent"+tt.name, func(t *testing.T) {
			t.Parallel()
			subj := s.seed(t, tt.spec)
			req := request(connectors.TypeRestriction, subj)
			first, err := s.c.Restrict(ctx, req)
			require.NoError(t, err)
			require.False(t, first.Replayed)
			require.Positive(t, sumRows(first), "rows restricted")

			second, err := s.c.Restrict(ctx, req)
			require.NoError(t, err)
			require.True(t, second.Replayed)
			require.Equal(t, first.Rows, second.Rows)
			require.True(t, first.AppliedAt.Equal(second.AppliedAt))

			require.True(t, s.h.Has(t, s.c, subj), "restriction keeps the data")
			var rec Recorder
			require.NoError(t, s.c.Export(ctx, request(connectors.TypeAccess, subj), connectors.ExportScope{}, &rec))
			require.True(t, rec.Contains(subj.Email), "a restricted subject can still access their data")
		})
	}
}

func (s *suite) object(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range specs {
		t.Run("Idempotent"+tt.name, func(t *testing.T) {
			t.Parallel()
			subj := s.seed(t, tt.spec)
			req := request(connectors.TypeObjection, subj)
			req.ObjectionPurposes = []string{"marketing", "analytics"}
			first, err := s.c.Object(ctx, req)
			require.NoError(t, err)
			require.False(t, first.Replayed)
			require.Positive(t, sumRows(first), "rows with the objection recorded")

			second, err := s.c.Object(ctx, req)
			require.NoError(t, err)
			require.True(t, second.Replayed)
			require.Equal(t, first.Rows, second.Rows)
			require.True(t, s.h.Has(t, s.c, subj), "an objection keeps the data")
		})
	}
	t.Run("UnknownPurpose", func(t *testing.T) {
		t.Parallel()
		subj := s.seed(t, endUser)
		for _, tt := range []struct {
			name     string
			purposes []string
		}{
			{"Unknown", []string{"telepathy"}},
			{"KnownAndUnknown", []string{"marketing", "telepathy"}},
		} {
			req := request(connectors.TypeObjection, subj)
			req.ObjectionPurposes = tt.purposes
			_, err := s.c.Object(ctx, req)
			require.ErrorIs(t, err, connectors.ErrInvalid, tt.name)
			require.False(t, errors.Is(err, connectors.ErrBlocked), tt.name)
		}
		// Nothing was recorded: the valid purpose alone still changes something.
		req := request(connectors.TypeObjection, subj)
		req.ObjectionPurposes = []string{"marketing"}
		out, err := s.c.Object(ctx, req)
		require.NoError(t, err)
		require.Positive(t, sumRows(out), "a rejected objection must not be half applied")
	})
}
