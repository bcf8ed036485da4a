package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"dsr/internal/app"
	"dsr/internal/demo"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/schema"
	"dsr/workflows"
)

// noopQueue is the task queue of the baseline workflow, on the same server as dsr's.
const noopQueue = "bench-noop"

// Submitters is how many clients submit at once, on each side.
const submitters = 8

// noopWorkflow is the baseline: the given number of activities that do nothing, one after
// the other, as a DSR request's activities mostly run.
func noopWorkflow(ctx workflow.Context, n int) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	for i := range n {
		if err := workflow.ExecuteActivity(ctx, noopActivity, i).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// noopActivity does nothing.
func noopActivity(_ context.Context, _ int) error { return nil }

// wfSystem is a complete dsr on the embedded server, wired as `dsr serve` wires it, plus
// the baseline's worker.
type wfSystem struct {
	orch, chat *sqlx.DB
	// sampler is a connection of its own to the server's maintenance database, so that
	// sampling neither takes a connection from dsr's pool nor shows in the samples.
	sampler  *sqlx.DB
	orchName string
	chatName string
	st       *store.Store
	c        client.Client
	timing   *timing
	apiURL   string
	apiKey   string
	tenant   store.Tenant
	stop     []func()
}

func (s *wfSystem) close() {
	for i := len(s.stop) - 1; i >= 0; i-- {
		s.stop[i]()
	}
}

// phase is one batch of requests of one side.
type phase struct {
	submitted map[string]time.Time // workflow id -> when its submission began
	first     time.Time
	last      time.Time // the last close
	latencies []float64 // ms, submission to close
	cpu       cpuSample
	lock      lockSample
}

func (p phase) elapsed() time.Duration { return p.last.Sub(p.first) }

// benchWorkflow measures DSR requests end to end through the embedded Temporal server
// against a no-op workflow with as many activities on the same server.
func benchWorkflow(ctx context.Context, e *Env) ([]Row, error) {
	n, rounds := 1000, 4
	if e.Quick {
		n, rounds = 200, 2
	}
	const warm = 10
	s, err := startSystem(ctx, e, n+warm)
	if err != nil {
		return nil, err
	}
	defer s.close()

	// Warm up both sides, and count the activities of a DSR request from its history.
	next := 0
	wp, err := s.runDSR(ctx, e, &next, warm)
	if err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	var someID string
	for id := range wp.submitted {
		someID = id
		break
	}
	shape, err := historyShape(ctx, s.c, someID)
	if err != nil {
		return nil, err
	}
	if shape.activities == 0 {
		return nil, fmt.Errorf("the history of %s has no activity", someID)
	}
	if _, err := s.runNoop(ctx, warm, shape.activities); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	e.Log.Info("a DSR request's history", slog.Int("activities", shape.activities), slog.Int("events", shape.events),
		slog.Int("timers", shape.timers), slog.Int("workflow_tasks", shape.workflowTasks))

	// Alternate the sides in rounds, so that drift (the store growing, other load on the
	// machine) falls on both.
	var dsr, noop []phase
	s.timing.reset()
	per := n / rounds
	for round := range rounds {
		stop := e.profile(fmt.Sprintf("workflow-noop-%d", round+1))
		p, err := s.runNoop(ctx, per, shape.activities)
		stop()
		if err != nil {
			return nil, fmt.Errorf("round %d, no-op: %w", round+1, err)
		}
		noop = append(noop, p)
		s.timing.on(true)
		stop = e.profile(fmt.Sprintf("workflow-dsr-%d", round+1))
		p, err = s.runDSR(ctx, e, &next, per)
		stop()
		s.timing.on(false)
		if err != nil {
			return nil, fmt.Errorf("round %d, dsr: %w", round+1, err)
		}
		dsr = append(dsr, p)
		e.Log.Info("workflow round", slog.Int("round", round+1),
			slog.Float64("dsr_per_s", rate(dsr[round:])), slog.Float64("noop_per_s", rate(noop[round:])))
	}
	noopShape, err := historyShape(ctx, s.c, firstID(noop[0]))
	if err != nil {
		return nil, err
	}
	serial, err := s.serialRecord(ctx, 200)
	if err != nil {
		return nil, err
	}

	dl, nl := latencies(dsr), latencies(noop)
	row := Row{
		Name:         fmt.Sprintf("workflow throughput, %d requests", per*rounds),
		Unit:         "requests/s",
		DSR:          rate(dsr),
		Baseline:     rate(noop),
		BaselineName: fmt.Sprintf("no-op workflow with %d no-op activities", shape.activities),
		Detail: fmt.Sprintf("restriction requests submitted over the HTTP API (%d clients at once) to completed, real workers and activities on the embedded server; "+
			"%d rounds alternating no-op then dsr; latency submission to close p50/p99: dsr %s/%s ms, no-op %s/%s ms; "+
			"history per request: dsr %d events (%d activities, %d workflow tasks, %d timers), no-op %d events; %s",
			submitters, rounds, formatNumber(percentile(dl, 50)), formatNumber(percentile(dl, 99)),
			formatNumber(percentile(nl, 50)), formatNumber(percentile(nl, 99)),
			shape.events, shape.activities, shape.workflowTasks, shape.timers, noopShape.events,
			whereTimeGoes(dsr, noop, s.timing, per*rounds, serial)),
	}.ratioAtLeast(0.7)
	return []Row{row}, nil
}

// startSystem starts the databases, the embedded server, dsr's workers and API, and the
// baseline's worker, with a tenant whose chat store has subjects end-users.
func startSystem(ctx context.Context, e *Env, subjects int) (s *wfSystem, err error) {
	s = &wfSystem{timing: newTiming()}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	var orchURL string
	if s.orch, orchURL, err = e.NewDatabase(ctx, schema.Orchestrator); err != nil {
		return s, err
	}
	u, err := url.Parse(orchURL)
	if err != nil {
		return s, err
	}
	s.orchName = strings.TrimPrefix(u.Path, "/")
	if s.sampler, err = e.admin(ctx); err != nil {
		return s, err
	}
	s.stop = append(s.stop, func() { s.sampler.Close() })
	var chatURL string
	if s.chat, chatURL, err = e.NewDatabase(ctx, schema.ChatStore); err != nil {
		return s, err
	}
	if u, err = url.Parse(chatURL); err != nil {
		return s, err
	}
	s.chatName = strings.TrimPrefix(u.Path, "/")
	s.st = store.New(s.orch)
	if s.tenant, s.apiKey, err = s.st.CreateTenantWithKey(ctx, store.Tenant{Name: "Bench", Region: "eu", Country: "FR", TZ: "Europe/Paris"}); err != nil {
		return s, err
	}
	if _, err := demo.Seed(ctx, s.chat, demo.Options{TenantID: s.tenant.ID, TenantName: s.tenant.Name, EndUsers: subjects, Messages: 10 * subjects}); err != nil {
		return s, err
	}

	// dsr as `dsr serve` wires it: the connectors it configures by default (the chat store
	// and the backups catalog; sub-processors come from a registry file, none here).
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	cfg, err := benchConfig(filepath.Join(e.Dir, "workflow"))
	if err != nil {
		return s, err
	}
	cfg.BlockerRecheck = 15 * time.Minute
	a, err := app.New(ctx, cfg, app.WithDatabases(s.orch, s.chat), app.WithLogger(quiet), app.WithEngineLogLevel("error"),
		app.WithClientInterceptors(s.timing))
	if err != nil {
		return s, err
	}
	s.stop = append(s.stop, a.Close)
	s.c = a.Temporal
	if err := a.Start(); err != nil {
		return s, err
	}
	w := worker.New(s.c, noopQueue, worker.Options{WorkerStopTimeout: 20 * time.Second})
	w.RegisterWorkflow(noopWorkflow)
	w.RegisterActivity(noopActivity)
	if err := w.Start(); err != nil {
		return s, fmt.Errorf("start the no-op worker: %w", err)
	}
	s.stop = append(s.stop, w.Stop)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return s, err
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	s.stop = append(s.stop, func() { srv.Close() })
	s.apiURL = "http://" + ln.Addr().String()
	return s, nil
}

// runDSR submits count restriction requests through the API, for the next end-users, and
// waits until every one has completed.
func (s *wfSystem) runDSR(ctx context.Context, e *Env, next *int, count int) (phase, error) {
	hc := &http.Client{Timeout: time.Minute}
	start := *next
	*next += count
	submit := func(i int) (string, error) {
		body, _ := json.Marshal(map[string]any{"type": domain.Restriction,
			"subject": map[string]string{"email": demo.UserEmail(start + i + 1)}})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.apiURL+"/v1/requests", bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+s.apiKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		var out struct {
			ID string `json:"id"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
			return "", fmt.Errorf("POST /v1/requests: %s (%v)", resp.Status, err)
		}
		return workflows.WorkflowID(out.ID), nil
	}
	p, err := s.run(ctx, count, submit)
	if err != nil {
		return p, err
	}
	// The record says completed for every one of them.
	ids := make([]string, 0, len(p.submitted))
	for wid := range p.submitted {
		ids = append(ids, strings.TrimPrefix(wid, "dsr-"))
	}
	var done int
	if err := s.orch.GetContext(ctx, &done, `SELECT count(*) FROM requests WHERE id = ANY($1::uuid[]) AND status = 'completed'`, pq.Array(ids)); err != nil {
		return p, err
	}
	if done != count {
		return p, fmt.Errorf("%d of %d requests completed in the record", done, count)
	}
	return p, nil
}

// runNoop starts count no-op workflows of activities activities and waits for them.
func (s *wfSystem) runNoop(ctx context.Context, count, activities int) (phase, error) {
	return s.run(ctx, count, func(int) (string, error) {
		id := "bench-noop-" + uuid.NewString()
		_, err := s.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: noopQueue}, noopWorkflow, activities)
		return id, err
	})
}

// run submits count workflows with submitters clients at once, waits until all are closed
// and reads their close times from the server.
func (s *wfSystem) run(ctx context.Context, count int, submit func(i int) (string, error)) (phase, error) {
	p := phase{submitted: make(map[string]time.Time, count)}
	stopLock := s.sampleLock(ctx)
	cpu0 := readCPU()
	pg0 := s.backendCPU(ctx)
	var mu sync.Mutex
	var firstErr error
	work := make(chan int)
	var wg sync.WaitGroup
	p.first = time.Now()
	for range submitters {
		wg.Go(func() {
			for i := range work {
				t := time.Now()
				id, err := submit(i)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					p.submitted[id] = t
				}
				mu.Unlock()
			}
		})
	}
	for i := range count {
		work <- i
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		stopLock()
		return p, firstErr
	}
	// Wait for each in turn: one long poll at a time, so that waiting adds no load.
	for id := range p.submitted {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		err := s.c.GetWorkflow(wctx, id, "").Get(wctx, nil)
		cancel()
		if err != nil {
			stopLock()
			return p, fmt.Errorf("workflow %s: %w", id, err)
		}
	}
	p.cpu = readCPU().since(cpu0)
	p.cpu.pg = sinceBackends(s.backendCPU(ctx), pg0)
	p.lock = stopLock()
	for id, t := range p.submitted {
		d, err := s.c.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			return p, fmt.Errorf("describe %s: %w", id, err)
		}
		info := d.GetWorkflowExecutionInfo()
		if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			return p, fmt.Errorf("workflow %s ended %s", id, info.GetStatus())
		}
		closed := info.GetCloseTime().AsTime()
		p.latencies = append(p.latencies, ms(closed.Sub(t)))
		if closed.After(p.last) {
			p.last = closed
		}
	}
	return p, nil
}

func firstID(p phase) string {
	for id := range p.submitted {
		return id
	}
	return ""
}

// rate is requests per second over the phases: all requests over the phases' summed time
// from the first submission to the last close.
func rate(ps []phase) float64 {
	var n int
	var t time.Duration
	for _, p := range ps {
		n += len(p.submitted)
		t += p.elapsed()
	}
	if t <= 0 {
		return 0
	}
	return float64(n) / t.Seconds()
}

func latencies(ps []phase) []float64 {
	var out []float64
	for _, p := range ps {
		out = append(out, p.latencies...)
	}
	return out
}

// shape counts what a workflow's history holds.
type shape struct {
	events, activities, timers, workflowTasks int
}

func historyShape(ctx context.Context, c client.Client, id string) (shape, error) {
	var s shape
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return s, fmt.Errorf("history of %s: %w", id, err)
		}
		s.events++
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			s.activities++
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			s.timers++
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			s.workflowTasks++
		}
	}
	return s, nil
}

// timing records, per activity type, how long activities ran and waited in their queue; a
// client interceptor, so that the workers dsr's own code starts (workers.Start) carry it.
type timing struct {
	interceptor.InterceptorBase
	mu      sync.Mutex
	enabled bool
	by      map[string]*activityTimes
}

type activityTimes struct {
	count         int
	run, queued   time.Duration
	runs, queueds []float64
}

func newTiming() *timing { return &timing{by: map[string]*activityTimes{}} }

func (t *timing) on(v bool) {
	t.mu.Lock()
	t.enabled = v
	t.mu.Unlock()
}

func (t *timing) reset() {
	t.mu.Lock()
	t.by = map[string]*activityTimes{}
	t.mu.Unlock()
}

// InterceptActivity wraps every activity a worker of this client runs.
func (t *timing) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	a := &timedActivity{root: t}
	a.Next = next
	return a
}

type timedActivity struct {
	interceptor.ActivityInboundInterceptorBase
	root *timing
}

func (a *timedActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	start := time.Now()
	res, err := a.Next.ExecuteActivity(ctx, in)
	ran := time.Since(start)
	info := activity.GetInfo(ctx)
	queued := info.StartedTime.Sub(info.ScheduledTime)
	t := a.root
	t.mu.Lock()
	if t.enabled {
		at := t.by[info.ActivityType.Name]
		if at == nil {
			at = &activityTimes{}
			t.by[info.ActivityType.Name] = at
		}
		at.count++
		at.run += ran
		at.queued += queued
		at.runs = append(at.runs, ms(ran))
		at.queueds = append(at.queueds, ms(queued))
	}
	t.mu.Unlock()
	return res, err
}

// lockSample is what sampling pg_locks and pg_stat_activity of the orchestrator database
// showed, summed over the samples, and what the orchestrator's connection pool saw.
type lockSample struct {
	samples int
	// held counts the samples in which a transaction held the audit-chain lock; waiting
	// sums the transactions waiting for it; active the backends running a statement;
	// idleInTx those inside a transaction waiting for the client's next statement; conns
	// the orchestrator's connections.
	held, waiting, active, idleInTx, conns int
	// poolWaits and poolWait are how often and how long, in all, callers waited for a
	// free connection of the orchestrator's pool (database/sql's DBStats).
	poolWaits int64
	poolWait  time.Duration
	elapsed   time.Duration
}

func (l lockSample) add(o lockSample) lockSample {
	return lockSample{samples: l.samples + o.samples, held: l.held + o.held, waiting: l.waiting + o.waiting, active: l.active + o.active,
		idleInTx: l.idleInTx + o.idleInTx, conns: l.conns + o.conns, poolWaits: l.poolWaits + o.poolWaits,
		poolWait: l.poolWait + o.poolWait, elapsed: l.elapsed + o.elapsed}
}

func (l lockSample) mean(n int) float64 { return float64(n) / float64(max(l.samples, 1)) }

// chainLockObjID is store.Record's audit-chain advisory lock key (0x64737202) as pg_locks
// shows it: classid 0, objid the key, objsubid 1 for a bigint key.
const chainLockObjID = 0x64737202

// sampleLock counts, every 5 ms until stopped, the orchestrator's backends that wait for an
// advisory lock: Record's audit-chain lock is the only one dsr takes there.
func (s *wfSystem) sampleLock(ctx context.Context) (stop func() lockSample) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan lockSample, 1)
	pool0 := s.orch.Stats()
	go func() {
		var ls lockSample
		start := time.Now()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				ls.elapsed = time.Since(start)
				pool := s.orch.Stats()
				ls.poolWaits = pool.WaitCount - pool0.WaitCount
				ls.poolWait = pool.WaitDuration - pool0.WaitDuration
				done <- ls
				return
			case <-t.C:
				var r struct {
					Held     int `db:"held"`
					Waiting  int `db:"waiting"`
					Active   int `db:"active"`
					IdleInTx int `db:"idle_in_tx"`
					Conns    int `db:"conns"`
				}
				err := s.sampler.GetContext(ctx, &r, `WITH l AS (
						SELECT granted FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $2 AND objsubid = 1
							AND database = (SELECT oid FROM pg_database WHERE datname = $1))
					SELECT (SELECT count(*) FROM l WHERE granted) AS held, (SELECT count(*) FROM l WHERE NOT granted) AS waiting,
						count(*) FILTER (WHERE state = 'active') AS active,
						count(*) FILTER (WHERE state = 'idle in transaction') AS idle_in_tx,
						count(*) AS conns
					FROM pg_stat_activity WHERE datname = $1`, s.orchName, chainLockObjID)
				if err != nil {
					continue
				}
				ls.samples++
				ls.held += r.Held
				ls.waiting += r.Waiting
				ls.active += r.Active
				ls.idleInTx += r.IdleInTx
				ls.conns += r.Conns
			}
		}
	}()
	return func() lockSample {
		cancel()
		return <-done
	}
}

// whereTimeGoes sums up the dsr side: activities by type, the audit-chain lock, CPU.
func whereTimeGoes(dsr, noop []phase, t *timing, requests int, serial float64) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	type entry struct {
		name string
		at   *activityTimes
	}
	var list []entry
	var total time.Duration
	for name, at := range t.by {
		list = append(list, entry{name, at})
		total += at.run
	}
	sort.Slice(list, func(i, j int) bool { return list[i].at.run > list[j].at.run })
	var parts []string
	for _, e := range list {
		parts = append(parts, fmt.Sprintf("%s %.1f/request, mean %s ms (p99 %s), queued mean %s ms",
			e.name, float64(e.at.count)/float64(requests), formatNumber(ms(e.at.run)/float64(e.at.count)),
			formatNumber(percentile(e.at.runs, 99)), formatNumber(ms(e.at.queued)/float64(e.at.count))))
	}
	var elapsed time.Duration
	var lock lockSample
	var cpuD, cpuN cpuSample
	for _, p := range dsr {
		elapsed += p.elapsed()
		lock = lock.add(p.lock)
		cpuD = cpuD.add(p.cpu)
	}
	for _, p := range noop {
		cpuN = cpuN.add(p.cpu)
	}
	out := "where dsr's time goes (activity execution as the workers saw it): " + strings.Join(parts, "; ")
	if rec := t.by["Record"]; rec != nil && lock.samples > 0 {
		waiting := lock.mean(lock.waiting)
		held := lock.mean(lock.held)
		// Little's law: the mean number waiting is the arrival rate times the mean wait;
		// the share of time the lock is held is the rate times the mean hold.
		perSec := float64(rec.count) / elapsed.Seconds()
		out += fmt.Sprintf("; audit-chain lock (pg_locks sampled every 5 ms, %d samples): held %.0f%% of the time, %.1f transactions waiting for it on average, "+
			"%.0f Records/s, so a Record holds it %s ms and waits %s ms for it, of the %s ms the Record activity takes; "+
			"orchestrator connections: %.1f open, %.1f running a statement, %.1f idle in a transaction (waiting for the Go side's next statement); "+
			"callers waited %d times for one of the pool's connections, %s ms on average",
			lock.samples, 100*held, waiting, perSec, formatNumber(held/perSec*1000), formatNumber(waiting/perSec*1000), formatNumber(ms(rec.run)/float64(rec.count)),
			lock.mean(lock.conns), lock.mean(lock.active), lock.mean(lock.idleInTx),
			lock.poolWaits, formatNumber(ms(lock.poolWait)/float64(max(lock.poolWaits, 1))))
		perRequest := float64(rec.count) / float64(requests)
		out += fmt.Sprintf("; one Record alone (no other writer) takes %s ms, nearly all of it holding the lock (it is taken first, kept to the commit), "+
			"so the lock lets through at most %.0f Records/s, %.0f requests/s at %.0f Records a request",
			formatNumber(serial), 1000/serial, 1000/serial/perRequest, perRequest)
	}
	// Other work on a shared machine comes and goes; CPU time per request does not depend on
	// it, and on a machine this small throughput follows it.
	perReq := func(c cpuSample) float64 { return (c.self + c.pg) * 1000 / float64(requests) }
	out += fmt.Sprintf("; CPU per request, whatever else the machine ran: dsr %s ms (bench process %s, PostgreSQL %s), no-op %s ms, a ratio of %s",
		formatNumber(perReq(cpuD)), formatNumber(cpuD.self*1000/float64(requests)), formatNumber(cpuD.pg*1000/float64(requests)),
		formatNumber(perReq(cpuN)), formatRatio(ratioOf(perReq(cpuN), perReq(cpuD))))
	out += fmt.Sprintf("; CPU of the 2 cores while dsr ran: bench process (embedded Temporal + SQLite, workers, API) %s, "+
		"PostgreSQL serving dsr's two databases %s, the rest of the machine (other work) %s, idle %s; while the no-op ran: bench process %s, "+
		"PostgreSQL %s, rest %s, idle %s",
		cpuD.share(cpuD.self), cpuD.share(cpuD.pg), cpuD.share(cpuD.others()), cpuD.share(cpuD.idle),
		cpuN.share(cpuN.self), cpuN.share(cpuN.pg), cpuN.share(cpuN.others()), cpuN.share(cpuN.idle))
	return out
}

// serialRecord records n events one after the other on a request of its own and returns the
// mean time of one store.Record: with no other writer, the time the audit-chain lock is
// held per event.
func (s *wfSystem) serialRecord(ctx context.Context, n int) (float64, error) {
	now := time.Now().UTC()
	req, _, err := s.st.CreateRequest(ctx, store.NewRequest{TenantID: s.tenant.ID, Type: domain.Restriction, Source: "api",
		SubjectEmail: "serial-record@bench.example", ReceivedAt: now})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	for i := range n {
		_, err := s.st.Record(ctx, domain.Change{RequestID: req.ID, DedupeKey: fmt.Sprintf("bench:%04d", i), Kind: "bench",
			Actor: "bench", Message: "serial record", Detail: map[string]int{"i": i}})
		if err != nil {
			return 0, err
		}
	}
	return ms(time.Since(start)) / float64(n), nil
}

// backendCPU reads the CPU time, in seconds, of the PostgreSQL backends connected to dsr's
// two databases, by process id.
func (s *wfSystem) backendCPU(ctx context.Context) map[int]float64 {
	var pids []int
	if err := s.sampler.SelectContext(ctx, &pids, `SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)`,
		pq.Array([]string{s.orchName, s.chatName})); err != nil {
		return nil
	}
	out := make(map[int]float64, len(pids))
	for _, pid := range pids {
		if t, ok := processCPU(pid); ok {
			out[pid] = t
		}
	}
	return out
}

// sinceBackends sums the CPU the backends used between two readings; a backend that was not
// there at the first reading counts from its start.
func sinceBackends(now, before map[int]float64) float64 {
	total := 0.0
	for pid, t := range now {
		total += t - before[pid]
	}
	return total
}
