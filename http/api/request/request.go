// Package request holds the body of POST /v1/requests: its strict decoding and its
// validation. It depends on nothing but the domain, so that its fuzz target builds fast.
package request

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	apibody "dsr/http/api/body"
	"dsr/internal/domain"
)

// Decoder decodes a request's body: at most 64 KiB, strictly (package body).
var Decoder = apibody.Decoder{Limit: 64 << 10}

// Body is the body of POST /v1/requests.
type Body struct {
	Type    domain.RequestType `json:"type"`
	Subject struct {
		Email string `json:"email"`
	} `json:"subject"`
	Rectification     map[string]string   `json:"rectification,omitempty"`
	ErasureScope      domain.ErasureScope `json:"erasure_scope,omitempty"`
	ObjectionPurposes []domain.Purpose    `json:"objection_purposes,omitempty"`
	Reference         string              `json:"reference,omitempty"`
}

// Validate checks and normalises the body; its message is shown to the caller.
func (b *Body) Validate() error {
	if !b.Type.Valid() {
		return fmt.Errorf("type must be one of %s", domain.JoinNames(domain.RequestTypes))
	}
	email := strings.TrimSpace(b.Subject.Email)
	if email == "" {
		return errors.New("subject.email must be a plain email address: it is missing")
	}
	if err := domain.CheckEmail(email); err != nil {
		return fmt.Errorf("subject.email must be a plain email address: it %w", err)
	}
	b.Subject.Email = email
	if b.Type == domain.Rectification {
		if len(b.Rectification) == 0 {
			return fmt.Errorf("rectification needs at least one field to set (%s)", strings.Join(domain.RectifiableFields, ", "))
		}
		fields := slices.Sorted(maps.Keys(b.Rectification))
		for _, f := range fields {
			if !slices.Contains(domain.RectifiableFields, f) {
				return fmt.Errorf("rectification.%s cannot be set; fields: %s", f, strings.Join(domain.RectifiableFields, ", "))
			}
			v, err := domain.CheckRectification(f, b.Rectification[f])
			if err != nil {
				return fmt.Errorf("rectification.%s %w", f, err)
			}
			b.Rectification[f] = v
		}
	} else if len(b.Rectification) > 0 {
		return errors.New("rectification goes only with type rectification")
	}
	if b.Type == domain.Erasure {
		switch b.ErasureScope {
		case "":
			b.ErasureScope = domain.ScopeFull
		case domain.ScopeProfile, domain.ScopeFull:
		default:
			return errors.New("erasure_scope must be profile or full")
		}
	} else if b.ErasureScope != "" {
		return errors.New("erasure_scope goes only with type erasure")
	}
	if b.Type == domain.Objection {
		if len(b.ObjectionPurposes) == 0 {
			return fmt.Errorf("objection_purposes needs at least one of %s", domain.JoinNames(domain.Purposes))
		}
		for _, p := range b.ObjectionPurposes {
			if !p.Valid() {
				return fmt.Errorf("objection_purposes: %q is not one of %s", p, domain.JoinNames(domain.Purposes))
			}
		}
		slices.Sort(b.ObjectionPurposes)
		b.ObjectionPurposes = slices.Compact(b.ObjectionPurposes)
	} else if len(b.ObjectionPurposes) > 0 {
		return errors.New("objection_purposes goes only with type objection")
	}
	if err := domain.CheckLine(b.Reference, domain.MaxReferenceLen); err != nil {
		return fmt.Errorf("reference %w", err)
	}
	// An empty list or object is the same as none: one value, one encoding.
	if len(b.Rectification) == 0 {
		b.Rectification = nil
	}
	if len(b.ObjectionPurposes) == 0 {
		b.ObjectionPurposes = nil
	}
	return nil
}
