package templates_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/templates"
)

// TestLanguagesComplete checks that every language names every right and month and has
// every text of the verification page, whose expiry message gives the period it is given.
func TestLanguagesComplete(t *testing.T) {
	t.Parallel()
	ls, err := templates.Languages()
	require.NoError(t, err)
	require.Contains(t, ls, "en", "English is the fallback")
	for code, l := range ls {
		require.Equal(t, code, l.Code)
		require.NotEmpty(t, l.Name, code)
		for _, m := range l.Months {
			require.NotEmpty(t, m, "%s: a month without a name", code)
		}
		require.Len(t, l.Rights, len(domain.RequestTypes), "%s: rights", code)
		for _, r := range domain.RequestTypes {
			require.NotEmpty(t, l.Rights[string(r)], "%s: no name for %s", code, r)
		}
		for _, o := range templates.VerifyOutcomes {
			p := l.VerifyPage[o]
			require.NotEmpty(t, p.Title, "%s: %s title", code, o)
			msg, err := p.Render(templates.PageFigures{VerifyDays: 9})
			require.NoError(t, err, "%s: %s", code, o)
			require.NotEmpty(t, msg, "%s: %s message", code, o)
			if o == "expired" {
				require.Contains(t, msg, strconv.Itoa(9), "%s: the expiry message gives the verification period", code)
			}
		}
	}
}
