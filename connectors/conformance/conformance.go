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
//   - Erase (both scopes, end-user and agent; an unknown scope is ErrInvalid and changes
//     nothing): afterwards the system no longer holds the
//     subject (Harness.Has) and Find does not find them, while a neighbour in the same tenant
//     is untouched. The same request id again returns the stored outcome (Replayed, same
//     rows, same time); a new request id finds nothing to do; two concurrent calls with one
//     id act once. An end-user with an open conversation blocks erasure (ErrBlocked, nothing
//     changed, no receipt) until the same request comes back with Override.
//   - Rectify: an unknown field, or an email that is not an address, is ErrInvalid; a
//     rectified value shows in the next export and never in the outcome; a retry is
//     replayed.
//   - Restrict and Object: the data stays, a retry is replayed; an unknown purpose is
//     ErrInvalid.
//
// Every outcome that names a recipient (sub-processors, for the Art. 19 ledger) names the
// connector, with a known status and kind; a Job in an outcome has an id, a reason and a
// delay before its next check.
//
// A harness that implements RecordOnly runs the suite on a connector that holds no
// personal data but records each change: backups (a tombstone per erasure or restriction),
// sub-processors that need no notice or are reached by mail. A harness that implements
// RequestPreparer sees each request before the connector does.
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
	"dsr/internal/domain"
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

// RecordOnly is implemented by a harness whose connector holds no personal data of its own
// but records each change (backups' tombstones, sub-processors' ledger entries). When
// RecordOnly returns true the suite checks instead that the connector finds and exports
// nothing, not even for a seeded subject; records each change once, a retry of the same
// request being replayed or harmless (the same action, rows and recipient); validates its
// input like the others (an unknown rectification field or objection purpose is
// ErrInvalid); and never fails on an unknown subject. It does not count rows (the
// connector counts what it recorded, perhaps nothing), and Has need not turn false for an
// erased subject (there was no data to erase), but must stay true for every other. The
// field rectified is RectifyField, or "name" when that is "".
type RecordOnly interface {
	RecordOnly() bool
}

// RequestPreparer is implemented by a harness whose connector reads the request it acts on
// from a record of its own (a sub-processor reached by mail reads the request's deadlines
// from the orchestrator database). The suite calls PrepareRequest with each request it
// makes, before it gives it to the connector; the harness records the request and may set
// req.ID to the id the record gave it.
type RequestPreparer interface {
	PrepareRequest(t *testing.T, c connectors.Connector, req *connectors.Request)
}

