package bundle_test

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"dsr/connectors"
	"dsr/internal/documents/bundle"
	"dsr/internal/domain"
	"dsr/templates"
)

var ctx = context.Background()

// errUnused is what the fake connector answers to everything but Export.
var errUnused = errors.New("fake connector: not used by bundle")

// fake is a test double of a connector: its Export runs a function of the test.
type fake struct {
	name   string
	export func(ctx context.Context, sink connectors.Sink) error
}

var _ connectors.Connector = (*fake)(nil)

func (f *fake) Name() string { return f.name }
func (f *fake) Kind() string { return connectors.KindDatabase }
func (f *fake) Find(context.Context, connectors.Subject) (connectors.Match, error) {
	return connectors.Match{}, errUnused
}
func (f *fake) Blockers(context.Context, connectors.Request) ([]domain.Blocker, error) {
	return nil, errUnused
}
func (f *fake) Export(ctx context.Context, _ connectors.Request, _ connectors.ExportScope, sink connectors.Sink) error {
	return f.export(ctx, sink)
}
func (f *fake) Rectify(context.Context, connectors.Request) (domain.Outcome, error) {
	return domain.Outcome{}, errUnused
}
func (f *fake) Erase(context.Context, connectors.Request) (domain.Outcome, error) {
	return domain.Outcome{}, errUnused
}
func (f *fake) Restrict(context.Context, connectors.Request) (domain.Outcome, error) {
	return domain.Outcome{}, errUnused
}
func (f *fake) Object(context.Context, connectors.Request) (domain.Outcome, error) {
	return domain.Outcome{}, errUnused
}

// category is one export category as the fake sends it, with what the package must hold.
type category struct {
	name    string
	columns []string
	rows    [][]any
	// csv are the rows' CSV cells, json their data.json objects (numbers as json.Number).
	csv  [][]string
	json []map[string]any
}

// sends returns a connector that exports the categories.
func sends(name string, cats ...category) *fake {
	return &fake{name: name, export: func(_ context.Context, sink connectors.Sink) error {
		for _, c := range cats {
			if err := sink.Begin(c.name, c.columns); err != nil {
				return err
			}
			for _, r := range c.rows {
				if err := sink.Row(r...); err != nil {
					return err
				}
			}
		}
		return nil
	}}
}

// newMeta returns the Meta of a new access request.
func newMeta() bundle.Meta {
	return bundle.Meta{
		RequestID:   uuid.NewString(),
		Type:        domain.Access,
		TenantID:    uuid.NewString(),
		GeneratedAt: time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC),
	}
}

// build runs bundle.Build for meta into dir.
func build(dir string, meta bundle.Meta, progress func(int64), sources ...connectors.Connector) (domain.PackageInfo, error) {
	req := connectors.Request{ID: meta.RequestID, Type: meta.Type,
		Subject: connectors.Subject{TenantID: meta.TenantID, Email: "subject@example.com"}}
	return bundle.Build(ctx, dir, meta, req, connectors.ExportScope{}, sources, progress)
}

// files lists the names in dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// sha256File returns the hex SHA-256 and the size of a file.
func sha256File(t *testing.T, path string) (string, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), int64(len(b))
}

// unzip returns every file of a (small) package by name.
func unzip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		_, dup := out[f.Name]
		require.False(t, dup, "%s is in the zip twice", f.Name)
		out[f.Name] = b
	}
	return out
}

// readCSV parses a CSV file of the package; every record must have the header's width.
func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	return recs
}

// dataJSON is data.json, with numbers kept exactly as written.
type dataJSON struct {
	Request bundle.Meta                            `json:"request"`
	Facts   templates.AccessFacts                  `json:"facts"`
	Data    map[string]map[string][]map[string]any `json:"data"`
}

func decodeData(t *testing.T, b []byte) dataJSON {
	t.Helper()
	require.True(t, json.Valid(b), "data.json is not valid JSON")
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &top))
	require.ElementsMatch(t, []string{"request", "facts", "data"}, slices.Collect(maps.Keys(top)))
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var d dataJSON
	require.NoError(t, dec.Decode(&d))
	return d
}

