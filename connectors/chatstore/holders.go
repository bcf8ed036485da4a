package chatstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"dsr/connectors"
)

// accountsHoldingSQL finds, for each email of an array, the accounts holding it, in any of
// them; each lookup is served by the lower(email) indexes of
// schema/chatstore/002_email_lookup.sql. The email is returned as given.
const accountsHoldingSQL = `
SELECT q.email, h.account_id
FROM unnest($1::text[]) AS q(email)
CROSS JOIN LATERAL (
	SELECT account_id FROM end_users WHERE lower(email) = lower(q.email)
	UNION
	SELECT account_id FROM agents WHERE lower(email) = lower(q.email)
) AS h`

// Holders returns the ids of the accounts (tenants; an account id equals the tenant id) whose
// chat store holds the email as an end-user or an agent (case-insensitive, trimmed), sorted,
// distinct. It returns an empty slice when no account holds it, and an error wrapping
// connectors.ErrInvalid for an empty email.
func (c *Connector) Holders(ctx context.Context, email string) ([]string, error) {
	email = strings.TrimSpace(email)
	held, err := c.HoldersOf(ctx, []string{email})
	if err != nil {
		return nil, err
	}
	return held[email], nil
}

// HoldersOf looks many emails up in one query: it maps each email, as given, to what
// Holders returns for it.
func (c *Connector) HoldersOf(ctx context.Context, emails []string) (map[string][]string, error) {
	return holdersOf(ctx, c.db, emails)
}

// holdersOf is HoldersOf on q, a pool or a transaction.
func holdersOf(ctx context.Context, q sqlx.QueryerContext, emails []string) (map[string][]string, error) {
	held := make(map[string][]string, len(emails))
	trimmed := make([]string, 0, len(emails))
	for _, e := range emails {
		t := strings.TrimSpace(e)
		if t == "" {
			return nil, fmt.Errorf("find holders: email is empty: %w", connectors.ErrInvalid)
		}
		if _, ok := held[t]; !ok {
			held[t] = []string{}
			trimmed = append(trimmed, t)
		}
	}
	rows, err := q.QueryxContext(ctx, accountsHoldingSQL, pq.StringArray(trimmed))
	if err != nil {
		return nil, fmt.Errorf("find holders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var email, account string
		if err := rows.Scan(&email, &account); err != nil {
			return nil, fmt.Errorf("find holders: %w", err)
		}
		held[email] = append(held[email], account)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find holders: %w", err)
	}
	out := make(map[string][]string, len(emails))
	for _, e := range emails {
		ids := held[strings.TrimSpace(e)]
		slices.Sort(ids)
		out[e] = ids
	}
	return out, nil
}

// emailsSQL streams every email of the accounts' end-users and agents.
const emailsSQL = `
SELECT account_id::text AS account_id, email FROM end_users WHERE account_id = ANY($1::uuid[]) AND email IS NOT NULL
UNION ALL
SELECT account_id::text AS account_id, email FROM agents WHERE account_id = ANY($1::uuid[]) AND email IS NOT NULL`

// EachEmail streams every email of the end-users and agents of the accounts (tenant ids)
// to fn, with its account, without holding them in memory: a replay of tombstones after a
// restore hashes them to find the subjects it must erase again.
func (c *Connector) EachEmail(ctx context.Context, accounts []string, fn func(account, email string)) error {
	rows, err := c.db.QueryxContext(ctx, emailsSQL, pq.Array(accounts))
	if err != nil {
		return fmt.Errorf("read the chat store's emails: %w", err)
	}
	defer rows.Close() //nolint:errcheck // read only; rows.Err is checked
	for rows.Next() {
		var account, email string
		if err := rows.Scan(&account, &email); err != nil {
			return fmt.Errorf("read the chat store's emails: %w", err)
		}
		fn(account, email)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the chat store's emails: %w", err)
	}
	return nil
}
