package deadline

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"dsr/internal/testkit"

	"github.com/stretchr/testify/require"
)

// fixturePath is shared/fixtures/sla/deadlines.tsv, beside the repository.
func fixturePath(t *testing.T) string {
	t.Helper()
	return testkit.Shared(t, "fixtures", "sla", "deadlines.tsv")
}

type fixtureRow struct {
	name                    string
	received                time.Time
	country, tz             string
	target, legal, extended string
}

func readFixture(t *testing.T) []fixtureRow {
	t.Helper()
	f, err := os.Open(fixturePath(t))
	require.NoError(t, err)
	defer f.Close()

	var rows []fixtureRow
	sc := bufio.NewScanner(f)
	line := 0
	var header []string
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if header == nil {
			header = cols
			require.Equal(t, []string{"received", "country", "tz", "target_due", "legal_due", "extended_due"}, header)
			continue
		}
		require.Len(t, cols, len(header), "line %d", line)
		received, err := time.Parse(time.RFC3339, cols[0])
		require.NoError(t, err, "line %d", line)
		rows = append(rows, fixtureRow{
			name:     strings.Join(cols[:3], " "),
			received: received,
			country:  cols[1], tz: cols[2],
			target: cols[3], legal: cols[4], extended: cols[5],
		})
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, rows)
	return rows
}

func TestFixtureDeadlines(t *testing.T) {
	t.Parallel()
	for _, tc := range readFixture(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			due, err := Compute(tc.received, Policy{Country: tc.country, TZ: tc.tz})
			require.NoError(t, err)
			require.Equal(t, tc.target, due.Target.String(), "target_due")
			require.Equal(t, tc.legal, due.Legal.String(), "legal_due")
			require.Equal(t, tc.extended, due.Extended.String(), "extended_due")

			b, err := due.JSON()
			require.NoError(t, err)
			require.JSONEq(t, `{"target_due":"`+tc.target+`","legal_due":"`+tc.legal+
				`","extended_due":"`+tc.extended+`"}`, string(b))
		})
	}
}
