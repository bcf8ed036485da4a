package workflows

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"dsr/internal/domain"
)

// moves tracks the statuses a workflow under test records: each move must be one of
// domain.Transitions, and the moves every test made, together, must be all of them, so that
// the table (and docs/architecture.md, which a domain test compares with it) says what the
// workflow does.
type moves struct {
	t    testing.TB
	mu   sync.Mutex
	last domain.Status
}

// observed are the moves the package's tests made.
var observed = struct {
	sync.Mutex
	set map[[2]domain.Status]bool
}{set: map[[2]domain.Status]bool{}}

func newMoves(t testing.TB, from domain.Status) *moves { return &moves{t: t, last: from} }

// see checks a recorded change's status, if it has one, against the last one.
func (m *moves) see(c domain.Change) {
	if c.Status == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !domain.CanMove(m.last, c.Status) {
		m.t.Errorf("the workflow moved the request from %s to %s, which domain.Transitions does not allow (%s: %s)", m.last, c.Status, c.Kind, c.Message)
	}
	if m.last != c.Status {
		observed.Lock()
		observed.set[[2]domain.Status{m.last, c.Status}] = true
		observed.Unlock()
	}
	m.last = c.Status
}

// TestMain checks, when every test of the package ran, that they made every move of
// domain.Transitions: a move no test makes is one the workflow may no longer make.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && testing.Short() == false && !filtered() {
		var missing []string
		for from, tos := range domain.Transitions {
			for _, to := range tos {
				if !observed.set[[2]domain.Status{from, to}] {
					missing = append(missing, fmt.Sprintf("%s -> %s", from, to))
				}
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "no workflow test makes these moves of domain.Transitions: %s\n", strings.Join(missing, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

// filtered reports whether the tests were chosen with -run or -skip.
func filtered() bool {
	return slices.ContainsFunc(os.Args[1:], func(a string) bool {
		return strings.HasPrefix(a, "-test.run") || strings.HasPrefix(a, "-test.skip")
	})
}
