package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"dsr/internal/app"
	"dsr/internal/mail/imap"
	"dsr/internal/store"
	"dsr/internal/testkit/dovecot"
	"dsr/schema"
	"dsr/workflows"
)

func init() {
	sections = append(sections, section{name: "ingestion", run: benchIngestion})
}

// corpusDir is the labelled privacy-mailbox corpus, beside the repository.
const corpusDir = "../shared/fixtures/mail"

var messageIDHeader = regexp.MustCompile(`(?im)^Message-ID:[^\r\n]*\r?\n`)

// mailboxOf makes n mails from the corpus, each with a Message-ID of its own: the same mix
// of requests (seven languages, several rights, forwarded, HTML-only, with an ID card) and
// non-requests (support, auto-reply, bounce, reply) as the corpus.
func mailboxOf(n int) ([][]byte, error) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("read the corpus in %s (the shared fixtures sit beside the repository): %v", corpusDir, err)
	}
	sort.Strings(files)
	var corpus [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		corpus = append(corpus, messageIDHeader.ReplaceAll(b, nil))
	}
	out := make([][]byte, n)
	for i := range out {
		src := corpus[i%len(corpus)]
		var b bytes.Buffer
		fmt.Fprintf(&b, "Message-ID: <bench-%d@mail.example>\r\n", i)
		b.Write(src)
		out[i] = b.Bytes()
	}
	return out, nil
}

// held are the corpus subjects the bench tenant's chat store holds: their requests become
// requests with running workflows; the others get cases only ("no data held").
var held = []string{"alice.martin@example.org", "bob.keller@example.net", "elodie.dupre@exemple.fr",
	"priya.n@example.com", "grace.h@example.org", "katrin.schulz@beispiel.de", "j.weiss@beispiel.de"}

// benchIngestion takes 10,000 mails (2,000 with -quick) from a real Dovecot into cases and
// requests, against a raw IMAP FETCH of the same mails in batches of the same size.
func benchIngestion(ctx context.Context, e *Env) ([]Row, error) {
	n := 10000
	if e.Quick {
		n = 2000
	}
	raws, err := mailboxOf(n)
	if err != nil {
		return nil, err
	}
	dc, err := dovecot.Launch()
	if err != nil {
		return nil, fmt.Errorf("dovecot: %w", err)
	}
	defer dc.Close()
	if err := dc.DeliverRaw(raws...); err != nil {
		return nil, err
	}

	// Baseline: fetch every mail, as the poll does, and keep nothing.
	cpuBase := readCPU()
	base, err := rawFetch(ctx, dc.URL())
	cpuBase = readCPU().since(cpuBase)
	if err != nil {
		return nil, fmt.Errorf("raw fetch: %w", err)
	}
	if base.count != n {
		return nil, fmt.Errorf("raw fetch read %d of %d mails", base.count, n)
	}

	orch, _, err := e.NewDatabase(ctx, schema.Orchestrator)
	if err != nil {
		return nil, err
	}
	chat, _, err := e.NewDatabase(ctx, schema.ChatStore)
	if err != nil {
		return nil, err
	}
	// dsr as `dsr serve` wires it, with the mailbox and no worker: the requests' workflows
	// are started, not run.
	cfg, err := benchConfig(filepath.Join(e.Dir, "ingest"))
	if err != nil {
		return nil, err
	}
	cfg.IMAPURL = dc.URL()
	a, err := app.New(ctx, cfg, app.WithDatabases(orch, chat), app.WithLogger(slog.New(slog.DiscardHandler)), app.WithEngineLogLevel("error"))
	if err != nil {
		return nil, err
	}
	defer a.Close()
	c, st := a.Temporal, a.Store
	t, err := st.CreateTenant(ctx, store.Tenant{Name: "Bench Shoes", Region: "eu", Country: "FR", TZ: "Europe/Paris"})
	if err != nil {
		return nil, err
	}
	if err := a.ChatStore.EnsureAccount(ctx, t.ID, t.Name); err != nil {
		return nil, err
	}
	for _, email := range held {
		if _, err := chat.ExecContext(ctx, `INSERT INTO end_users (account_id, email, name) VALUES ($1, $2, 'Visitor')`, t.ID, email); err != nil {
			return nil, err
		}
	}
	room := a.Room

	stop := e.profile("ingestion")
	cpuPoll := readCPU()
	start := time.Now()
	res, err := room.Poll(ctx, 0, nil)
	elapsed := time.Since(start)
	cpuPoll = readCPU().since(cpuPoll)
	stop()
	if err != nil {
		return nil, fmt.Errorf("poll: %w", err)
	}
	// The workflows of the requests start in the background, off the ingestion path.
	room.WaitStarts()
	startedAll := time.Since(start)
	started, err := workflowsOf(ctx, c, orch)
	if err != nil {
		return nil, err
	}
	if res.Filed != n {
		return nil, fmt.Errorf("poll filed %d of %d mails", res.Filed, n)
	}
	var cases, requests int
	if err := orch.GetContext(ctx, &cases, `SELECT count(*) FROM mail_cases`); err != nil {
		return nil, err
	}
	if err := orch.GetContext(ctx, &requests, `SELECT count(*) FROM requests`); err != nil {
		return nil, err
	}
	dsrRate := float64(n) / elapsed.Seconds()
	baseRate := float64(n) / base.elapsed.Seconds()
	row := Row{
		Name:         fmt.Sprintf("ingestion, %d mails (Dovecot)", n),
		Unit:         "mails/s",
		DSR:          dsrRate,
		Baseline:     baseRate,
		BaselineName: "raw IMAP FETCH of the same mails, same batches",
		Ratio:        dsrRate / baseRate,
		Goal:         ">= 0.5x",
		Detail: fmt.Sprintf("%s for dsr (parse, classify, seal, record %d cases and %d requests, filed by MOVE) vs %s; folders %v; "+
			"the requests' workflows start in the background: all %d started %s after the poll began (%.0f starts/s on the embedded server)",
			elapsed.Round(time.Millisecond), cases, requests, base.elapsed.Round(time.Millisecond), res.ByFolder,
			started, startedAll.Round(time.Millisecond), float64(started)/startedAll.Seconds()) + "; " + cpuBudget(n, cpuPoll, cpuBase),
	}
	row.Met = row.Ratio >= 0.5
	if started != requests {
		return nil, fmt.Errorf("%d of %d requests have a workflow", started, requests)
	}
	return []Row{row}, nil
}

