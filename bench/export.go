package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"

	"dsr/connectors"
	"dsr/connectors/chatstore"
	"dsr/internal/demo"
	"dsr/internal/documents/bundle"
	"dsr/internal/domain"
	"dsr/schema"
)

// childCommand is the hidden first argument with which the bench runs one export in a
// child process of its own, so that the child's peak RSS is the export's alone.
const childCommand = "__export-child"

// exportResult is what a child reports on its standard output.
type exportResult struct {
	Seconds float64 `json:"seconds"`
	Rows    int64   `json:"rows"`
	Bytes   int64   `json:"bytes"`
	// AnonKiB is the largest private (anonymous) resident memory of the child seen while
	// it exported: heap, stacks, buffers. HWMKiB is its VmHWM, the peak of its whole
	// resident set, which also counts the pages of the program file it ran (shared page
	// cache, the same whatever it does).
	AnonKiB int64 `json:"anon_kib"`
	HWMKiB  int64 `json:"hwm_kib"`
	FileKiB int64 `json:"file_kib"`
	// PeakMB is AnonKiB in MB, HWMMB HWMKiB; RusageMB the child's ru_maxrss, which on Linux
	// also holds the parent's resident set at the moment of the exec (see exportChild).
	PeakMB, HWMMB, RusageMB float64 `json:"-"`
}

// exportSubject is one subject of the export rows: a tenant whose only end-user wrote (with
// the agents' replies) messages messages.
type exportSubject struct {
	messages int
	tenant   string
}