// Run runs the suite against the connector h builds.
func Run(t *testing.T, h Harness) {
	t.Helper()
	c := h.New(t)
	require.NotEmpty(t, c.Name(), "connector name")
	require.Contains(t, []string{connectors.KindDatabase, connectors.KindSubprocessor, connectors.KindBackup, connectors.KindObjectStore}, c.Kind())

	s := &suite{h: h, c: c}
	if ro, ok := h.(RecordOnly); ok {
		s.recordOnly = ro.RecordOnly()
	}
	s.prep, _ = h.(RequestPreparer)
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
	// recordOnly is set when the harness's RecordOnly says so.
	recordOnly bool
	// prep is the harness as a RequestPreparer; nil when it is none.
	prep RequestPreparer
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

// request returns a new request, prepared by the harness when it is a RequestPreparer.
func (s *suite) request(t *testing.T, typ domain.RequestType, subj connectors.Subject) connectors.Request {
	t.Helper()
	req := connectors.Request{ID: uuid.NewString(), Type: typ, Subject: subj}
	if s.prep != nil {
		s.prep.PrepareRequest(t, s.c, &req)
		require.NotEmpty(t, req.ID, "prepared request's id")
	}
	return req
}

// changedRows checks that out counts some rows changed; a record-only connector reports
// what it recorded, perhaps nothing.
func (s *suite) changedRows(t *testing.T, out domain.Outcome, what string) {
	t.Helper()
	if !s.recordOnly {
		require.Positive(t, sumRows(out), what)
	}
}

// erased checks that the system no longer holds subj after their erasure; a record-only
// connector held nothing to erase.
func (s *suite) erased(t *testing.T, subj connectors.Subject) {
	t.Helper()
	if !s.recordOnly {
		require.False(t, s.h.Has(t, s.c, subj), "the system still holds the subject")
	}
}

// checkOutcome checks the outcome of a change: a recipient it names is the connector, in a
// known status and kind; a job it leaves for later can be checked again.
func (s *suite) checkOutcome(t *testing.T, out domain.Outcome) {
	t.Helper()
	if r := out.Recipient; r != nil {
		require.Equal(t, s.c.Name(), r.Name, "recipient's name")
		require.Contains(t, domain.RecipientStatuses, r.Status, "recipient's status")
		require.Contains(t, domain.Reaches, r.Kind, "recipient's kind")
	}
	if j := out.Job; j != nil {
		require.NotEmpty(t, j.ID, "job's id")
		require.NotEmpty(t, j.Reason, "job's reason")
		require.Positive(t, j.CheckAfter, "delay before the job's next check")
	}
}

// retried checks the outcome of a retry, again, against first, the outcome of the first
// call: it is a replay or, from a record-only connector, the same record made again.
func (s *suite) retried(t *testing.T, first, again domain.Outcome) {
	t.Helper()
	s.checkOutcome(t, again)
	if !again.Replayed {
		require.True(t, s.recordOnly, "a retry of the same request is replayed")
		require.Equal(t, first.Action, again.Action, "a retry records the same action")
		require.Equal(t, first.Recipient, again.Recipient, "a retry leaves the recipient as it was")
	}
	require.Equal(t, first.Rows, again.Rows, "a retry reports the rows of the first run")
}

func unknownEmail() string { return "nobody-" + uuid.NewString() + "@example.invalid" }

func sumRows(o domain.Outcome) int64 {
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
			require.NoError(t, s.c.Export(ctx, s.request(t, domain.Access, subj), connectors.ExportScope{}, &rec))
			if s.recordOnly {
				require.Zero(t, rec.RowCount(), "rows from a record-only connector")
				require.False(t, rec.Contains(subj.Email), "a record-only connector exports the subject's email")
				return
			}
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
			require.NoError(t, s.c.Export(ctx, s.request(t, domain.Access, subj), connectors.ExportScope{}, &full))
			require.NoError(t, s.c.Export(ctx, s.request(t, domain.Portability, subj), connectors.ExportScope{Portability: true}, &portable))
			if s.recordOnly {
				require.False(t, full.Contains(subj.Email), "a record-only connector exports the subject's email")
				require.False(t, portable.Contains(subj.Email), "a record-only connector exports the subject's email")
			} else {
				require.True(t, portable.Contains(subj.Email), "the portability export holds the subject's email")
			}
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
			require.NoError(t, s.c.Export(ctx, s.request(t, domain.Access, unknown), scope, &rec))
			require.Zero(t, rec.RowCount(), "rows for an unknown subject (portability %v)", scope.Portability)
		}
	})
	t.Run("OtherTenant", func(t *testing.T) {
		t.Parallel()
		known := s.seed(t, endUser)
		var rec Recorder
		elsewhere := connectors.Subject{TenantID: uuid.NewString(), Email: known.Email}
		require.NoError(t, s.c.Export(ctx, s.request(t, domain.Access, elsewhere), connectors.ExportScope{}, &rec))
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
			if s.recordOnly {
				require.False(t, m.Found, "a record-only connector finds no one")
				require.Empty(t, m.Counts, "counts from a record-only connector")
				return
			}
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
	for _, tt := range specs {
		for _, scope := range domain.ErasureScopes {
			t.Run("Removes"+tt.name+"Scope_"+string(scope), func(t *testing.T) { s.eraseRemoves(t, tt.spec, scope) })
		}
	}
	for _, sub := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"UnknownScope", s.eraseUnknownScope},
		{"ReplaySameRequest", s.eraseReplaySameRequest},
		{"NewRequestAfterErasure", s.eraseNewRequestAfterErasure},
		{"UnknownSubject", s.eraseUnknownSubject},
		{"ConcurrentSameRequest", s.eraseConcurrentSameRequest},
		{"BlockedByOpenConversation", s.eraseBlockedByOpenConversation},
		{"NotBlockedWithoutOpenConversation", s.eraseNotBlockedWithoutOpenConversation},
	} {
		t.Run(sub.name, sub.run)
	}
}

