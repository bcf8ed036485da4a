package chatstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"dsr/connectors"
)

// accountsHoldingSQL finds the accounts holding an email, in any of them; it is served by the
// lower(email) indexes of schema/chatstore/002_email_lookup.sql. UNION makes the ids
// distinct; ordering by the uuid orders them as their text.
const accountsHoldingSQL = `
SELECT account_id FROM end_users WHERE lower(email) = lower($1)
UNION
SELECT account_id FROM agents WHERE lower(email) = lower($1)
ORDER BY account_id`

// Holders returns the ids of the accounts (tenants; an account id equals the tenant id) whose
// chat store holds the email as an end-user or an agent (case-insensitive, trimmed), sorted,
// distinct. It returns an empty slice when no account holds it, and an error wrapping
// connectors.ErrInvalid for an empty email.
func Holders(ctx context.Context, db sqlx.QueryerContext, email string) ([]string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, fmt.Errorf("find holders: email is empty: %w", connectors.ErrInvalid)
	}
	ids := []string{}
	if err := sqlx.SelectContext(ctx, db, &ids, accountsHoldingSQL, email); err != nil {
		return nil, fmt.Errorf("find holders: %w", err)
	}
	return ids, nil
}
