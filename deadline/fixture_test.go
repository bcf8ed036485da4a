package deadline

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fixturePath finds shared/fixtures/sla/deadlines.tsv: it walks up from the
// working directory to the module root (the directory holding go.mod) and
// looks in ../shared (the repository's sibling) and then ./shared.
func fixturePath(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "go.mod not found above the test directory")
		dir = parent
	}
	rel := filepath.Join("shared", "fixtures", "sla", "deadlines.tsv")
	for _, p := range []string{filepath.Join(dir, "..", rel), filepath.Join(dir, rel)} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	require.FailNow(t, "fixture not found", "looked for %s next to and inside %s", rel, dir)
	return ""
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
