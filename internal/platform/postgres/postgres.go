// Package postgres opens dsr's PostgreSQL databases: it creates a database that does not
// exist yet, and turns "connection refused" into an error that says how to start a server.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Open connects to the database at rawURL, creating it first when it is missing.
func Open(ctx context.Context, rawURL string) (*sqlx.DB, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	name := strings.Trim(u.Path, "/")
	db, err := connect(ctx, rawURL)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "3D000" { // invalid_catalog_name: no such database
		if err := create(ctx, u, name); err != nil {
			return nil, err
		}
		db, err = connect(ctx, rawURL)
	}
	if err != nil {
		return nil, explain(u, err)
	}
	return db, nil
}

func connect(ctx context.Context, rawURL string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", rawURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// create makes the database through the server's maintenance database "postgres".
func create(ctx context.Context, u *url.URL, name string) error {
	admin := *u
	admin.Path = "/postgres"
	db, err := connect(ctx, admin.String())
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, explain(&admin, err))
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // duplicate_database: created meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func explain(u *url.URL, err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "connection refused") {
		return fmt.Errorf("PostgreSQL is not reachable at %s: %w; start it (on Debian: "+
			"pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or point DATABASE_URL and CHATSTORE_URL at a running server",
			u.Host, err)
	}
	return fmt.Errorf("connect to PostgreSQL at %s: %w", u.Host, err)
}