// pdfText returns the uncompressed content streams of a PDF made by fpdf, where its text is.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	var out strings.Builder
	rest := pdf
	for {
		i := bytes.Index(rest, []byte("stream\n"))
		if i < 0 {
			break
		}
		rest = rest[i+len("stream\n"):]
		j := bytes.Index(rest, []byte("endstream"))
		require.GreaterOrEqual(t, j, 0, "unterminated PDF stream")
		zr, err := zlib.NewReader(bytes.NewReader(rest[:j]))
		if err == nil {
			b, _ := io.ReadAll(zr) // a stream that is not zlib (fonts, images) is skipped
			out.Write(b)
		}
		rest = rest[j+len("endstream"):]
	}
	return out.String()
}

// awkward returns the categories of the main package test: unicode, CSV metacharacters,
// newlines, nil, times, int64 beyond float64's precision, booleans and string lists.
func awkward() (app, crm []category) {
	paris, _ := time.LoadLocation("Europe/Paris")
	at := time.Date(2026, 3, 1, 23, 30, 15, 123456789, paris)
	long := strings.Repeat("ü,\"x\"\n", 2000)
	app = []category{{
		name:    "profile",
		columns: []string{"id", "name", "bio", "verified", "tags", "created_at", "deleted_at", "login_count"},
		rows: [][]any{
			{int64(1), "Zoë «Ünal» 日本語 🙂", "He said \"hi\", then left\nsecond line", true, []string{"vip", "eu, fr"},
				at, nil, int64(math.MaxInt64)},
			{int64(2), "", "  padded\tand = SUM(A1) ", false, []string{}, at.UTC(), at.Add(time.Hour), int64(-9007199254740993)},
		},
		csv: [][]string{
			{"1", "Zoë «Ünal» 日本語 🙂", "He said \"hi\", then left\nsecond line", "true", "vip;eu, fr",
				"2026-03-01T22:30:15.123456789Z", "", "9223372036854775807"},
			{"2", "", "  padded\tand = SUM(A1) ", "false", "", "2026-03-01T22:30:15.123456789Z",
				"2026-03-01T23:30:15.123456789Z", "-9007199254740993"},
		},
		json: []map[string]any{
			{"id": json.Number("1"), "name": "Zoë «Ünal» 日本語 🙂", "bio": "He said \"hi\", then left\nsecond line",
				"verified": true, "tags": []any{"vip", "eu, fr"}, "created_at": "2026-03-01T22:30:15.123456789Z",
				"deleted_at": nil, "login_count": json.Number("9223372036854775807")},
			{"id": json.Number("2"), "name": "", "bio": "  padded\tand = SUM(A1) ", "verified": false, "tags": []any{},
				"created_at": "2026-03-01T22:30:15.123456789Z", "deleted_at": "2026-03-01T23:30:15.123456789Z",
				"login_count": json.Number("-9007199254740993")},
		},
	}, {
		name:    "messages",
		columns: []string{"id", "body", "sent_at"},
		rows: [][]any{
			{int64(10), "<b>bold</b> & \"quoted\", 'single'", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
			{int64(11), long, nil},
			{int64(12), "\"", time.Date(2025, 12, 31, 23, 59, 59, 999000000, paris)},
		},
		csv: [][]string{
			{"10", "<b>bold</b> & \"quoted\", 'single'", "2026-01-02T03:04:05Z"},
			{"11", long, ""},
			{"12", "\"", "2025-12-31T22:59:59.999Z"},
		},
		json: []map[string]any{
			{"id": json.Number("10"), "body": "<b>bold</b> & \"quoted\", 'single'", "sent_at": "2026-01-02T03:04:05Z"},
			{"id": json.Number("11"), "body": long, "sent_at": nil},
			{"id": json.Number("12"), "body": "\"", "sent_at": "2025-12-31T22:59:59.999Z"},
		},
	}, {
		name:    "saved_searches",
		columns: []string{"id", "query"},
	}}
	crm = []category{{
		name:    "contacts",
		columns: []string{"email", "consent"},
		rows:    [][]any{{"zoe@example.com", true}},
		csv:     [][]string{{"zoe@example.com", "true"}},
		json:    []map[string]any{{"email": "zoe@example.com", "consent": true}},
	}}
	return app, crm
}

func TestBuildPackageContents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	meta := newMeta()
	app, crm := awkward()
	info, err := build(dir, meta, nil, sends("app", app...), sends("crm", crm...))
	require.NoError(t, err)

	path := bundle.Path(dir, meta.RequestID)
	require.Equal(t, filepath.Join(dir, meta.RequestID+".zip"), path)
	require.Equal(t, []string{meta.RequestID + ".zip"}, files(t, dir), "only the package is left")
	require.Equal(t, meta.RequestID+".zip", info.File)
	sum, size := sha256File(t, path)
	require.Equal(t, sum, info.SHA256)
	require.Equal(t, size, info.Bytes)
	require.True(t, meta.GeneratedAt.Equal(info.CreatedAt))
	require.Equal(t, map[string]int64{"app/profile": 2, "app/messages": 3, "app/saved_searches": 0, "crm/contacts": 1}, info.Rows)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "a package of personal data is readable by its owner only")

	zf := unzip(t, path)
	var names []string
	for n := range zf {
		names = append(names, n)
	}
	require.ElementsMatch(t, []string{"data.json", "facts.json", "README.txt", "report.pdf",
		"app/profile.csv", "app/messages.csv", "app/saved_searches.csv", "crm/contacts.csv"}, names)

	facts, err := templates.LoadAccessFacts()
	require.NoError(t, err)
	var gotFacts templates.AccessFacts
	require.NoError(t, json.Unmarshal(zf["facts.json"], &gotFacts))
	require.Equal(t, facts, gotFacts)
	require.NotEmpty(t, gotFacts.Purposes)

	data := decodeData(t, zf["data.json"])
	require.Equal(t, meta.RequestID, data.Request.RequestID)
	require.Equal(t, meta.Type, data.Request.Type)
	require.Equal(t, meta.TenantID, data.Request.TenantID)
	require.True(t, meta.GeneratedAt.Equal(data.Request.GeneratedAt))
	require.Equal(t, facts, data.Facts)
	require.ElementsMatch(t, []string{"app", "crm"}, slices.Collect(maps.Keys(data.Data)))

	readme := string(zf["README.txt"])
	require.Contains(t, readme, meta.RequestID)
	listed := regexp.MustCompile(`(?m)^\S+\.csv \(\d+ rows\): `).FindAllString(readme, -1)
	require.Len(t, listed, 4, "README lists every CSV once:\n%s", readme)

	for src, cats := range map[string][]category{"app": app, "crm": crm} {
		require.Len(t, data.Data[src], len(cats), "categories of %s in data.json", src)
		for _, c := range cats {
			t.Run(src+"/"+c.name, func(t *testing.T) {
				file := src + "/" + c.name + ".csv"
				recs := readCSV(t, zf[file])
				require.Equal(t, c.columns, recs[0], "the header row is the columns")
				require.Equal(t, len(c.rows), len(recs)-1)
				for i, want := range c.csv {
					require.Equal(t, want, recs[i+1], "CSV row %d", i)
				}

				objs, ok := data.Data[src][c.name]
				require.True(t, ok, "data.json has no %s.%s", src, c.name)
				require.NotNil(t, objs, "an empty category is [] in data.json, not null")
				require.Len(t, objs, len(c.rows))
				for i, want := range c.json {
					require.Equal(t, want, objs[i], "data.json row %d", i)
				}

				require.Contains(t, readme, fmt.Sprintf("%s (%d rows): %s\n", file, len(c.rows), strings.Join(c.columns, ", ")))
			})
		}
	}

	pdf := zf["report.pdf"]
	require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")), "report.pdf starts with %q", pdf[:min(len(pdf), 8)])
	require.Contains(t, string(bytes.TrimSpace(pdf[len(pdf)-16:])), "%%EOF")
	text := pdfText(t, pdf)
	for _, line := range []string{"(Your personal data)", "(app/profile.csv)", "(2 records)", "(app/saved_searches.csv)",
		"(0 records)", "(crm/contacts.csv)", "(Purposes)", "(Your rights)"} {
		require.Contains(t, text, line, "report.pdf")
	}

	t.Run("pdftotext", func(t *testing.T) {
		bin, err := exec.LookPath("pdftotext")
		if err != nil {
			t.Skipf("pdftotext is not installed (Debian package poppler-utils), so the PDF is not rendered to text; "+
				"its content streams were checked above: %v", err)
		}
		pdfPath := filepath.Join(t.TempDir(), "report.pdf")
		require.NoError(t, os.WriteFile(pdfPath, pdf, 0o600))
		out, err := exec.Command(bin, "-layout", pdfPath, "-").Output()
		require.NoError(t, err)
		for _, s := range []string{"Your personal data", meta.RequestID, "app/profile.csv", "2 records",
			"crm/contacts.csv", "1 records", "Purposes", "Complaint"} {
			require.Contains(t, string(out), s)
		}
	})
}

