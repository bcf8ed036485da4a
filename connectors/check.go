package connectors

import (
	"fmt"
	"slices"
	"strings"
)

// CheckPurposes validates the purposes of an objection and returns them sorted, without
// duplicates; an empty or unknown purpose is ErrInvalid.
func CheckPurposes(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("no objection purpose given: %w", ErrInvalid)
	}
	out := make([]string, 0, len(in))
	for _, p := range in {
		if !slices.Contains(Purposes, p) {
			return nil, fmt.Errorf("objection purpose %q unknown (known: %s): %w", p, strings.Join(Purposes, ", "), ErrInvalid)
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// CheckScope validates an erasure scope and returns it, ScopeProfile for an empty one; any
// other is ErrInvalid.
func CheckScope(scope string) (string, error) {
	switch scope {
	case "":
		return ScopeProfile, nil
	case ScopeProfile, ScopeFull:
		return scope, nil
	}
	return "", fmt.Errorf("erasure scope %q unknown (known: %s, %s): %w", scope, ScopeProfile, ScopeFull, ErrInvalid)
}

// CheckRectification validates the fields of a rectification: none, or one that cannot be
// rectified, is ErrInvalid.
func CheckRectification(values map[string]string) error {
	if len(values) == 0 {
		return fmt.Errorf("no field to rectify: %w", ErrInvalid)
	}
	for f := range values {
		if !slices.Contains(RectifiableFields, f) {
			return fmt.Errorf("field %q cannot be rectified (allowed: %s): %w", f, strings.Join(RectifiableFields, ", "), ErrInvalid)
		}
	}
	return nil
}
