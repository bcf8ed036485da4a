package opendsr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// requestBody is an OpenDSR request as controllers send it.
type requestBody struct {
	SubjectRequestID   string                     `json:"subject_request_id"`
	SubjectRequestType string                     `json:"subject_request_type"`
	Regulation         string                     `json:"regulation"`
	SubmittedTime      string                     `json:"submitted_time"`
	SubjectIdentities  []identityBody             `json:"subject_identities"`
	APIVersion         string                     `json:"api_version"`
	StatusCallbackURLs []string                   `json:"status_callback_urls"`
	Extensions         map[string]json.RawMessage `json:"extensions"`
}

type identityBody struct {
	Type   string `json:"identity_type"`
	Value  string `json:"identity_value"`
	Format string `json:"identity_format"`
}

// identity is a validated identity: an email, raw (trimmed) or as a lower-case hex digest.
type identity struct {
	Format domain.IdentityFormat `json:"format"`
	Value  string                `json:"value"`
}

// submission is a validated request; its JSON encoding is canonical (it fingerprints the
// request for idempotency).
type submission struct {
	SubjectRequestID string             `json:"subject_request_id"`
	Type             domain.OpenDSRType `json:"type"`
	Regulation       string             `json:"regulation"`
	SubmittedTime    time.Time          `json:"submitted_time"`
	Identities       []identity         `json:"identities"`
	APIVersion       string             `json:"api_version"`
	CallbackURLs     []string           `json:"status_callback_urls"`
}

func (s submission) params() store.Params {
	if s.Type.Right() == domain.Erasure {
		return store.Params{ErasureScope: domain.ScopeFull}
	}
	return store.Params{}
}

// Regulations dsr accepts; a CCPA request is carried out under the GDPR's stricter rules.
var regulations = []string{"gdpr", "ccpa"}

// Limits of a submission.
const (
	maxIdentities = 20
	maxCallbacks  = 10
	maxURL        = 2048
)

// parseSubmission decodes and validates a body; every problem is a detail naming its field.
func parseSubmission(raw []byte, d dialect, now time.Time, processorDomain string, allowLoopback bool) (submission, []errorDetail) {
	var s submission
	var errs []errorDetail
	bad := func(reason, format string, a ...any) {
		errs = append(errs, errorDetail{Domain: "Validation", Reason: reason, Message: fmt.Sprintf(format, a...)})
	}
	if !utf8.Valid(raw) || bytes.ContainsRune(raw, 0) {
		bad(reasonMalformed, "the body is not valid UTF-8 text")
		return s, errs
	}
	var b requestBody
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		bad(reasonMalformed, "the body is not a JSON OpenDSR request: %s", err.Error())
		return s, errs
	}
	if dec.More() {
		bad(reasonMalformed, "the body has data after the JSON object")
		return s, errs
	}

	switch {
	case b.SubjectRequestID == "":
		bad(reasonMissing, "subject_request_id is required")
	case !domain.ValidID(b.SubjectRequestID) || b.SubjectRequestID[14] != '4' || !strings.ContainsRune("89ab", rune(b.SubjectRequestID[19])):
		bad(reasonInvalid, "subject_request_id must be a lower-case UUID version 4")
	}
	s.SubjectRequestID = b.SubjectRequestID

	s.Type = domain.OpenDSRType(b.SubjectRequestType)
	switch {
	case b.SubjectRequestType == "":
		bad(reasonMissing, "subject_request_type is required (%s)", domain.JoinNames(domain.OpenDSRTypes))
	case !s.Type.Valid():
		bad(reasonUnsupported, "subject_request_type must be one of %s", domain.JoinNames(domain.OpenDSRTypes))
	}

	s.Regulation = b.Regulation
	switch {
	case b.Regulation == "" && d.regulationOptional:
		s.Regulation = regulations[0]
	case b.Regulation == "":
		bad(reasonMissing, "regulation is required (%s)", strings.Join(regulations, ", "))
	case !slices.Contains(regulations, b.Regulation):
		bad(reasonUnsupported, "regulation must be one of %s", strings.Join(regulations, ", "))
	}

	if b.SubmittedTime == "" {
		bad(reasonMissing, "submitted_time is required (RFC 3339)")
	} else if t, err := time.Parse(time.RFC3339, b.SubmittedTime); err != nil {
		bad(reasonInvalid, "submitted_time must be an RFC 3339 date-time, like 2018-10-02T15:00:00Z")
	} else if t.After(now.Add(5 * time.Minute)) {
		bad(reasonInvalid, "submitted_time is in the future")
	} else {
		s.SubmittedTime = t.UTC()
	}

	s.APIVersion = b.APIVersion
	if s.APIVersion == "" {
		s.APIVersion = d.versions[0]
	} else if !slices.Contains(d.versions, s.APIVersion) {
		bad(reasonUnsupported, "api_version must be one of %s on /%s", strings.Join(d.versions, ", "), d.resource)
	}

	if len(b.SubjectIdentities) == 0 {
		bad(reasonMissing, "subject_identities needs at least one identity (identity_type email)")
	} else if len(b.SubjectIdentities) > maxIdentities {
		bad(reasonInvalid, "subject_identities has more than %d identities", maxIdentities)
	}
	for i, id := range b.SubjectIdentities {
		if i >= maxIdentities {
			break
		}
		v, msg := parseIdentity(id)
		if msg != "" {
			reason := reasonInvalid
			if strings.Contains(msg, "not supported") {
				reason = reasonUnsupported
			}
			bad(reason, "subject_identities[%d].%s", i, msg)
			continue
		}
		if !slices.Contains(s.Identities, v) {
			s.Identities = append(s.Identities, v)
		}
	}

	if len(b.StatusCallbackURLs) > maxCallbacks {
		bad(reasonInvalid, "status_callback_urls has more than %d URLs", maxCallbacks)
	}
	s.CallbackURLs = []string{}
	for i, u := range b.StatusCallbackURLs {
		if i >= maxCallbacks {
			break
		}
		if msg := checkCallbackURL(u, allowLoopback); msg != "" {
			bad(reasonInvalid, "status_callback_urls[%d] %s", i, msg)
			continue
		}
		if !slices.Contains(s.CallbackURLs, u) {
			s.CallbackURLs = append(s.CallbackURLs, u)
		}
	}

	for key, ext := range b.Extensions {
		if key != processorDomain {
			continue // another processor's
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(ext, &fields); err != nil || fields == nil {
			bad(reasonInvalid, "extensions.%s must be an object", key)
		} else if len(fields) > 0 {
			bad(reasonUnsupported, "extensions.%s: dsr defines no extension fields", key)
		}
	}
	return s, errs
}

