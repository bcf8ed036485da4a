package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"dsr/internal/app"
	"dsr/internal/platform/postgres"
	"dsr/schema"
)

// defaultPGURL is the server the bench uses when DSR_BENCH_DATABASE_URL is not set.
const defaultPGURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// dbPrefix starts the name of every database the bench makes; the process id follows, so a
// later run can tell the leftovers of a run that died from those of one still running.
const dbPrefix = "dsrbench_"

// Env is what a section gets.
type Env struct {
	Quick bool
	// Dir is a scratch directory, removed at the end.
	Dir string
	Log *slog.Logger
	// PGURL is the base PostgreSQL URL: DSR_BENCH_DATABASE_URL, or the local server.
	PGURL string

	profileDir string

	mu  sync.Mutex
	seq int
	dbs []benchDB
}

type benchDB struct {
	name string
	db   *sqlx.DB
}

func newEnv(o options, log *slog.Logger) (*Env, error) {
	base := os.Getenv("DSR_BENCH_DATABASE_URL")
	if base == "" {
		base = defaultPGURL
	}
	dir, err := os.MkdirTemp("", "dsr-bench-")
	if err != nil {
		return nil, fmt.Errorf("scratch directory: %w", err)
	}
	e := &Env{Quick: o.quick, Dir: dir, Log: log, PGURL: base, profileDir: o.profile}
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return nil, fmt.Errorf("profile directory: %w", err)
		}
	}
	e.dropLeftovers(context.Background())
	return e, nil
}

// NewDatabase creates a fresh PostgreSQL database with the set's migrations applied and
// drops it when the run ends.
func (e *Env) NewDatabase(ctx context.Context, set schema.Set) (*sqlx.DB, string, error) {
	e.mu.Lock()
	e.seq++
	name := fmt.Sprintf("%s%d_%d_%s", dbPrefix, os.Getpid(), e.seq, set)
	e.mu.Unlock()
	u, err := url.Parse(e.PGURL)
	if err != nil {
		return nil, "", fmt.Errorf("parse %s: %w", e.PGURL, err)
	}
	u.Path = "/" + name
	dbURL := u.String()
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		return nil, "", fmt.Errorf("create database %s: %w", name, err)
	}
	e.mu.Lock()
	e.dbs = append(e.dbs, benchDB{name: name, db: db})
	e.mu.Unlock()
	if _, err := schema.Migrate(ctx, db, set); err != nil {
		return nil, "", fmt.Errorf("migrate database %s: %w", name, err)
	}
	return db, dbURL, nil
}

// admin opens the server's maintenance database.
func (e *Env) admin(ctx context.Context) (*sqlx.DB, error) {
	u, err := url.Parse(e.PGURL)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", e.PGURL, err)
	}
	u.Path = "/postgres"
	db, err := sqlx.Open("postgres", u.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", u.Host, err)
	}
	return db, nil
}

// close drops the run's databases and removes the scratch directory.
func (e *Env) close(ctx context.Context) {
	e.mu.Lock()
	dbs := e.dbs
	e.dbs = nil
	e.mu.Unlock()
	if len(dbs) > 0 {
		admin, err := e.admin(ctx)
		if err != nil {
			e.Log.Warn("drop bench databases", slog.Any("error", err))
		}
		for _, d := range dbs {
			d.db.Close()
			if admin == nil {
				continue
			}
			if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(d.name)+` WITH (FORCE)`); err != nil {
				e.Log.Warn("drop bench database", slog.String("database", d.name), slog.Any("error", err))
			}
		}
		if admin != nil {
			admin.Close()
		}
	}
	if err := os.RemoveAll(e.Dir); err != nil {
		e.Log.Warn("remove scratch directory", slog.String("dir", e.Dir), slog.Any("error", err))
	}
}

// dropLeftovers drops the databases of earlier runs whose process is gone (a run that was
// killed); a 10M-message store is several GB.
func (e *Env) dropLeftovers(ctx context.Context) {
	admin, err := e.admin(ctx)
	if err != nil {
		return // NewDatabase will say what is wrong
	}
	defer admin.Close()
	var names []string
	if err := admin.SelectContext(ctx, &names, `SELECT datname FROM pg_database WHERE datname LIKE $1`, dbPrefix+"%"); err != nil {
		return
	}
	for _, name := range names {
		pid, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, dbPrefix), "_", 2)[0])
		if err != nil || processAlive(pid) {
			continue
		}
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`); err != nil {
			e.Log.Warn("drop leftover bench database", slog.String("database", name), slog.Any("error", err))
			continue
		}
		e.Log.Info("dropped leftover bench database", slog.String("database", name))
	}
}

func processAlive(pid int) bool {
	_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
	return err == nil
}

// benchSecret is the bench installation's DSR_SECRET_KEY.
var benchSecret = []byte("bench-secret-key-0123456789abcdef")

// benchConfig is dsr's configuration for a bench system under dir: the embedded Temporal
// server on free ports, no sub-processor (an empty registry), no mail.
func benchConfig(dir string) (app.Config, error) {
	cfg := app.Defaults()
	cfg.DataDir = dir
	cfg.TemporalPort = 0
	cfg.SecretKey = benchSecret
	cfg.PublicURL = app.DefaultPublicURL(cfg.HTTPAddr)
	cfg.ObjectStoreURL = "file://" + filepath.ToSlash(filepath.Join(dir, "objects"))
	cfg.SubprocessorsFile = filepath.Join(dir, "subprocessors.json")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return cfg, err
	}
	return cfg, os.WriteFile(cfg.SubprocessorsFile, []byte("[]"), 0o600)
}
