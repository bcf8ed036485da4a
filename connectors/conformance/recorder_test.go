package conformance_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/connectors/conformance"
)

func TestRecorder(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		run  func(r *conformance.Recorder) error
		want string // "" when the sequence is valid
	}{
		{"Valid", func(r *conformance.Recorder) error {
			if err := r.Begin("profile", []string{"email", "created_at", "n"}); err != nil {
				return err
			}
			if err := r.Row("Jane@Example.com", time.Now(), int64(3)); err != nil {
				return err
			}
			return r.Begin("empty", []string{"id"})
		}, ""},
		{"RowBeforeBegin", func(r *conformance.Recorder) error { return r.Row("x") }, "before any Begin"},
		{"CategoryTwice", func(r *conformance.Recorder) error {
			_ = r.Begin("a", []string{"x"})
			return r.Begin("a", []string{"x"})
		}, "begun twice"},
		{"NoColumns", func(r *conformance.Recorder) error { return r.Begin("a", nil) }, "no columns"},
		{"DuplicateColumn", func(r *conformance.Recorder) error { return r.Begin("a", []string{"x", "x"}) }, `column "x" twice`},
		{"ShortRow", func(r *conformance.Recorder) error {
			_ = r.Begin("a", []string{"x", "y"})
			return r.Row("only one")
		}, "row of 1 values for 2 columns"},
		{"BadValue", func(r *conformance.Recorder) error {
			_ = r.Begin("a", []string{"x"})
			return r.Row([]byte("raw"))
		}, "[]uint8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r conformance.Recorder
			err := tt.run(&r)
			if tt.want == "" {
				require.NoError(t, err)
				require.Equal(t, []string{"profile", "empty"}, r.Names())
				require.Equal(t, 1, r.RowCount())
				require.True(t, r.Contains("jane@example.COM"))
				require.False(t, r.Contains("john"))
				cat, ok := r.Category("profile")
				require.True(t, ok)
				v, ok := cat.Value(0, "n")
				require.True(t, ok)
				require.Equal(t, int64(3), v)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}