// benchExport measures an access package (bundle.Build over the chat-store connector, as
// the BuildPackage activity runs it) against COPY of the same rows into a file, each in a
// child process whose peak RSS is read from its rusage.
func benchExport(ctx context.Context, e *Env) ([]Row, error) {
	background, big, small, runs := 1_000_000, 100_000, 10_000, 3
	if e.Quick {
		background, big, small, runs = 100_000, 20_000, 2_000, 2
	}
	db, dbURL, err := e.NewDatabase(ctx, schema.ChatStore)
	if err != nil {
		return nil, err
	}
	if err := seedStore(ctx, e, db, background); err != nil {
		return nil, err
	}
	subjects := []exportSubject{{messages: big}, {messages: small}}
	for i := range subjects {
		s := &subjects[i]
		s.tenant = uuid.NewString()
		if _, err := demo.Seed(ctx, db, demo.Options{TenantID: s.tenant, TenantName: "Export subject", EndUsers: 1, Messages: s.messages}); err != nil {
			return nil, fmt.Errorf("seed the %d-message subject: %w", s.messages, err)
		}
	}
	if _, err := db.ExecContext(ctx, `CHECKPOINT`); err != nil {
		e.Log.Warn("checkpoint", slog.Any("error", err))
	}

	type sides struct{ dsr, raw []exportResult }
	results := make([]sides, len(subjects))
	for i, s := range subjects {
		// One unmeasured run of each side first: it reads the subject's rows into the
		// caches, as a second export of the same subject would find them.
		for _, mode := range []string{"dsr", "copy"} {
			if _, err := e.exportChild(ctx, mode, dbURL, s, ""); err != nil {
				return nil, err
			}
		}
		for k := range runs {
			order := []string{"dsr", "copy"}
			if k%2 == 1 {
				order = []string{"copy", "dsr"}
			}
			for _, mode := range order {
				prof := ""
				if mode == "dsr" && e.profileDir != "" {
					prof = filepath.Join(e.profileDir, fmt.Sprintf("export-%s-dsr-%d.pprof", countLabel(s.messages), k))
				}
				r, err := e.exportChild(ctx, mode, dbURL, s, prof)
				if err != nil {
					return nil, err
				}
				if mode == "dsr" {
					results[i].dsr = append(results[i].dsr, r)
				} else {
					results[i].raw = append(results[i].raw, r)
				}
			}
		}
		// The package must hold the rows COPY sent: the same rows on both sides.
		if d, c := results[i].dsr[0].Rows, results[i].raw[0].Rows; d != c {
			return nil, fmt.Errorf("the %d-message subject: the package holds %d rows, COPY sent %d", s.messages, d, c)
		}
		e.Log.Info("export measured", slog.Int("messages", s.messages),
			slog.Float64("dsr_s", median(seconds(results[i].dsr))), slog.Float64("copy_s", median(seconds(results[i].raw))),
			slog.Float64("dsr_peak_mb", maxPeak(results[i].dsr)), slog.Float64("copy_peak_mb", maxPeak(results[i].raw)),
			slog.Float64("dsr_rusage_maxrss_mb", results[i].dsr[0].RusageMB))
	}

	b, sm := results[0], results[1]
	bigLabel, smallLabel := countLabel(big), countLabel(small)
	return []Row{
		Row{
			Name:         "access package, subject with " + bigLabel + " messages",
			Unit:         "s",
			DSR:          median(seconds(b.dsr)),
			Baseline:     median(seconds(b.raw)),
			BaselineName: "COPY of the same rows TO STDOUT into a file",
			Detail: fmt.Sprintf("median of %d runs per side, alternating, each in a child process after one unmeasured run; dsr %s s, COPY %s s; "+
				"%d rows; package %.1f MB (zip: CSV per category, data.json, README, facts, PDF), COPY file %.1f MB (CSV); "+
				"%s-message subject: dsr %s s, COPY %s s (%s)",
				runs, spread(seconds(b.dsr)), spread(seconds(b.raw)), b.dsr[0].Rows, float64(b.dsr[0].Bytes)/1e6, float64(b.raw[0].Bytes)/1e6,
				smallLabel, formatNumber(median(seconds(sm.dsr))), formatNumber(median(seconds(sm.raw))),
				formatRatio(ratioOf(median(seconds(sm.dsr)), median(seconds(sm.raw))))),
		}.ratioAtMost(2),
		Row{
			Name:         "access package peak memory, subject with " + bigLabel + " messages",
			Unit:         "MB",
			DSR:          maxPeak(b.dsr),
			Baseline:     maxPeak(b.raw),
			BaselineName: "the COPY child",
			Detail: "largest peak private resident memory (RssAnon, sampled every 2 ms: heap, stacks, buffers) of the child process over the runs. " +
				"Its whole resident set peaked at " + formatNumber(maxHWM(b.dsr)) + " MB (VmHWM; COPY child " + formatNumber(maxHWM(b.raw)) + " MB), of which " +
				formatNumber(float64(b.dsr[0].FileKiB)*1024/1e6) + " MB are pages of the program file (the bench binary links the Temporal server, as dsr's does: " +
				"an idle `dsr sla due` peaks at about 130 MB the same way), the same whatever the export. ru_maxrss is not used: on Linux it also counts " +
				"the parent's resident set at the exec (" + formatNumber(b.dsr[0].RusageMB) + " MB here)",
		}.below(64),
		Row{
			Name:         "access package peak memory, subject with " + smallLabel + " messages",
			Unit:         "MB",
			DSR:          maxPeak(sm.dsr),
			Baseline:     maxPeak(sm.raw),
			BaselineName: "the COPY child",
			Detail: fmt.Sprintf("the same measure on a subject %dx smaller: %s MB against %s MB private (whole resident set %s against %s MB), "+
				"so memory does not follow the subject's size",
				big/small, formatNumber(maxPeak(sm.dsr)), formatNumber(maxPeak(b.dsr)), formatNumber(maxHWM(sm.dsr)), formatNumber(maxHWM(b.dsr))),
		}.below(64),
	}, nil
}

func seconds(rs []exportResult) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.Seconds
	}
	return out
}

func maxHWM(rs []exportResult) float64 {
	m := 0.0
	for _, r := range rs {
		m = max(m, r.HWMMB)
	}
	return m
}

func maxPeak(rs []exportResult) float64 {
	m := 0.0
	for _, r := range rs {
		m = max(m, r.PeakMB)
	}
	return m
}

