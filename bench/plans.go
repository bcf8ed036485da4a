package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"dsr/connectors/chatstore"
)

// bigTable is the size from which a sequential scan of a table in an erasure counts as a
// fault: below it (the agents of a tenant, say) a sequential scan is the right plan.
const bigTable = 10_000

// planCheck is what the executed plans of one dsr erasure and one raw SQL erasure show.
type planCheck struct {
	dsrStatements, rawStatements int
	// triggerQueries counts the queries the foreign keys' cascade triggers ran.
	triggerQueries int
	indexes        map[string]bool
	// seqScans names the sequential scans of big tables, with their statement.
	seqScans []string
	// dsrExec and rawExec sum, in ms, what the server spent executing each side's
	// statements (their plans' total time plus their triggers'), round trips excluded.
	dsrExec, rawExec float64
}

func (p planCheck) String() string {
	s := fmt.Sprintf("plans (auto_explain of the executed statements, analyzed, on one more subject per side): dsr %d statements executing in %s ms "+
		"on the server, raw SQL %d in %s ms, plus %d foreign-key trigger queries; indexes used: %s; ",
		p.dsrStatements, formatNumber(p.dsrExec), p.rawStatements, formatNumber(p.rawExec), p.triggerQueries, sortedKeys(p.indexes))
	if len(p.seqScans) == 0 {
		return s + fmt.Sprintf("no sequential scan of a table over %dk rows", bigTable/1000)
	}
	return s + "SEQUENTIAL SCANS: " + strings.Join(p.seqScans, "; ")
}

// checkPlans erases one subject with dsr and one with the raw SQL on a connection that has
// auto_explain log the plan of every statement (nested ones too: the foreign keys' cascade
// triggers) to the client, and checks that no big table is read sequentially. These two
// erasures are not timed.
func checkPlans(ctx context.Context, dbURL, tenant, dsrEmail, rawEmail string) (planCheck, error) {
	p := planCheck{indexes: map[string]bool{}}
	base, err := pq.NewConnector(dbURL)
	if err != nil {
		return p, fmt.Errorf("explain: %w", err)
	}
	var mu sync.Mutex
	var plans []string
	conn := pq.ConnectorWithNoticeHandler(base, func(n *pq.Error) {
		if i := strings.Index(n.Message, "plan:"); i >= 0 {
			mu.Lock()
			plans = append(plans, n.Message[i+len("plan:"):])
			mu.Unlock()
		}
	})
	sdb := sql.OpenDB(conn)
	// One connection, so that the session settings below hold for every statement.
	sdb.SetMaxOpenConns(1)
	sdb.SetMaxIdleConns(1)
	db := sqlx.NewDb(sdb, "postgres")
	defer db.Close()
	for _, q := range []string{
		`LOAD 'auto_explain'`,
		`SET auto_explain.log_min_duration = 0`,
		`SET auto_explain.log_analyze = on`,
		`SET auto_explain.log_triggers = on`,
		`SET auto_explain.log_nested_statements = on`,
		`SET auto_explain.log_format = json`,
		`SET auto_explain.log_level = notice`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return p, fmt.Errorf("explain: %s: %w (auto_explain ships with PostgreSQL; loading it needs a superuser)", q, err)
		}
	}
	var tables []struct {
		Name string  `db:"relname"`
		Rows float64 `db:"reltuples"`
	}
	if err := db.SelectContext(ctx, &tables, `SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`); err != nil {
		return p, fmt.Errorf("explain: table sizes: %w", err)
	}
	sizes := map[string]float64{}
	for _, t := range tables {
		sizes[t.Name] = t.Rows
	}
	take := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := plans
		plans = nil
		return out
	}
	take()

	if err := dsrErase(ctx, chatstore.New(db), tenant, dsrEmail); err != nil {
		return p, err
	}
	dsrPlans := take()
	if err := rawErase(ctx, db, tenant, rawEmail); err != nil {
		return p, err
	}
	rawPlans := take()
	for side, list := range map[string][]string{"dsr": dsrPlans, "raw SQL": rawPlans} {
		for _, text := range list {
			var ex explained
			if err := json.Unmarshal([]byte(text), &ex); err != nil {
				return p, fmt.Errorf("explain: read a plan: %w", err)
			}
			// Trigger queries start "DELETE FROM ONLY" or "UPDATE ONLY"; they run nested.
			nested := strings.Contains(ex.QueryText, " ONLY ")
			exec := ex.Plan.ActualTotalTime
			for _, t := range ex.Triggers {
				exec += t.Time
			}
			switch {
			case nested:
				p.triggerQueries++
			case side == "dsr":
				p.dsrStatements++
				p.dsrExec += exec
			default:
				p.rawStatements++
				p.rawExec += exec
			}
			ex.Plan.walk(func(n *planNode) {
				if n.IndexName != "" {
					p.indexes[n.IndexName] = true
				}
				if n.NodeType == "Seq Scan" && sizes[n.RelationName] > bigTable {
					p.seqScans = append(p.seqScans, fmt.Sprintf("%s: seq scan on %s (%.0f rows) in %q", side, n.RelationName, sizes[n.RelationName], oneLine(ex.QueryText)))
				}
			})
		}
	}
	if p.dsrStatements == 0 || p.rawStatements == 0 {
		return p, fmt.Errorf("explain: auto_explain reported no plan (dsr %d, raw %d)", p.dsrStatements, p.rawStatements)
	}
	return p, nil
}

// explained is the part of auto_explain's JSON the check reads.
type explained struct {
	QueryText string   `json:"Query Text"`
	Plan      planNode `json:"Plan"`
	// Triggers are the foreign keys' cascade triggers the statement fired, with their time.
	Triggers []struct {
		Time float64 `json:"Time"`
	} `json:"Triggers"`
}

type planNode struct {
	NodeType        string     `json:"Node Type"`
	RelationName    string     `json:"Relation Name"`
	IndexName       string     `json:"Index Name"`
	ActualTotalTime float64    `json:"Actual Total Time"`
	Plans           []planNode `json:"Plans"`
}

func (n *planNode) walk(fn func(*planNode)) {
	fn(n)
	for i := range n.Plans {
		n.Plans[i].walk(fn)
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

func sortedKeys(m map[string]bool) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}
