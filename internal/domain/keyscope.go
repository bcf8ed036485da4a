package domain

import (
	"fmt"
	"slices"
	"strings"
)

// KeyScope is what a tenant's API key may do.
type KeyScope string

// Key scopes, from least to most privileged.
const (
	// KeyScopeRequests submits, follows and decides requests and reads their packages,
	// evidence and reports.
	KeyScopeRequests KeyScope = "requests"
	// KeyScopeAdmin may do everything, including managing the tenant's API keys.
	KeyScopeAdmin KeyScope = "admin"
)

// KeyScopes lists every scope, from least to most privileged.
var KeyScopes = []KeyScope{KeyScopeRequests, KeyScopeAdmin}

// Valid reports whether s is one of KeyScopes.
func (s KeyScope) Valid() bool { return slices.Contains(KeyScopes, s) }

// Grants reports whether a key with scope s may do what needs want: admin grants every
// scope, any other only itself.
func (s KeyScope) Grants(want KeyScope) bool {
	return s.Valid() && (s == want || s == KeyScopeAdmin)
}

// GrantedBy reports whether any of scopes grants want.
func (s KeyScope) GrantedBy(scopes []KeyScope) bool {
	return slices.ContainsFunc(scopes, func(have KeyScope) bool { return have.Grants(s) })
}

// ParseKeyScopes reads a comma-separated list of scopes ("requests,admin"); the result is
// in the order of KeyScopes, without repeats. An empty list is an error: a key needs a
// scope.
func ParseKeyScopes(s string) ([]KeyScope, error) {
	var out []KeyScope
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, KeyScope(v))
		}
	}
	return NormalizeKeyScopes(out)
}

// NormalizeKeyScopes checks scopes and returns them in the order of KeyScopes, without
// repeats; it needs at least one.
func NormalizeKeyScopes(scopes []KeyScope) ([]KeyScope, error) {
	if len(scopes) == 0 {
		return nil, fmt.Errorf("scopes needs at least one of %s", JoinNames(KeyScopes))
	}
	for _, s := range scopes {
		if !s.Valid() {
			return nil, fmt.Errorf("scope %q is not one of %s", s, JoinNames(KeyScopes))
		}
	}
	out := make([]KeyScope, 0, len(scopes))
	for _, s := range KeyScopes {
		if slices.Contains(scopes, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