// exportChild runs one export (mode dsr or copy) in a child process: this binary again,
// with the hidden child command.
func (e *Env) exportChild(ctx context.Context, mode, dbURL string, s exportSubject, cpuProfile string) (exportResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return exportResult{}, fmt.Errorf("find this program to run the export child: %w", err)
	}
	dir, err := os.MkdirTemp(e.Dir, "export-")
	if err != nil {
		return exportResult{}, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, exe, childCommand, "-mode", mode, "-db", dbURL, "-tenant", s.tenant,
		"-email", demo.UserEmail(1), "-dir", dir, "-cpuprofile", cpuProfile)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return exportResult{}, fmt.Errorf("export child (%s, %d messages): %w", mode, s.messages, err)
	}
	var r exportResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return r, fmt.Errorf("export child (%s): read its result %q: %w", mode, stdout.String(), err)
	}
	// The peak comes from the child's own /proc/self/status rather than from its rusage: Go
	// starts children with vfork, and at the exec Linux records the resident set of the
	// address space being left (the parent's, shared) in the child's ru_maxrss, so ru_maxrss
	// says how big the bench was, not the export. All are kept for the notes.
	if r.AnonKiB <= 0 || r.HWMKiB <= 0 {
		return r, errors.New("export child: it reported no resident set")
	}
	r.PeakMB = float64(r.AnonKiB) * 1024 / 1e6
	r.HWMMB = float64(r.HWMKiB) * 1024 / 1e6
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.RusageMB = float64(ru.Maxrss) * 1024 / 1e6 // ru_maxrss is in KiB on Linux
	}
	return r, nil
}

// runChild is the child process: one export, its result as JSON on standard output.
func runChild(args []string) error {
	fs := flag.NewFlagSet(childCommand, flag.ContinueOnError)
	mode := fs.String("mode", "dsr", "dsr (bundle.Build) or copy (COPY TO STDOUT into a file)")
	dbURL := fs.String("db", "", "chat store URL")
	tenant := fs.String("tenant", "", "tenant id")
	email := fs.String("email", "", "subject email")
	dir := fs.String("dir", "", "directory to write into")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the export here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	var run func() (exportResult, error)
	switch *mode {
	case "dsr":
		db, err := sqlx.Connect("postgres", *dbURL)
		if err != nil {
			return err
		}
		defer db.Close()
		run = func() (exportResult, error) { return dsrExport(ctx, db, *tenant, *email, *dir) }
	case "copy":
		conn, err := pgconn.Connect(ctx, *dbURL)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		run = func() (exportResult, error) { return copyExport(ctx, conn, *tenant, *email, *dir) }
	default:
		return fmt.Errorf("unknown mode %q", *mode)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// Linux keeps no high-water mark of the private part of the resident set alone, so it
	// is sampled every 2 ms while the export runs.
	var anon int64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			if m, err := procStatus(); err == nil {
				anon = max(anon, m["RssAnon"])
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	r, err := run()
	r.Seconds = time.Since(start).Seconds()
	close(done)
	<-sampled
	if err != nil {
		return err
	}
	m, err := procStatus()
	if err != nil {
		return err
	}
	r.AnonKiB, r.HWMKiB, r.FileKiB = max(anon, m["RssAnon"]), m["VmHWM"], m["RssFile"]
	return json.NewEncoder(os.Stdout).Encode(r)
}

// procStatus reads the memory lines of /proc/self/status, in KiB.
func procStatus() (map[string]int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, fmt.Errorf("resident set: %w", err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(line, ":")
		if !ok || !strings.HasSuffix(v, " kB") {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, " kB")), 10, 64); err == nil {
			out[name] = n
		}
	}
	return out, nil
}

// dsrExport is the measured dsr side: bundle.Build over the chat-store connector, as the
// BuildPackage activity calls it.
func dsrExport(ctx context.Context, db *sqlx.DB, tenant, email, dir string) (exportResult, error) {
	req := connectors.Request{ID: uuid.NewString(), Type: domain.Access,
		Subject: connectors.Subject{TenantID: tenant, Email: email}}
	meta := bundle.Meta{RequestID: req.ID, Type: req.Type, TenantID: tenant, GeneratedAt: time.Now().UTC().Truncate(time.Second)}
	// The activity heartbeats from the progress callback; here it has nobody to tell.
	info, err := bundle.Build(ctx, dir, meta, req, connectors.ExportScope{}, []connectors.Connector{chatstore.New(db)},
		func(int64) {})
	if err != nil {
		return exportResult{}, err
	}
	var rows int64
	for _, n := range info.Rows {
		rows += n
	}
	return exportResult{Rows: rows, Bytes: info.Bytes}, nil
}