// eraseRemoves: an erasure of the scope removes the subject and nothing of a neighbour's.
func (s *suite) eraseRemoves(t *testing.T, spec SubjectSpec, scope domain.ErasureScope) {
	t.Parallel()
	ctx := context.Background()
	subj := s.seed(t, spec)
	neighbour := s.seed(t, spec)
	before, err := s.c.Find(ctx, neighbour)
	require.NoError(t, err)

	req := s.request(t, domain.Erasure, subj)
	req.ErasureScope = scope
	out, err := s.c.Erase(ctx, req)
	require.NoError(t, err)
	require.False(t, out.Replayed)
	require.Equal(t, s.c.Name(), out.Connector)
	s.checkOutcome(t, out)
	s.changedRows(t, out, "rows erased")
	require.False(t, out.AppliedAt.IsZero(), "applied at")

	s.erased(t, subj)
	m, err := s.c.Find(ctx, subj)
	require.NoError(t, err)
	require.False(t, m.Found)

	require.True(t, s.h.Has(t, s.c, neighbour), "the neighbour was erased too")
	after, err := s.c.Find(ctx, neighbour)
	require.NoError(t, err)
	require.Equal(t, before, after, "the neighbour's records changed")
}

// eraseUnknownScope: an unknown scope is refused and leaves nothing behind.
func (s *suite) eraseUnknownScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	subj := s.seed(t, endUser)
	req := s.request(t, domain.Erasure, subj)
	req.ErasureScope = "everything"
	_, err := s.c.Erase(ctx, req)
	require.ErrorIs(t, err, connectors.ErrInvalid)
	require.True(t, s.h.Has(t, s.c, subj), "a rejected erasure removes nothing")
	// Nothing was recorded under the request: the same request with a known scope acts.
	req.ErasureScope = domain.ScopeFull
	out, err := s.c.Erase(ctx, req)
	require.NoError(t, err)
	require.False(t, out.Replayed, "the rejected attempt left no receipt")
	s.erased(t, subj)
}

// eraseReplaySameRequest: the same request again replays its receipt.
func (s *suite) eraseReplaySameRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	subj := s.seed(t, endUser)
	req := s.request(t, domain.Erasure, subj)
	req.ErasureScope = domain.ScopeFull
	first, err := s.c.Erase(ctx, req)
	require.NoError(t, err)
	require.False(t, first.Replayed)
	s.checkOutcome(t, first)

	second, err := s.c.Erase(ctx, req)
	require.NoError(t, err)
	s.retried(t, first, second)
	if second.Replayed {
		require.True(t, first.AppliedAt.Equal(second.AppliedAt), "a replay reports the time of the first run")
	}
	require.Equal(t, first.Exceptions, second.Exceptions)
	s.erased(t, subj)
}

// eraseNewRequestAfterErasure: a new request for an erased subject acts, on nothing.
func (s *suite) eraseNewRequestAfterErasure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	subj := s.seed(t, endUser)
	req := s.request(t, domain.Erasure, subj)
	_, err := s.c.Erase(ctx, req)
	require.NoError(t, err)

	again, err := s.c.Erase(ctx, s.request(t, domain.Erasure, subj))
	require.NoError(t, err)
	require.False(t, again.Replayed, "a new request id is not a replay")
	s.checkOutcome(t, again)
	if !s.recordOnly {
		require.Zero(t, sumRows(again), "nothing left to erase: %v", again.Rows)
	}
}