// TestBuildZipEntries checks the zip itself: its files in order, each deflated and dated
// when the package was made, data.json (deflated beside the zip and added as it is) among
// them, and every CRC right (reading a file to its end checks it).
func TestBuildZipEntries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	meta := newMeta()
	meta.GeneratedAt = time.Date(2026, 7, 8, 9, 10, 11, 0, time.UTC)
	app, crm := awkward()
	// Enough rows for data.json to span many chunks.
	many := category{name: "events", columns: []string{"id", "what", "at"}}
	for i := range 20_000 {
		many.rows = append(many.rows, []any{int64(i), fmt.Sprintf("event %d, \"quoted\"\n", i), meta.GeneratedAt.Add(time.Duration(i) * time.Millisecond)})
	}
	_, err := build(dir, meta, nil, sends("app", append(app, many)...), sends("crm", crm...))
	require.NoError(t, err)
	path := bundle.Path(dir, meta.RequestID)

	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		require.Equal(t, zip.Deflate, f.Method, f.Name)
		require.True(t, meta.GeneratedAt.Equal(f.Modified), "%s is dated %s", f.Name, f.Modified)
		require.Equal(t, [2]uint16{zr.File[0].ModifiedDate, zr.File[0].ModifiedTime}, [2]uint16{f.ModifiedDate, f.ModifiedTime}, f.Name)
		rc, err := f.Open()
		require.NoError(t, err)
		n, err := io.Copy(io.Discard, rc)
		require.NoError(t, err, "%s reads back with the right CRC", f.Name)
		require.NoError(t, rc.Close())
		require.Equal(t, f.UncompressedSize64, uint64(n), f.Name)
	}
	require.Equal(t, []string{"app/profile.csv", "app/messages.csv", "app/saved_searches.csv", "app/events.csv",
		"crm/contacts.csv", "data.json", "facts.json", "README.txt", "report.pdf"}, names)

	data := decodeData(t, unzip(t, path)["data.json"])
	require.Len(t, data.Data["app"]["events"], 20_000)
	require.Equal(t, "event 19999, \"quoted\"\n", data.Data["app"]["events"][19_999]["what"])

	if bin, err := exec.LookPath("unzip"); err == nil {
		out, err := exec.Command(bin, "-tq", path).CombinedOutput()
		require.NoError(t, err, "unzip -t: %s", out)
	}
}

