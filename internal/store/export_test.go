package store

import "github.com/jmoiron/sqlx"

// DB hands the store's tests the pool, to look at the tables themselves; outside the tests
// the pool never leaves the store.
func (s *Store) DB() *sqlx.DB { return s.db }
