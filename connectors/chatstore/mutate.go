package chatstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"dsr/connectors"
	"dsr/internal/domain"
)

// Rectifiable fields per table. The names double as column names.
var (
	// EndUserFields are the end-user profile fields Rectify accepts: every field a
	// rectification may set.
	EndUserFields = domain.RectifiableFields
	// AgentFields are the agent profile fields Rectify accepts.
	AgentFields = []string{"name", "display_name", "email", "avatar_url"}
)

// noteAuthorNameKept tells why a rectified name does not reach old transcripts.
const noteAuthorNameKept = "messages.author_name is a copy of the name made when each message was written; transcripts keep it and it was not rewritten"

// Rectify sets the subject's profile fields to req.Rectification, with one UPDATE per table.
// A field that is neither an end-user nor an agent field fails with connectors.ErrInvalid
// naming it, as does an empty or malformed email. An empty value clears the field (NULL).
// Outcome.Rows counts the updated end_users and agents rows and Outcome.Fields names the
// fields, never their values.
func (c *Connector) Rectify(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	fields, err := rectifyFields(req.Rectification)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("rectify for request %s: %w", req.ID, err)
	}
	return c.apply(ctx, req, domain.Rectification, func(ctx context.Context, tx *sqlx.Tx, subj subject, out *domain.Outcome) error {
		out.Fields = fields
		if len(subj.EndUsers) > 0 {
			n, err := updateProfile(ctx, tx, "end_users", fields, EndUserFields, subj.EndUsers, req.Rectification, ", updated_at = now()")
			if err != nil {
				return err
			}
			out.Rows["end_users"] = n
		}
		if agents := subj.agentIDs(nil); len(agents) > 0 {
			n, err := updateProfile(ctx, tx, "agents", fields, AgentFields, agents, req.Rectification, "")
			if err != nil {
				return err
			}
			out.Rows["agents"] = n
			var skipped []string
			for _, f := range fields {
				if !slices.Contains(AgentFields, f) {
					skipped = append(skipped, f)
				}
			}
			if len(skipped) > 0 {
				out.Notes = append(out.Notes, "agent profiles hold no "+strings.Join(skipped, ", ")+"; those fields were not applied to them")
			}
		}
		if slices.Contains(fields, "name") {
			out.Notes = append(out.Notes, noteAuthorNameKept)
		}
		return nil
	})
}

// rectifyFields validates the requested fields and returns their names, sorted.
func rectifyFields(values map[string]string) ([]string, error) {
	if err := connectors.CheckRectification(values); err != nil {
		return nil, err
	}
	fields := slices.Collect(maps.Keys(values))
	slices.Sort(fields)
	return fields, nil
}

// updateProfile runs the one UPDATE of table that sets those of fields the table has.
// Column names come from the allow lists, never from the request.
func updateProfile(ctx context.Context, tx *sqlx.Tx, table string, fields, allowed []string, ids []int64, values map[string]string, extra string) (int64, error) {
	var set []string
	args := []any{pq.Array(ids)}
	for _, f := range fields {
		if !slices.Contains(allowed, f) {
			continue
		}
		args = append(args, nullIfEmpty(values[f]))
		set = append(set, f+" = $"+strconv.Itoa(len(args)))
	}
	if len(set) == 0 {
		return 0, nil
	}
	query := `UPDATE ` + table + ` SET ` + strings.Join(set, ", ") + extra + ` WHERE id = ANY($1::bigint[])`
	return exec(ctx, tx, "update "+table, query, args...)
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Restrict sets restricted_at on the subject's end_users and agents rows where it is not set
// yet. Outcome.Rows counts the rows newly restricted per table.
func (c *Connector) Restrict(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	return c.apply(ctx, req, domain.Restriction, func(ctx context.Context, tx *sqlx.Tx, subj subject, out *domain.Outcome) error {
		for _, t := range []struct {
			table string
			ids   []int64
		}{{"end_users", subj.EndUsers}, {"agents", subj.agentIDs(nil)}} {
			if len(t.ids) == 0 {
				continue
			}
			n, err := exec(ctx, tx, "restrict "+t.table,
				`UPDATE `+t.table+` SET restricted_at = now() WHERE id = ANY($1::bigint[]) AND restricted_at IS NULL`, pq.Array(t.ids))
			if err != nil {
				return err
			}
			out.Rows[t.table] = n
			if n < int64(len(t.ids)) {
				out.Notes = append(out.Notes, fmt.Sprintf("%d %s row(s) were already restricted", int64(len(t.ids))-n, t.table))
			}
		}
		return nil
	})
}

// Object adds req.ObjectionPurposes to processing_objections on the subject's rows, as a set.
// A purpose outside connectors.Purposes fails with connectors.ErrInvalid. Outcome.Rows counts
// the rows whose objections changed per table.
func (c *Connector) Object(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	purposes, err := connectors.CheckPurposes(req.ObjectionPurposes)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("object for request %s: %w", req.ID, err)
	}
	return c.apply(ctx, req, domain.Objection, func(ctx context.Context, tx *sqlx.Tx, subj subject, out *domain.Outcome) error {
		out.Notes = append(out.Notes, "objection recorded for: "+domain.JoinNames(purposes))
		for _, t := range []struct {
			table string
			ids   []int64
		}{{"end_users", subj.EndUsers}, {"agents", subj.agentIDs(nil)}} {
			if len(t.ids) == 0 {
				continue
			}
			n, err := exec(ctx, tx, "record objection on "+t.table,
				`UPDATE `+t.table+` SET processing_objections = ARRAY(
				     SELECT DISTINCT p FROM unnest(processing_objections || $2::text[]) AS p ORDER BY p)
				 WHERE id = ANY($1::bigint[]) AND NOT processing_objections @> $2::text[]`,
				pq.Array(t.ids), pq.Array(purposes))
			if err != nil {
				return err
			}
			out.Rows[t.table] = n
		}
		return nil
	})
}
