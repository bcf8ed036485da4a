package subprocessor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"dsr/connectors"
	"dsr/internal/domain"
)

// shape is what differs between the built-in API shapes outside erasure.
type shape struct {
	// collection names the records ("users", "contacts"): the path of the lookup, of one
	// record, the key of the lookup's answer, the export category and the key of Rows.
	collection string
	// item names one record ("user", "contact").
	item string
	// fields are the rectifiable fields the service holds.
	fields []string
	// columns and portable are the export columns, of an access and a portability export.
	columns, portable []string
}

var shapes = map[string]shape{
	ShapeTwoStep: {
		collection: "users",
		item:       "user",
		fields:     []string{"email", "locale", "name", "phone"},
		columns:    []string{"id", "email", "name", "phone", "locale", "role", "restricted", "objections", "deleted", "created_at", "updated_at"},
		portable:   []string{"email", "name", "phone", "locale"},
	},
	ShapeAsyncJob: {
		collection: "contacts",
		item:       "contact",
		fields:     []string{"email", "name"},
		columns:    []string{"id", "email", "name", "restricted", "objections", "created_at", "updated_at"},
		portable:   []string{"email", "name"},
	},
}

// record is a user (two_step) or contact (async_job) as the service returns it.
type record struct {
	ID         string           `json:"id"`
	TenantID   string           `json:"tenant_id"`
	Email      string           `json:"email"`
	Name       *string          `json:"name"`
	Phone      *string          `json:"phone"`
	Locale     *string          `json:"locale"`
	Role       string           `json:"role"`
	Restricted bool             `json:"restricted"`
	Objections []domain.Purpose `json:"objections"`
	Deleted    bool             `json:"deleted"`
	CreatedAt  time.Time        `json:"created_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
}

// value returns the export value of column.
func (r record) value(column string) any {
	str := func(p *string) any {
		if p == nil {
			return nil
		}
		return *p
	}
	tm := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC()
	}
	switch column {
	case "id":
		return r.ID
	case "email":
		return r.Email
	case "name":
		return str(r.Name)
	case "phone":
		return str(r.Phone)
	case "locale":
		return str(r.Locale)
	case "role":
		return r.Role
	case "restricted":
		return r.Restricted
	case "objections":
		return strings.Join(domain.Strings(r.Objections), ",")
	case "deleted":
		return r.Deleted
	case "created_at":
		return tm(r.CreatedAt)
	case "updated_at":
		return tm(r.UpdatedAt)
	}
	return nil
}

// field returns the value of a rectifiable field; nil is empty.
func (r record) field(name string) *string {
	switch name {
	case "email":
		return &r.Email
	case "name":
		return r.Name
	case "phone":
		return r.Phone
	case "locale":
		return r.Locale
	}
	return nil
}

// validID rejects ids that cannot be a path segment of ours.
func validID(id string) bool {
	return id != "" && id != "." && id != ".." && len(id) <= 200 && !strings.ContainsAny(id, "/\\,")
}

// lookup returns the subject's records at the service: those of the tenant whose email is
// the subject's, whatever its case. The service's search is not trusted to be exact.
func (c *Connector) lookup(ctx context.Context, s connectors.Subject) ([]record, error) {
	op := "look up " + c.shape.collection
	r, err := c.http.do(ctx, call{
		op: op, method: http.MethodGet, path: c.shape.collection,
		query:  url.Values{"tenant_id": {s.TenantID}, "email": {s.Email}},
		accept: []int{http.StatusOK, http.StatusNotFound},
	})
	if err != nil {
		return nil, err
	}
	if r.status == http.StatusNotFound {
		return nil, nil
	}
	var body map[string]json.RawMessage
	if err := r.decode(op, c.cfg.Name, &body); err != nil {
		return nil, err
	}
	var all []record
	if raw, ok := body[c.shape.collection]; ok {
		if err := json.Unmarshal(raw, &all); err != nil {
			return nil, fmt.Errorf("%s at %s: %q is not a list of records: %w", op, c.cfg.Name, c.shape.collection, err)
		}
	}
	var out []record
	for _, rec := range all {
		if rec.TenantID != s.TenantID || !strings.EqualFold(strings.TrimSpace(rec.Email), strings.TrimSpace(s.Email)) {
			continue
		}
		if !validID(rec.ID) {
			return nil, fmt.Errorf("%s at %s: a record has an unusable id: %w", op, c.cfg.Name, connectors.ErrInvalid)
		}
		out = append(out, rec)
	}
	return out, nil
}

// live returns the records that are not soft deleted.
func live(recs []record) []record {
	out := make([]record, 0, len(recs))
	for _, r := range recs {
		if !r.Deleted {
			out = append(out, r)
		}
	}
	return out
}

// Find tells whether the service holds the subject, counting their records; Roles are
// "end_user" and "agent" for a helpdesk's end-users and agents.
func (c *Connector) Find(ctx context.Context, s connectors.Subject) (connectors.Match, error) {
	if err := connectors.CheckSubject(s); err != nil {
		return connectors.Match{}, fmt.Errorf("find subject at %s: %w", c.cfg.Name, err)
	}
	recs, err := c.lookup(ctx, s)
	if err != nil {
		return connectors.Match{}, fmt.Errorf("find subject: %w", err)
	}
	if len(recs) == 0 {
		return connectors.Match{}, nil
	}
	m := connectors.Match{Found: true, Counts: map[string]int64{c.shape.collection: int64(len(recs))}}
	for _, r := range recs {
		role := ""
		switch strings.ToLower(r.Role) {
		case "end-user", "end_user", "enduser", "user":
			role = "end_user"
		case "agent", "admin":
			role = "agent"
		}
		if role != "" && !slices.Contains(m.Roles, role) {
			m.Roles = append(m.Roles, role)
		}
	}
	return m, nil
}

// Blockers is always nil: nothing at a sub-processor holds an erasure back.
func (c *Connector) Blockers(context.Context, connectors.Request) ([]domain.Blocker, error) {
	return nil, nil
}

// Export writes the subject's records at the service as one category named after the
// records ("users", "contacts"), begun even when there are none. A portability export holds
// only what the subject provided (email, name, and phone and locale where held).
func (c *Connector) Export(ctx context.Context, req connectors.Request, scope connectors.ExportScope, sink connectors.Sink) error {
	if err := connectors.CheckSubject(req.Subject); err != nil {
		return fmt.Errorf("export for request %s at %s: %w", req.ID, c.cfg.Name, err)
	}
	recs, err := c.lookup(ctx, req.Subject)
	if err != nil {
		return fmt.Errorf("export for request %s: %w", req.ID, err)
	}
	cols := c.shape.columns
	if scope.Portability {
		cols = c.shape.portable
	}
	if err := sink.Begin(c.shape.collection, cols); err != nil {
		return fmt.Errorf("export for request %s at %s: %w", req.ID, c.cfg.Name, err)
	}
	for _, r := range recs {
		values := make([]any, len(cols))
		for i, col := range cols {
			values[i] = r.value(col)
		}
		if err := sink.Row(values...); err != nil {
			return fmt.Errorf("export for request %s at %s: %w", req.ID, c.cfg.Name, err)
		}
	}
	return nil
}

// patch sends a PATCH of one record and returns the record as the service answers it;
// found is false when the record is gone.
func (c *Connector) patch(ctx context.Context, op, id string, body map[string]any) (rec record, found bool, err error) {
	r, err := c.http.do(ctx, call{
		op: op, method: http.MethodPatch, path: c.shape.collection + "/" + url.PathEscape(id), body: body,
		accept: []int{http.StatusOK, http.StatusNotFound},
	})
	if err != nil {
		return record{}, false, err
	}
	if r.status == http.StatusNotFound {
		return record{}, false, nil
	}
	if err := r.decode(op, c.cfg.Name, &rec); err != nil {
		return record{}, false, err
	}
	return rec, true, nil
}

// notHeld fills an outcome for a subject the service does not hold: nothing was disclosed
// to it, so there is no one to notify.
func (c *Connector) notHeld(out *domain.Outcome) {
	out.Rows[c.shape.collection] = 0
	reason := "the subject is not known to " + c.cfg.Name
	out.Notes = append(out.Notes, reason+"; nothing to do")
	out.Recipient = c.recipient(domain.RecipientExempt, reason)
}

// Rectify sets the subject's fields at the service with one PATCH per record, and checks the
// answer shows them. A field outside connectors.RectifiableFields is connectors.ErrInvalid;
// a rectifiable field the service does not hold is skipped, with a note. Rows counts the
// records updated; Fields names the fields sent, never their values.
func (c *Connector) Rectify(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	held, skipped, err := c.rectifyFields(req.Rectification)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("rectify for request %s at %s: %w", req.ID, c.cfg.Name, err)
	}
	return c.apply(ctx, req, domain.Rectification, func(ctx context.Context, out *domain.Outcome) error {
		if len(skipped) > 0 {
			out.Notes = append(out.Notes, c.cfg.Name+" holds no "+strings.Join(skipped, ", ")+"; not sent")
		}
		recs, err := c.lookup(ctx, req.Subject)
		if err != nil {
			return err
		}
		recs = live(recs)
		if len(recs) == 0 {
			c.notHeld(out)
			return nil
		}
		if len(held) == 0 {
			out.Rows[c.shape.collection] = 0
			out.Recipient = c.recipient(domain.RecipientExempt, c.cfg.Name+" holds none of the fields rectified")
			return nil
		}
		body := map[string]any{}
		for _, f := range held {
			if v := req.Rectification[f]; v != "" {
				body[f] = v
			} else {
				body[f] = nil
			}
		}
		out.Fields = held
		return c.patchEach(ctx, recs, "rectify "+c.shape.item, out,
			func(record) map[string]any { return body },
			func(got record) string {
				for _, f := range held {
					want, have := req.Rectification[f], got.field(f)
					if (want == "" && have != nil && *have != "") || (want != "" && (have == nil || *have != want)) {
						return "the rectified " + f
					}
				}
				return ""
			})
	})
}

// patchEach sends each record the PATCH body returns for it (nil: it is as wanted
// already) and checks each answer with missing, which names what the answer does not show
// ("" when it shows everything). It fills out: Rows counts the records changed; the
// recipient is confirmed, or failed when an answer misses something, or exempt when no
// record is left (they went between the lookup and the PATCH).
func (c *Connector) patchEach(ctx context.Context, recs []record, op string, out *domain.Outcome,
	body func(record) map[string]any, missing func(got record) string) error {
	out.Rows[c.shape.collection] = 0
	status, reason := domain.RecipientConfirmed, ""
	held := 0
	for _, r := range recs {
		b := body(r)
		if b == nil {
			held++
			continue
		}
		got, found, err := c.patch(ctx, op, r.ID, b)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		held++
		out.Rows[c.shape.collection]++
		if what := missing(got); what != "" {
			status, reason = domain.RecipientFailed, c.cfg.Name+"'s answer does not show "+what
		}
	}
	if held == 0 {
		c.notHeld(out)
		return nil
	}
	out.Recipient = c.recipient(status, reason)
	return nil
}

// rectifyFields splits the requested fields into those the service holds and those it does
// not, both sorted; an unknown field or a bad email is connectors.ErrInvalid.
func (c *Connector) rectifyFields(values map[string]string) (held, skipped []string, err error) {
	if err := connectors.CheckRectification(values); err != nil {
		return nil, nil, err
	}
	for f := range values {
		if slices.Contains(c.shape.fields, f) {
			held = append(held, f)
		} else {
			skipped = append(skipped, f)
		}
	}
	slices.Sort(held)
	slices.Sort(skipped)
	return held, skipped, nil
}

// Restrict marks the subject's records restricted at the service (PATCH {"restricted":
// true}) where they are not yet. Rows counts the records newly restricted.
func (c *Connector) Restrict(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	return c.apply(ctx, req, domain.Restriction, func(ctx context.Context, out *domain.Outcome) error {
		recs, err := c.lookup(ctx, req.Subject)
		if err != nil {
			return err
		}
		recs = live(recs)
		if len(recs) == 0 {
			c.notHeld(out)
			return nil
		}
		return c.patchEach(ctx, recs, "restrict "+c.shape.item, out,
			func(r record) map[string]any {
				if r.Restricted {
					out.Notes = append(out.Notes, "a record was already restricted at "+c.cfg.Name)
					return nil
				}
				return map[string]any{"restricted": true}
			},
			func(got record) string {
				if !got.Restricted {
					return "the restriction"
				}
				return ""
			})
	})
}

// Object adds req.ObjectionPurposes to the objections of the subject's records at the
// service (PATCH {"objections": [...]}, the union with what is there). A purpose outside
// connectors.Purposes is connectors.ErrInvalid. Rows counts the records whose objections
// changed.
func (c *Connector) Object(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	purposes, err := connectors.CheckPurposes(req.ObjectionPurposes)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("object for request %s at %s: %w", req.ID, c.cfg.Name, err)
	}
	return c.apply(ctx, req, domain.Objection, func(ctx context.Context, out *domain.Outcome) error {
		recs, err := c.lookup(ctx, req.Subject)
		if err != nil {
			return err
		}
		recs = live(recs)
		if len(recs) == 0 {
			c.notHeld(out)
			return nil
		}
		out.Notes = append(out.Notes, "objection recorded for: "+domain.JoinNames(purposes))
		return c.patchEach(ctx, recs, "record objection on "+c.shape.item, out,
			func(r record) map[string]any {
				union := slices.Clone(r.Objections)
				for _, p := range purposes {
					if !slices.Contains(union, p) {
						union = append(union, p)
					}
				}
				if len(union) == len(r.Objections) {
					return nil
				}
				slices.Sort(union)
				return map[string]any{"objections": union}
			},
			func(got record) string {
				for _, p := range purposes {
					if !slices.Contains(got.Objections, p) {
						return "the objection"
					}
				}
				return ""
			})
	})
}