// parseIdentity validates one identity; the message names the field that is wrong.
func parseIdentity(id identityBody) (identity, string) {
	if id.Type == "" {
		return identity{}, "identity_type is required"
	}
	if id.Type != identityEmail {
		return identity{}, "identity_type " + quote(id.Type) + " is not supported; dsr knows its subjects by email (see /discovery)"
	}
	f := domain.IdentityFormat(id.Format)
	if id.Format == "" {
		return identity{}, "identity_format is required (" + domain.JoinNames(domain.IdentityFormats) + ")"
	}
	if !f.Valid() {
		return identity{}, "identity_format " + quote(id.Format) + " is not supported for email; use one of " + domain.JoinNames(domain.IdentityFormats)
	}
	if id.Value == "" {
		return identity{}, "identity_value is required"
	}
	if f == domain.IdentityRaw {
		v := strings.TrimSpace(id.Value)
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v || len(v) > 320 || strings.ContainsAny(v, "\x00\r\n") {
			return identity{}, "identity_value must be a plain email address"
		}
		return identity{Format: f, Value: v}, ""
	}
	v := strings.ToLower(id.Value)
	if len(v) != f.HexLen() || strings.Trim(v, "0123456789abcdef") != "" {
		return identity{}, fmt.Sprintf("identity_value must be the %d hex digits of the %s digest of the lower-cased email", f.HexLen(), f)
	}
	return identity{Format: f, Value: v}, ""
}

// quote shows a short value given by the caller (never an identity's value).
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// checkCallbackURL says what is wrong with a status callback URL; "" when nothing is.
// Callbacks go over https; a loopback host only when allowed, and then http too.
func checkCallbackURL(raw string, allowLoopback bool) string {
	if len(raw) > maxURL {
		return fmt.Sprintf("is longer than %d characters", maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "is not an absolute URL"
	}
	if u.User != nil {
		return "must not carry credentials"
	}
	if u.Fragment != "" {
		return "must not have a fragment"
	}
	loopback := isLoopback(u.Hostname())
	switch {
	case loopback && !allowLoopback:
		return "must not point at a loopback host"
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback:
	default:
		return "must use https"
	}
	return ""
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}