// copyExportSQL selects, for end-user $ID, the rows of each category of a full access
// export: profile, conversations they started, every message of those and the messages they
// wrote elsewhere, the attachments of those messages, tokens (without the hash), sessions
// and saved searches.
var copyExportSQL = []string{
	`SELECT 'end_user' AS role, id, email, name, display_name, avatar_url, phone, locale, last_ip, user_agent,
		restricted_at, array_to_string(processing_objections, ','), created_at, updated_at FROM end_users WHERE id = $ID`,
	`SELECT id, status, subject, channel, created_at, closed_at FROM conversations WHERE requester_id = $ID ORDER BY id`,
	`SELECT m.id, m.conversation_id, m.author_kind, m.author_id, m.author_name, m.body, m.created_at
		FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.requester_id = $ID
	UNION ALL
	SELECT m.id, m.conversation_id, m.author_kind, m.author_id, m.author_name, m.body, m.created_at FROM messages m
		WHERE m.author_kind = 'end_user' AND m.author_id = $ID
		AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id AND c.requester_id = $ID)
	ORDER BY 1`,
	`SELECT a.id, a.message_id, a.filename, a.content_type, a.size_bytes, a.storage_key, a.created_at
		FROM (SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.requester_id = $ID
			UNION ALL
			SELECT m.id FROM messages m WHERE m.author_kind = 'end_user' AND m.author_id = $ID
				AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id AND c.requester_id = $ID)) s
		JOIN attachments a ON a.message_id = s.id ORDER BY a.id`,
	`SELECT id, 'end_user', provider, scopes, expires_at, created_at FROM oauth_tokens WHERE end_user_id = $ID ORDER BY id`,
	`SELECT id, 'end_user', ip_address, user_agent, created_at, last_seen_at FROM sessions WHERE end_user_id = $ID ORDER BY id`,
	`SELECT id, 'end_user', name, query, created_at FROM saved_searches WHERE end_user_id = $ID ORDER BY id`,
}

// copyExport is the baseline side: the end-user's id looked up, then one COPY (...) TO
// STDOUT per category, in one read-only repeatable-read transaction as dsr's export, into one
// buffered file that is synced at the end as the package is.
func copyExport(ctx context.Context, conn *pgconn.PgConn, tenant, email, dir string) (exportResult, error) {
	f, err := os.Create(filepath.Join(dir, "export.csv"))
	if err != nil {
		return exportResult{}, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 64<<10)
	if _, err := conn.Exec(ctx, `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`).ReadAll(); err != nil {
		return exportResult{}, fmt.Errorf("copy export: begin: %w", err)
	}
	res := conn.ExecParams(ctx, `SELECT id FROM end_users WHERE account_id = $1 AND lower(email) = lower($2)`,
		[][]byte{[]byte(tenant), []byte(email)}, nil, nil, nil).Read()
	if res.Err != nil {
		return exportResult{}, fmt.Errorf("copy export: find the subject: %w", res.Err)
	}
	if len(res.Rows) != 1 {
		return exportResult{}, fmt.Errorf("copy export: %d end-users match", len(res.Rows))
	}
	id, err := strconv.ParseInt(string(res.Rows[0][0]), 10, 64)
	if err != nil {
		return exportResult{}, fmt.Errorf("copy export: subject id: %w", err)
	}
	var rows int64
	for _, q := range copyExportSQL {
		q = `COPY (` + replaceID(q, id) + `) TO STDOUT WITH (FORMAT csv, HEADER)`
		tag, err := conn.CopyTo(ctx, w, q)
		if err != nil {
			return exportResult{}, fmt.Errorf("copy export: %w", err)
		}
		rows += tag.RowsAffected()
	}
	if _, err := conn.Exec(ctx, `COMMIT`).ReadAll(); err != nil {
		return exportResult{}, fmt.Errorf("copy export: commit: %w", err)
	}
	if err := w.Flush(); err != nil {
		return exportResult{}, err
	}
	if err := f.Sync(); err != nil {
		return exportResult{}, err
	}
	st, err := f.Stat()
	if err != nil {
		return exportResult{}, err
	}
	return exportResult{Rows: rows, Bytes: st.Size()}, nil
}

// replaceID puts the subject's id into a query: COPY takes no parameters.
func replaceID(q string, id int64) string {
	return strings.ReplaceAll(q, "$ID", strconv.FormatInt(id, 10))
}
