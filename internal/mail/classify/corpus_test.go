package classify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dsr/internal/domain"
	"dsr/internal/testkit"

	"github.com/stretchr/testify/require"
)

// labelled is one line of a corpus manifest: file, is_request, types (comma-separated),
// subject_email, language, and in inbox/testdata also kind and reference.
type labelled struct {
	name         string
	isRequest    bool
	types        []domain.RequestType
	subjectEmail string
	language     string
	kind         string
	reference    string
}

// fixtureDir is the shared, labelled mail corpus.
func fixtureDir(t testing.TB) string {
	t.Helper()
	return testkit.Shared(t, "fixtures", "mail")
}

// extraDir holds this package's own labelled mails.
func extraDir(t testing.TB) string {
	t.Helper()
	return filepath.Join("testdata", "mail")
}

func readManifest(t testing.TB, dir string) []labelled {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "manifest.tsv"))
	require.NoError(t, err)
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	for line := 0; sc.Scan(); line++ {
		if line == 0 || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		for len(cols) < 7 {
			cols = append(cols, "")
		}
		require.Contains(t, []string{"yes", "no"}, cols[1], "manifest line %d", line+1)
		l := labelled{name: cols[0], isRequest: cols[1] == "yes", types: []domain.RequestType{}, subjectEmail: cols[3], language: cols[4], kind: cols[5], reference: cols[6]}
		if cols[2] != "" {
			for _, right := range strings.Split(cols[2], ",") {
				l.types = append(l.types, domain.RequestType(right))
			}
		}
		out = append(out, l)
	}
	require.NoError(t, sc.Err())
	return out
}

func classifyFile(t testing.TB, path string) Classification {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	m, err := Parse(f, 0)
	require.NoError(t, err)
	return Classify(m)
}

// rank is the position of a right in Rights.
func rank(right domain.RequestType) int { return slices.Index(Rights, right) }

func checkLabel(t *testing.T, want labelled, got Classification) {
	t.Helper()
	require.Equal(t, want.isRequest, got.IsRequest, "is_request; reasons %v", got.Reasons)
	require.ElementsMatch(t, want.types, got.Types, "types; reasons %v", got.Reasons)
	require.True(t, slices.IsSortedFunc(got.Types, func(a, b domain.RequestType) int { return rank(a) - rank(b) }), "types out of order: %v", got.Types)
	if i := slices.Index(got.Types, domain.Erasure); i >= 0 {
		require.Equal(t, len(got.Types)-1, i, "erasure must come last: %v", got.Types)
	}
	require.Equal(t, want.subjectEmail, got.SubjectEmail, "subject_email; reasons %v", got.Reasons)
	require.Equal(t, want.language, got.Language, "language")
	if want.kind != "" { // the extra corpus labels kind and reference too
		require.Equal(t, want.kind, got.Kind, "kind; reasons %v", got.Reasons)
		require.Equal(t, want.reference, got.Reference, "reference")
	}
}

func runCorpus(t *testing.T, dir string) {
	cases := readManifest(t, dir)
	require.NotEmpty(t, cases)
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	require.NoError(t, err)
	require.Len(t, cases, len(files), "every mail in %s is labelled once", dir)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkLabel(t, tc, classifyFile(t, filepath.Join(dir, tc.name)))
		})
	}
}

func TestFixtureCorpus(t *testing.T) {
	t.Parallel()
	runCorpus(t, fixtureDir(t))
}

func TestExtraCorpus(t *testing.T) {
	t.Parallel()
	runCorpus(t, extraDir(t))
}

// TestCorpusAccuracy logs the per-field accuracy on both corpora (go test -v -run Accuracy);
// the corpus tests above are the ones that fail on a wrong field.
func TestCorpusAccuracy(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{fixtureDir(t), extraDir(t)} {
		cases := readManifest(t, dir)
		var req, types, email, lang, all int
		for _, tc := range cases {
			got := classifyFile(t, filepath.Join(dir, tc.name))
			ok := 0
			if got.IsRequest == tc.isRequest {
				req++
				ok++
			}
			if slices.Equal(got.Types, sortedRights(tc.types)) {
				types++
				ok++
			}
			if got.SubjectEmail == tc.subjectEmail {
				email++
				ok++
			}
			if got.Language == tc.language {
				lang++
				ok++
			}
			if ok == 4 {
				all++
			}
		}
		n := len(cases)
		t.Logf("%s: %d mails; is_request %d/%d, types %d/%d, subject_email %d/%d, language %d/%d, all four %d/%d",
			filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), n, req, n, types, n, email, n, lang, n, all, n)
	}
}

func sortedRights(types []domain.RequestType) []domain.RequestType {
	out := append([]domain.RequestType{}, types...)
	slices.SortFunc(out, func(a, b domain.RequestType) int { return rank(a) - rank(b) })
	return out
}

func TestVerdictJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    Classification
		want string
	}{
		{
			name: "request",
			c:    Classification{IsRequest: true, Types: []domain.RequestType{domain.Access, domain.Erasure}, SubjectEmail: "a@example.org", Language: "en", Kind: KindRequest},
			want: `{"is_request":true,"types":["access","erasure"],"subject_email":"a@example.org","language":"en"}`,
		},
		{
			name: "nil types print as []",
			c:    Classification{Kind: KindBounce},
			want: `{"is_request":false,"types":[],"subject_email":"","language":""}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tc.c.Verdict())
			require.NoError(t, err)
			require.JSONEq(t, tc.want, string(b))
			require.Equal(t, tc.want, string(b), "field order of the contract")
		})
	}
}

// BenchmarkParseClassify parses and classifies every mail of both corpora.
func BenchmarkParseClassify(b *testing.B) {
	var mails [][]byte
	for _, dir := range []string{fixtureDir(b), extraDir(b)} {
		files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
		require.NoError(b, err)
		for _, f := range files {
			data, err := os.ReadFile(f)
			require.NoError(b, err)
			mails = append(mails, data)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		for _, data := range mails {
			m, err := Parse(bytes.NewReader(data), 0)
			require.NoError(b, err)
			Classify(m)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(mails)), "µs/mail")
}
