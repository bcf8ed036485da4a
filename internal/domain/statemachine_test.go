package domain_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/testkit"
)

// TestStateDiagramMatches keeps the request's state diagram in docs/architecture.md in step
// with the statuses and their transitions: the same states, the same moves, entered at
// received and left at the final statuses.
func TestStateDiagramMatches(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(testkit.Path(t, "docs", "architecture.md"))
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)```mermaid\n(stateDiagram-v2\n.*?)```").FindStringSubmatch(string(b))
	require.NotNil(t, block, "docs/architecture.md has a mermaid stateDiagram-v2")
	edge := regexp.MustCompile(`^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*$`)

	drawn := map[[2]string]bool{}
	states := map[string]bool{}
	for _, line := range strings.Split(block[1], "\n")[1:] {
		if strings.TrimSpace(line) == "" {
			continue
		}
		m := edge.FindStringSubmatch(line)
		require.NotNil(t, m, "a line of the diagram is not a transition: %q", line)
		require.False(t, drawn[[2]string{m[1], m[2]}], "drawn twice: %s", line)
		drawn[[2]string{m[1], m[2]}] = true
		for _, s := range m[1:] {
			if s != "[*]" {
				states[s] = true
			}
		}
	}

	want := map[[2]string]bool{{"[*]", string(domain.StatusReceived)}: true}
	for from, tos := range domain.Transitions {
		for _, to := range tos {
			want[[2]string{string(from), string(to)}] = true
		}
	}
	for _, s := range domain.FinalStatuses {
		want[[2]string{string(s), "[*]"}] = true
	}
	require.Equal(t, want, drawn, "the diagram's moves are domain.Transitions, with the start and the final statuses")

	var all []string
	for s := range states {
		all = append(all, s)
	}
	slices.Sort(all)
	require.ElementsMatch(t, domain.Strings(domain.Statuses), all, "the diagram's states are domain.Statuses")
}

// TestTransitions checks the table itself: only known statuses, nothing leaves a final
// status, and every status but received can be reached.
func TestTransitions(t *testing.T) {
	t.Parallel()
	reached := map[domain.Status]bool{domain.StatusReceived: true}
	for from, tos := range domain.Transitions {
		require.True(t, from.Valid(), "%s", from)
		require.False(t, from.Final(), "%s is final, nothing leaves it", from)
		for _, to := range tos {
			require.True(t, to.Valid(), "%s", to)
			require.True(t, domain.CanMove(from, to))
			reached[to] = true
		}
	}
	for _, s := range domain.Statuses {
		require.True(t, reached[s], "%s cannot be reached", s)
	}
	require.True(t, domain.CanMove(domain.StatusWaiting, domain.StatusWaiting), "waiting again, for another reason")
	require.False(t, domain.CanMove(domain.StatusCompleted, domain.StatusCompleted))
	require.False(t, domain.CanMove(domain.StatusCompleted, domain.StatusInProgress))
	require.False(t, domain.CanMove(domain.StatusReceived, domain.StatusCompleted))
}