func TestBuildWithoutSourcesOrCategories(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sources []connectors.Connector
		data    map[string]map[string][]map[string]any
	}{
		{name: "no sources", data: map[string]map[string][]map[string]any{}},
		{name: "a source with nothing", sources: []connectors.Connector{sends("app")},
			data: map[string]map[string][]map[string]any{"app": {}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			meta := newMeta()
			info, err := build(dir, meta, nil, tc.sources...)
			require.NoError(t, err)
			require.Empty(t, info.Rows)
			zf := unzip(t, bundle.Path(dir, meta.RequestID))
			require.ElementsMatch(t, []string{"data.json", "facts.json", "README.txt", "report.pdf"}, slices.Collect(maps.Keys(zf)))
			require.Equal(t, tc.data, decodeData(t, zf["data.json"]).Data)
		})
	}
}

func TestBuildFailureLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom: connection reset")
	one := []string{"a", "b", "c"}
	tests := []struct {
		name string
		// export is the failing source; rowErr, when set, must be what Row returned.
		export func(ctx context.Context, sink connectors.Sink, rowErr *error) error
		want   string
		is     error
	}{
		{
			name: "row before Begin",
			export: func(_ context.Context, sink connectors.Sink, rowErr *error) error {
				*rowErr = sink.Row("x", "y", "z")
				return *rowErr
			},
			want: "row before Begin",
		},
		{
			name: "too few values",
			export: func(_ context.Context, sink connectors.Sink, rowErr *error) error {
				if err := sink.Begin("profile", one); err != nil {
					return err
				}
				*rowErr = sink.Row("only", "two")
				return *rowErr
			},
			want: "category profile: row has 2 values for 3 columns",
		},
		{
			name: "too many values",
			export: func(_ context.Context, sink connectors.Sink, rowErr *error) error {
				if err := sink.Begin("profile", one); err != nil {
					return err
				}
				if err := sink.Row("1", "2", "3"); err != nil {
					return err
				}
				*rowErr = sink.Row("1", "2", "3", "4")
				return *rowErr
			},
			want: "category profile: row has 4 values for 3 columns",
		},
		{
			name: "a value JSON cannot hold",
			export: func(_ context.Context, sink connectors.Sink, rowErr *error) error {
				if err := sink.Begin("scores", []string{"score"}); err != nil {
					return err
				}
				*rowErr = sink.Row(math.NaN())
				return *rowErr
			},
			want: "category scores column score",
		},
		{
			name: "the connector fails after some rows",
			export: func(_ context.Context, sink connectors.Sink, _ *error) error {
				if err := sink.Begin("messages", one); err != nil {
					return err
				}
				for i := range 12000 {
					if err := sink.Row(int64(i), "body", time.Now()); err != nil {
						return err
					}
				}
				return fmt.Errorf("read messages: %w", errBoom)
			},
			want: "export from failing",
			is:   errBoom,
		},
	}
	for _, tc := range tests {
		for _, previous := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/previous package %v", tc.name, previous), func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				meta := newMeta()
				var before domain.PackageInfo
				if previous {
					var err error
					before, err = build(dir, meta, nil, sends("app", category{name: "profile", columns: one,
						rows: [][]any{{"1", "2", "3"}}}))
					require.NoError(t, err)
				}

				var rowErr error
				failing := &fake{name: "failing", export: func(ctx context.Context, sink connectors.Sink) error {
					return tc.export(ctx, sink, &rowErr)
				}}
				app, _ := awkward()
				_, err := build(dir, meta, nil, sends("app", app...), failing)
				require.Error(t, err)
				require.ErrorContains(t, err, tc.want)
				require.ErrorContains(t, err, meta.RequestID)
				if tc.is != nil {
					require.ErrorIs(t, err, tc.is)
				}
				if rowErr != nil {
					require.ErrorContains(t, rowErr, tc.want, "Row itself refuses")
				}

				if !previous {
					require.Empty(t, files(t, dir), "no package and no temporary file")
					return
				}
				require.Equal(t, []string{meta.RequestID + ".zip"}, files(t, dir), "no temporary file")
				sum, size := sha256File(t, bundle.Path(dir, meta.RequestID))
				require.Equal(t, before.SHA256, sum, "a failed rebuild keeps the previous package")
				require.Equal(t, before.Bytes, size)
			})
		}
	}
}

