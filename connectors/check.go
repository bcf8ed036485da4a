package connectors

import (
	"fmt"
	"slices"
	"strings"

	"dsr/internal/domain"

	"github.com/google/uuid"
)

// CheckPurposes validates the purposes of an objection and returns them sorted, without
// duplicates; an empty or unknown purpose is ErrInvalid.
func CheckPurposes(in []domain.Purpose) ([]domain.Purpose, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("no objection purpose given: %w", ErrInvalid)
	}
	out := make([]domain.Purpose, 0, len(in))
	for _, p := range in {
		if !p.Valid() {
			return nil, fmt.Errorf("objection purpose %q unknown (known: %s): %w", p, domain.JoinNames(domain.Purposes), ErrInvalid)
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// CheckScope validates an erasure scope and returns it, ScopeProfile for an empty one; any
// other is ErrInvalid.
func CheckScope(scope domain.ErasureScope) (domain.ErasureScope, error) {
	switch scope {
	case "":
		return domain.ScopeProfile, nil
	case domain.ScopeProfile, domain.ScopeFull:
		return scope, nil
	}
	return "", fmt.Errorf("erasure scope %q unknown (known: %s, %s): %w", scope, domain.ScopeProfile, domain.ScopeFull, ErrInvalid)
}

// CheckRectification validates the fields of a rectification: none, one that cannot be
// rectified, or an email that is not an address, is ErrInvalid.
func CheckRectification(values map[string]string) error {
	if len(values) == 0 {
		return fmt.Errorf("no field to rectify: %w", ErrInvalid)
	}
	for f, v := range values {
		if !slices.Contains(domain.RectifiableFields, f) {
			return fmt.Errorf("field %q cannot be rectified (allowed: %s): %w", f, strings.Join(domain.RectifiableFields, ", "), ErrInvalid)
		}
		if f == "email" && !validEmail(v) {
			return fmt.Errorf("field email: not an email address: %w", ErrInvalid)
		}
	}
	return nil
}

func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n")
}

// CheckSubject rejects a subject that no retry can make valid: a tenant id that is not a
// uuid, or no email.
func CheckSubject(s Subject) error {
	if _, err := uuid.Parse(s.TenantID); err != nil {
		return fmt.Errorf("tenant id %q is not a uuid: %w", s.TenantID, ErrInvalid)
	}
	if strings.TrimSpace(s.Email) == "" {
		return fmt.Errorf("subject email is empty: %w", ErrInvalid)
	}
	return nil
}