// eraseUnknownSubject: erasing a subject the system does not hold touches no one.
func (s *suite) eraseUnknownSubject(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	known := s.seed(t, endUser)
	unknown := connectors.Subject{TenantID: known.TenantID, Email: unknownEmail()}
	out, err := s.c.Erase(ctx, s.request(t, domain.Erasure, unknown))
	require.NoError(t, err)
	s.checkOutcome(t, out)
	if !s.recordOnly {
		require.Zero(t, sumRows(out))
	}
	require.True(t, s.h.Has(t, s.c, known), "erasing an unknown subject touched a known one")
}

// eraseConcurrentSameRequest: two callers of the same request: one acts, the other replays.
func (s *suite) eraseConcurrentSameRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	subj := s.seed(t, endUser)
	req := s.request(t, domain.Erasure, subj)
	req.ErasureScope = domain.ScopeFull

	const callers = 2
	outs := make([]domain.Outcome, callers)
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
		s.checkOutcome(t, outs[i])
		if !outs[i].Replayed {
			acted++
		}
	}
	if s.recordOnly && acted == callers {
		// Both recorded the change: harmless if they recorded the same.
		s.retried(t, outs[0], outs[1])
	} else {
		require.Equal(t, 1, acted, "exactly one caller acts, the other replays")
	}
	require.Equal(t, outs[0].Rows, outs[1].Rows)
	s.changedRows(t, outs[0], "rows erased")
	s.erased(t, subj)
}

// eraseBlockedByOpenConversation: an open conversation blocks the erasure until a DPO overrides.
func (s *suite) eraseBlockedByOpenConversation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	subj := s.seed(t, SubjectSpec{Role: RoleEndUser, OpenConversation: true})
	req := s.request(t, domain.Erasure, subj)
	req.ErasureScope = domain.ScopeFull

	blockers, err := s.c.Blockers(ctx, req)
	require.NoError(t, err)
	require.Len(t, blockers, 1)
	require.Equal(t, domain.BlockerOpenConversations, blockers[0].Code)
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
	s.checkOutcome(t, out)
	s.changedRows(t, out, "rows erased")
	s.erased(t, subj)
}

// eraseNotBlockedWithoutOpenConversation: no blocker without an open conversation.
func (s *suite) eraseNotBlockedWithoutOpenConversation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range specs {
		subj := s.seed(t, tt.spec)
		blockers, err := s.c.Blockers(ctx, s.request(t, domain.Erasure, subj))
		require.NoError(t, err, tt.name)
		require.Empty(t, blockers, tt.name)
	}
}