func TestBuildTwiceReplacesAtomically(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	meta := newMeta()
	path := bundle.Path(dir, meta.RequestID)
	cols := []string{"id", "name"}

	first, err := build(dir, meta, nil, sends("app", category{name: "profile", columns: cols, rows: [][]any{{int64(1), "first"}}}))
	require.NoError(t, err)

	// While the second build writes, the first package stays whole at its path.
	var during []string
	second := &fake{name: "app", export: func(_ context.Context, sink connectors.Sink) error {
		if err := sink.Begin("profile", cols); err != nil {
			return err
		}
		for i := range 3000 {
			if err := sink.Row(int64(i), "second"); err != nil {
				return err
			}
		}
		sum, _ := sha256File(t, path)
		during = append(during, sum)
		during = append(during, files(t, dir)...)
		return nil
	}}
	meta2 := meta
	meta2.GeneratedAt = meta.GeneratedAt.Add(time.Hour)
	info, err := build(dir, meta2, nil, second)
	require.NoError(t, err)
	require.Equal(t, first.SHA256, during[0], "the old package was intact during the rebuild")
	require.Greater(t, len(during), 2, "the rebuild writes beside the package, not over it")

	require.Equal(t, []string{meta.RequestID + ".zip"}, files(t, dir), "one package, no temporary files")
	require.NotEqual(t, first.SHA256, info.SHA256)
	sum, size := sha256File(t, path)
	require.Equal(t, info.SHA256, sum)
	require.Equal(t, info.Bytes, size)
	require.Equal(t, map[string]int64{"app/profile": 3000}, info.Rows)
	recs := readCSV(t, unzip(t, path)["app/profile.csv"])
	require.Len(t, recs, 3001)
	require.Equal(t, []string{"2999", "second"}, recs[3000])
}

