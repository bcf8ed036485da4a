package chatstore

import (
	"context"
	"fmt"
	"strings"

	"dsr/connectors"
	"dsr/internal/domain"
)

// The digests of an account's end-users' and agents' emails, trimmed and lower-cased, each
// compared with the hex digest given ($2, lower case). The account's rows are read through
// the account_id indexes; the digest is computed per row (hashed identities are rare).
const (
	emailsBySHA256SQL = `
SELECT DISTINCT e FROM (
	SELECT lower(trim(email)) AS e FROM end_users WHERE account_id = $1 AND email IS NOT NULL
	UNION ALL
	SELECT lower(trim(email)) FROM agents WHERE account_id = $1 AND email IS NOT NULL
) AS s WHERE encode(sha256(convert_to(e, 'UTF8')), 'hex') = $2 ORDER BY e`
	emailsByMD5SQL = `
SELECT DISTINCT e FROM (
	SELECT lower(trim(email)) AS e FROM end_users WHERE account_id = $1 AND email IS NOT NULL
	UNION ALL
	SELECT lower(trim(email)) FROM agents WHERE account_id = $1 AND email IS NOT NULL
) AS s WHERE md5(e) = $2 ORDER BY e`
)

// EmailsByDigest resolves a hashed email identity against one account (tenant): the
// emails (trimmed, lower-cased) of its end-users and agents whose digest in format f is
// digest (hex, any case). It returns an empty slice when none matches, and an error
// wrapping connectors.ErrInvalid for a format that is not a digest.
func (c *Connector) EmailsByDigest(ctx context.Context, accountID string, f domain.IdentityFormat, digest string) ([]string, error) {
	var q string
	switch f {
	case domain.IdentitySHA256:
		q = emailsBySHA256SQL
	case domain.IdentityMD5:
		q = emailsByMD5SQL
	default:
		return nil, fmt.Errorf("resolve hashed email: format %q is not a digest: %w", f, connectors.ErrInvalid)
	}
	out := []string{}
	if err := c.db.SelectContext(ctx, &out, q, accountID, strings.ToLower(digest)); err != nil {
		return nil, fmt.Errorf("resolve %s email of account %s: %w", f, accountID, err)
	}
	return out, nil
}