func (s *suite) rectify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("UnknownField", func(t *testing.T) {
		t.Parallel()
		subj := s.seed(t, endUser)
		before, err := s.c.Find(ctx, subj)
		require.NoError(t, err)
		req := s.request(t, domain.Rectification, subj)
		req.Rectification = map[string]string{"no_such_field_" + strings.ReplaceAll(uuid.NewString()[:8], "-", ""): "x"}
		_, err = s.c.Rectify(ctx, req)
		require.ErrorIs(t, err, connectors.ErrInvalid)
		req = s.request(t, domain.Rectification, subj)
		req.Rectification = map[string]string{"email": "not an address"}
		_, err = s.c.Rectify(ctx, req)
		require.ErrorIs(t, err, connectors.ErrInvalid, "an email that is not an address")
		after, err := s.c.Find(ctx, subj)
		require.NoError(t, err)
		require.Equal(t, before, after)
	})

	for _, tt := range specs {
		if s.recordOnly {
			t.Run("Records"+tt.name, func(t *testing.T) {
				t.Parallel()
				field := s.h.RectifyField()
				if field == "" {
					field = "name"
				}
				subj := s.seed(t, tt.spec)
				value := "Rectified " + uuid.NewString()[:8]
				req := s.request(t, domain.Rectification, subj)
				req.Rectification = map[string]string{field: value}

				out, err := s.c.Rectify(ctx, req)
				require.NoError(t, err)
				require.False(t, out.Replayed)
				s.checkOutcome(t, out)
				body, err := json.Marshal(out)
				require.NoError(t, err)
				require.NotContains(t, string(body), value, "an outcome must not hold the new value")

				again, err := s.c.Rectify(ctx, req)
				require.NoError(t, err)
				s.retried(t, out, again)
			})
			continue
		}
		t.Run("ShowsInExport"+tt.name, func(t *testing.T) {
			t.Parallel()
			field := s.h.RectifyField()
			if field == "" {
				t.Skipf("connector %s rectifies no field", s.c.Name())
			}
			subj := s.seed(t, tt.spec)
			value := "Rectified " + uuid.NewString()[:8]
			req := s.request(t, domain.Rectification, subj)
			req.Rectification = map[string]string{field: value}

			out, err := s.c.Rectify(ctx, req)
			require.NoError(t, err)
			require.False(t, out.Replayed)
			s.checkOutcome(t, out)
			require.Equal(t, []string{field}, out.Fields)
			require.Positive(t, sumRows(out))
			body, err := json.Marshal(out)
			require.NoError(t, err)
			require.NotContains(t, string(body), value, "an outcome must not hold the new value")

			var rec Recorder
			require.NoError(t, s.c.Export(ctx, s.request(t, domain.Access, subj), connectors.ExportScope{}, &rec))
			require.True(t, rec.Contains(value), "the export shows the rectified value")

			again, err := s.c.Rectify(ctx, req)
			require.NoError(t, err)
			s.retried(t, out, again)
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
			req := s.request(t, domain.Restriction, subj)
			first, err := s.c.Restrict(ctx, req)
			require.NoError(t, err)
			require.False(t, first.Replayed)
			s.checkOutcome(t, first)
			s.changedRows(t, first, "rows restricted")

			second, err := s.c.Restrict(ctx, req)
			require.NoError(t, err)
			s.retried(t, first, second)
			if second.Replayed {
				require.True(t, first.AppliedAt.Equal(second.AppliedAt))
			}

			require.True(t, s.h.Has(t, s.c, subj), "restriction keeps the data")
			if s.recordOnly {
				return
			}
			var rec Recorder
			require.NoError(t, s.c.Export(ctx, s.request(t, domain.Access, subj), connectors.ExportScope{}, &rec))
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
			req := s.request(t, domain.Objection, subj)
			req.ObjectionPurposes = []domain.Purpose{"marketing", "analytics"}
			first, err := s.c.Object(ctx, req)
			require.NoError(t, err)
			require.False(t, first.Replayed)
			s.checkOutcome(t, first)
			s.changedRows(t, first, "rows with the objection recorded")

			second, err := s.c.Object(ctx, req)
			require.NoError(t, err)
			s.retried(t, first, second)
			require.True(t, s.h.Has(t, s.c, subj), "an objection keeps the data")
		})
	}
	t.Run("UnknownPurpose", func(t *testing.T) {
		t.Parallel()
		subj := s.seed(t, endUser)
		for _, tt := range []struct {
			name     string
			purposes []domain.Purpose
		}{
			{"Unknown", []domain.Purpose{"telepathy"}},
			{"KnownAndUnknown", []domain.Purpose{"marketing", "telepathy"}},
		} {
			req := s.request(t, domain.Objection, subj)
			req.ObjectionPurposes = tt.purposes
			_, err := s.c.Object(ctx, req)
			require.ErrorIs(t, err, connectors.ErrInvalid, tt.name)
			require.False(t, errors.Is(err, connectors.ErrBlocked), tt.name)
		}
		// Nothing was recorded: the valid purpose alone still changes something.
		req := s.request(t, domain.Objection, subj)
		req.ObjectionPurposes = []domain.Purpose{"marketing"}
		out, err := s.c.Object(ctx, req)
		require.NoError(t, err)
		s.checkOutcome(t, out)
		s.changedRows(t, out, "a rejected objection must not be half applied")
	})
}