func TestBuildReportsProgress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	meta := newMeta()
	var sent int64
	var calls []int64
	var atCall []int64
	rows := func(name string, n int) *fake {
		return &fake{name: name, export: func(_ context.Context, sink connectors.Sink) error {
			if err := sink.Begin("messages", []string{"id", "body"}); err != nil {
				return err
			}
			for i := range n {
				sent++
				if err := sink.Row(int64(i), "hello"); err != nil {
					return err
				}
			}
			return nil
		}}
	}
	info, err := build(dir, meta, func(n int64) {
		calls = append(calls, n)
		atCall = append(atCall, sent)
	}, rows("app", 12000), rows("crm", 8000))
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"app/messages": 12000, "crm/messages": 8000}, info.Rows)

	require.GreaterOrEqual(t, len(calls), 3, "progress over 20,000 rows: %v", calls)
	require.Equal(t, atCall, calls, "progress reports the rows written so far, over all sources")
	last := int64(0)
	for _, n := range calls {
		require.Greater(t, n, last, "progress only grows: %v", calls)
		require.LessOrEqual(t, n-last, int64(10000), "progress comes every few thousand rows: %v", calls)
		last = n
	}
	require.LessOrEqual(t, last, int64(20000))
	require.GreaterOrEqual(t, last, int64(10000))
}

// TestBuildStreams exports 300,000 rows of about 200 bytes (some 60 MB) and checks, from
// inside the connector, that the heap stays far below that: rows go to the zip and the
// data.json spool as they come. It is not parallel so that no other test's memory counts.
func TestBuildStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("exports 60 MB; skipped with -short")
	}
	const (
		rows      = 300_000
		every     = 15_000
		heapLimit = 32 << 20
	)
	dir := t.TempDir()
	meta := newMeta()
	filler := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit; ", 3)
	var bytesSent int64
	var peak uint64
	var samples int
	var ms runtime.MemStats
	big := &fake{name: "app", export: func(_ context.Context, sink connectors.Sink) error {
		if err := sink.Begin("messages", []string{"id", "author", "body", "sent_at"}); err != nil {
			return err
		}
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range rows {
			author := fmt.Sprintf("author-%06d@example.com", i%5000)
			body := fmt.Sprintf("%s#%d", filler, i)
			bytesSent += int64(8 + len(author) + len(body) + 20)
			if err := sink.Row(int64(i), author, body, at.Add(time.Duration(i)*time.Second)); err != nil {
				return err
			}
			if i%every == every-1 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				samples++
			}
		}
		return nil
	}}
	start := time.Now()
	info, err := build(dir, meta, nil, big)
	require.NoError(t, err)
	t.Logf("exported %d rows (%.1f MB) in %s; package %.1f MB; peak heap in use after GC %.1f MiB over %d samples",
		rows, float64(bytesSent)/1e6, time.Since(start).Round(time.Millisecond), float64(info.Bytes)/1e6,
		float64(peak)/(1<<20), samples)

	require.Equal(t, map[string]int64{"app/messages": rows}, info.Rows)
	require.Greater(t, bytesSent, int64(55e6), "the export must be large for the check to mean anything")
	require.Equal(t, rows/every, samples)
	require.Less(t, peak, uint64(heapLimit), "heap in use during the export: %d bytes for %d bytes of data", peak, bytesSent)

	zr, err := zip.OpenReader(bundle.Path(dir, meta.RequestID))
	require.NoError(t, err)
	defer zr.Close()
	sizes := map[string]uint64{}
	for _, f := range zr.File {
		sizes[f.Name] = f.UncompressedSize64
	}
	require.Greater(t, sizes["app/messages.csv"], uint64(bytesSent)*3/4, "every row is in the CSV")
	require.Greater(t, sizes["data.json"], uint64(bytesSent), "every row is in data.json")

	// The CSV holds every row, in order, read back as a stream.
	f, err := zr.Open("app/messages.csv")
	require.NoError(t, err)
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	header, err := r.Read()
	require.NoError(t, err)
	require.Equal(t, []string{"id", "author", "body", "sent_at"}, header)
	n := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if rec[0] != fmt.Sprint(n) {
			require.Equal(t, fmt.Sprint(n), rec[0], "row %d", n)
		}
		n++
	}
	require.Equal(t, rows, n)
}