// cpuBudget says what CPU the poll and the raw fetch used, machine-wide (the bench process,
// and the rest: Dovecot, PostgreSQL, anything else running), and the rate the poll's CPU
// would allow if it kept every core busy: the most a poll doing this work can reach here.
func cpuBudget(n int, poll, raw cpuSample) string {
	busy := func(s cpuSample) float64 { return s.total - s.idle }
	cores := float64(runtime.NumCPU())
	bound := float64(n) / (busy(poll) / cores)
	return fmt.Sprintf("CPU used during the poll: %.2f s (bench process %.2f s, the rest: Dovecot, PostgreSQL, other work %.2f s), "+
		"%.0f µs a mail; during the raw fetch %.2f s (%.0f µs a mail); with every one of the %d cores busy on the poll's work, "+
		"the rate could be at most %.0f mails/s",
		busy(poll), poll.self, busy(poll)-poll.self, 1e6*busy(poll)/float64(n), busy(raw), 1e6*busy(raw)/float64(n), int(cores), bound)
}

// workflowsOf counts the recorded requests whose workflow exists.
func workflowsOf(ctx context.Context, c client.Client, orch *sqlx.DB) (int, error) {
	var ids []string
	if err := orch.SelectContext(ctx, &ids, `SELECT id FROM requests`); err != nil {
		return 0, err
	}
	var n atomic.Int64
	errs := make([]error, len(ids))
	slots := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, id := range ids {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			_, err := c.DescribeWorkflowExecution(ctx, workflows.WorkflowID(id), "")
			var missing *serviceerror.NotFound
			switch {
			case errors.As(err, &missing):
			case err != nil:
				errs[i] = fmt.Errorf("describe the workflow of request %s: %w", id, err)
			default:
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return int(n.Load()), errors.Join(errs...)
}

type fetched struct {
	count   int
	bytes   int64
	elapsed time.Duration
}

// rawFetch reads every pending mail in the source folder in the poll's batch size.
func rawFetch(ctx context.Context, url string) (fetched, error) {
	var f fetched
	start := time.Now()
	c, err := imap.Dial(ctx, url)
	if err != nil {
		return f, err
	}
	defer c.Close()
	pending, err := c.Pending(ctx)
	if err != nil {
		return f, err
	}
	const batch = 200
	for i := 0; i < len(pending); i += batch {
		uids := make([]uint32, 0, batch)
		for _, p := range pending[i:min(i+batch, len(pending))] {
			uids = append(uids, p.UID)
		}
		err := c.Fetch(ctx, uids, func(_ uint32, raw []byte) error {
			f.count++
			f.bytes += int64(len(raw))
			return nil
		})
		if err != nil {
			return f, err
		}
	}
	f.elapsed = time.Since(start)
	return f, nil
}
