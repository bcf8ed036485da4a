package domain

import (
	"fmt"
	"slices"
	"strings"
)

// RequestType is the right a request exercises.
type RequestType string

// The six rights, as the API names them.
const (
	Access        RequestType = "access"        // Art. 15
	Rectification RequestType = "rectification" // Art. 16
	Erasure       RequestType = "erasure"       // Art. 17
	Restriction   RequestType = "restriction"   // Art. 18
	Portability   RequestType = "portability"   // Art. 20
	Objection     RequestType = "objection"     // Art. 21
)

// RequestTypes are the rights in the order of their articles.
var RequestTypes = []RequestType{Access, Rectification, Erasure, Restriction, Portability, Objection}

// Valid reports whether t is one of RequestTypes.
func (t RequestType) Valid() bool { return slices.Contains(RequestTypes, t) }

// Article is the number of the GDPR article that grants the right.
func (t RequestType) Article() string {
	switch t {
	case Access:
		return "15"
	case Rectification:
		return "16"
	case Erasure:
		return "17"
	case Restriction:
		return "18"
	case Portability:
		return "20"
	case Objection:
		return "21"
	}
	return ""
}

// Exports reports whether the request delivers a package (access, portability) rather
// than changing data.
func (t RequestType) Exports() bool { return slices.Contains(ExportTypes, t) }

// ExportTypes are the rights that deliver a package.
var ExportTypes = []RequestType{Access, Portability}

// ParamsDistinct are the rights whose requests differ by what they ask, not only by whose
// data: a rectification to other values, or an objection to other purposes, is a request
// of its own. Any other right asked again for a subject while a request for it is open is
// a duplicate of that request, whatever its parameters (an erasure's scope, say).
var ParamsDistinct = []RequestType{Rectification, Objection}

// ParamsDistinct reports whether two requests of this right differ when their parameters
// do (see ParamsDistinct).
func (t RequestType) ParamsDistinct() bool { return slices.Contains(ParamsDistinct, t) }

// rank places the rights in the order they are carried out for one subject: the copies
// first (access, portability), then what changes data, erasure last.
func (t RequestType) rank() int {
	switch t {
	case Access:
		return 0
	case Portability:
		return 1
	case Rectification:
		return 2
	case Restriction:
		return 3
	case Objection:
		return 4
	case Erasure:
		return 5
	}
	return 6
}

// InExecutionOrder returns the rights of types, each once, in the order they are carried
// out for one subject: access and portability before the rights that change or remove
// data, erasure last.
func InExecutionOrder(types []RequestType) []RequestType {
	out := slices.Clone(types)
	slices.SortStableFunc(out, func(a, b RequestType) int { return a.rank() - b.rank() })
	return slices.Compact(out)
}

// ParseRequestType reads a right by its name.
func ParseRequestType(s string) (RequestType, error) {
	if t := RequestType(s); t.Valid() {
		return t, nil
	}
	return "", fmt.Errorf("type must be one of %s", JoinNames(RequestTypes))
}

// ErasureScope says how much an erasure removes.
type ErasureScope string

// Erasure scopes.
const (
	// ScopeProfile erases the subject's profile, identity, credentials, sessions and saved
	// searches; conversations stay with the controller.
	ScopeProfile ErasureScope = "profile"
	// ScopeFull also erases the subject's conversations, messages and attachments.
	ScopeFull ErasureScope = "full"
)

// ErasureScopes are the scopes, narrowest first.
var ErasureScopes = []ErasureScope{ScopeProfile, ScopeFull}

// Valid reports whether s is one of ErasureScopes.
func (s ErasureScope) Valid() bool { return slices.Contains(ErasureScopes, s) }

// Purpose is a processing purpose a subject can object to (Art. 21).
type Purpose string

// Objection purposes. An objection to direct marketing is absolute (Art. 21(3)).
const (
	PurposeMarketing Purpose = "marketing"
	PurposeAnalytics Purpose = "analytics"
	PurposeProfiling Purpose = "profiling"
)

// Purposes are the purposes a subject can object to.
var Purposes = []Purpose{PurposeMarketing, PurposeAnalytics, PurposeProfiling}

// Valid reports whether p is one of Purposes.
func (p Purpose) Valid() bool { return slices.Contains(Purposes, p) }

// RectifiableFields are the profile fields a rectification may set.
var RectifiableFields = []string{"name", "display_name", "email", "avatar_url", "phone", "locale"}

// Source is where a request came from.
type Source string

// Sources of requests.
const (
	// SourceAPI is a controller's submission over the API: identity and approval are the
	// controller's.
	SourceAPI Source = "api"
	// SourceMail is a subject's mail to the privacy mailbox: the subject verifies their
	// identity, and the controller or the DPO approves.
	SourceMail Source = "mail"
)

// JoinNames lists values by name, comma-separated, for messages.
func JoinNames[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// Strings returns the values as plain strings (for SQL array parameters).
func Strings[T ~string](values []T) []string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return s
}
