package domain

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// Limits of what people type, in characters.
const (
	// MaxReasonLen bounds a decision's reason (deny, extend, pause, resume, ...).
	MaxReasonLen = 2000
	// MaxReferenceLen bounds a controller's own reference of a request.
	MaxReferenceLen = 200
	// MaxFieldLen bounds a rectified profile value.
	MaxFieldLen = 1000
	// MaxURLLen bounds a rectified URL (avatar_url).
	MaxURLLen = 2048
	// MaxLocaleLen bounds a language tag (BCP 47 tags in practice stay far below it).
	MaxLocaleLen = 35
	// MaxPhoneLen bounds a phone number as written, spaces and signs included.
	MaxPhoneLen = 32
)

// Limits of an email address a mail server accepts (RFC 5321 4.5.3.1, with the path's
// 256 octets leaving 254 for the address).
const (
	MaxEmailLen      = 254
	MaxEmailLocalLen = 64
	MaxEmailHostLen  = 253
)

// IsBidiControl reports whether r is one of Unicode's explicit bidirectional formatting
// characters (embeddings, overrides, isolates) or an invisible direction mark: they make
// text read differently from how it is stored.
func IsBidiControl(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, // LRE, RLE, PDF, LRO, RLO
		r >= 0x2066 && r <= 0x2069, // LRI, RLI, FSI, PDI
		r == 0x200E, r == 0x200F,   // LRM, RLM
		r == 0x061C: // ALM
		return true
	}
	return false
}

// checkChars refuses invalid UTF-8, NUL, control characters (C0, DEL, C1) and bidi
// controls. With lines, tab and line ends (LF, CRLF) are allowed.
func checkChars(s string, lines bool) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	for i, r := range s {
		switch {
		case r == 0:
			return errors.New("contains a NUL character")
		case lines && (r == '\t' || r == '\n'):
		case lines && r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
		case r < 0x20 || (r >= 0x7F && r <= 0x9F):
			return fmt.Errorf("contains a control character (U+%04X)", r)
		case IsBidiControl(r):
			return fmt.Errorf("contains a bidirectional control character (U+%04X)", r)
		case r == 0x2028 || r == 0x2029:
			if !lines {
				return fmt.Errorf("contains a line separator (U+%04X)", r)
			}
		}
	}
	return nil
}

func checkLen(s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("is longer than %d characters (%d)", max, n)
	}
	return nil
}

// CheckText checks free text of several lines (a reason): valid UTF-8, no NUL or control
// characters other than tab and line ends, no bidi controls, at most max characters. The
// error says what is wrong, to follow the field's name.
func CheckText(s string, max int) error {
	if err := checkChars(s, true); err != nil {
		return err
	}
	return checkLen(s, max)
}

// CheckLine is CheckText for one line (a reference, a name): no tab or line end either.
func CheckLine(s string, max int) error {
	if err := checkChars(s, false); err != nil {
		return err
	}
	return checkLen(s, max)
}

// atext is what RFC 5322 allows in a dot-atom besides letters and digits.
const atextSymbols = "!#$%&'*+-/=?^_`{|}~"

// CheckEmail checks that s is an address a mail server accepts: a dot-atom local part of
// at most 64 octets, "@", and a DNS host name of at least two labels of letters, digits and
// hyphens (at most 253 octets), 254 octets in all. Only ASCII is accepted: an
// internationalised domain is written in its punycode form (xn--...); a UTF-8 local part
// needs SMTPUTF8, which not every relay offers, so it is refused. IP literals
// ([127.0.0.1]), bare hosts (localhost), names under special-use top-level domains
// (.localhost, .local, .invalid) and a numeric top-level label are refused.
func CheckEmail(s string) error {
	if err := checkChars(s, false); err != nil {
		return err
	}
	if s == "" {
		return errors.New("is empty")
	}
	if len(s) > MaxEmailLen {
		return fmt.Errorf("is longer than %d octets", MaxEmailLen)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return errors.New("has no @")
	}
	local, host := s[:at], s[at+1:]
	if err := checkLocal(local); err != nil {
		return err
	}
	return checkHost(host)
}

func checkLocal(local string) error {
	if local == "" {
		return errors.New("has nothing before the @")
	}
	if len(local) > MaxEmailLocalLen {
		return fmt.Errorf("has a part before the @ longer than %d octets", MaxEmailLocalLen)
	}
	for _, atom := range strings.Split(local, ".") {
		if atom == "" {
			return errors.New("has an empty dot-separated part before the @ (a leading, trailing or doubled dot)")
		}
		for _, r := range atom {
			if !isASCIIAlnum(r) && !strings.ContainsRune(atextSymbols, r) {
				if r > 0x7F {
					return errors.New("has a non-ASCII character before the @")
				}
				return fmt.Errorf("has %q before the @, which needs quoting; quoted addresses are not accepted", r)
			}
		}
	}
	return nil
}

// specialUseTLDs are top-level names that never reach a mail server on the internet
// (RFC 6761, RFC 6762).
var specialUseTLDs = []string{"localhost", "local", "invalid"}

func checkHost(host string) error {
	if host == "" {
		return errors.New("has no domain after the @")
	}
	if strings.HasPrefix(host, "[") {
		return errors.New("has an IP address for a domain; a domain name is needed")
	}
	if len(host) > MaxEmailHostLen {
		return fmt.Errorf("has a domain longer than %d octets", MaxEmailHostLen)
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return errors.New("has a bare host name for a domain; a domain like example.com is needed")
	}
	for _, l := range labels {
		if err := checkLabel(l); err != nil {
			return err
		}
	}
	tld := strings.ToLower(labels[len(labels)-1])
	for _, r := range tld {
		if !isASCIIAlnum(r) || (r >= '0' && r <= '9') {
			return errors.New("has a top-level domain that is not a name")
		}
	}
	for _, s := range specialUseTLDs {
		if tld == s {
			return fmt.Errorf("is under .%s, which no mail server on the internet serves", s)
		}
	}
	return nil
}

func checkLabel(l string) error {
	if l == "" {
		return errors.New("has an empty label in its domain (a leading, trailing or doubled dot)")
	}
	if len(l) > 63 {
		return errors.New("has a domain label longer than 63 octets")
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return errors.New("has a domain label that starts or ends with a hyphen")
	}
	for _, r := range l {
		if r > 0x7F {
			return errors.New("has a non-ASCII domain; write it in its punycode form (xn--...)")
		}
		if !isASCIIAlnum(r) && r != '-' {
			return fmt.Errorf("has %q in its domain; only letters, digits and hyphens are allowed", r)
		}
	}
	return nil
}

func isASCIIAlnum(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

// CheckWebURL checks that s is an absolute http or https URL with a host and no
// credentials in it (a profile picture's address).
func CheckWebURL(s string) error {
	if err := CheckLine(s, MaxURLLen); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("must be an http or https URL")
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return errors.New("must be an absolute URL with a host (https://host/...)")
	}
	if u.User != nil {
		return errors.New("must not carry a user name or password")
	}
	if strings.ContainsAny(s, " \\") {
		return errors.New("must not contain spaces or backslashes")
	}
	return nil
}

// CanonicalLocale reads a BCP 47 language tag ("fr", "pt-BR", "en_gb") and returns its
// canonical form ("fr", "pt-BR", "en-GB").
func CanonicalLocale(s string) (string, error) {
	if err := CheckLine(s, MaxLocaleLen); err != nil {
		return "", err
	}
	if s == "" {
		return "", errors.New("is empty")
	}
	for _, r := range s {
		if !isASCIIAlnum(r) && r != '-' && r != '_' {
			return "", errors.New("is not a BCP 47 language tag (like fr or pt-BR)")
		}
	}
	tag, err := language.Parse(s)
	if err != nil || tag == language.Und {
		return "", errors.New("is not a BCP 47 language tag (like fr or pt-BR)")
	}
	return tag.String(), nil
}

// CheckPhone checks that s is written like a phone number: an optional leading +, then
// digits (3 to 20 of them), spaces, and the separators ( ) . - /.
func CheckPhone(s string) error {
	if err := CheckLine(s, MaxPhoneLen); err != nil {
		return err
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case strings.ContainsRune(" ().-/", r):
		default:
			return fmt.Errorf("has %q; a phone number has digits, an optional leading + and the separators ( ) . - /", r)
		}
	}
	if digits < 3 || digits > 20 {
		return errors.New("must have from 3 to 20 digits")
	}
	return nil
}

// CheckRectification checks one value a rectification sets for field (one of
// RectifiableFields) and returns it in the form to store: an email as a mail server
// accepts it, avatar_url an http(s) URL, locale a canonical BCP 47 tag, phone a phone
// number, names one line of text. An empty value is refused: a rectification corrects a
// value, erasure removes one.
func CheckRectification(field, value string) (string, error) {
	if value == "" {
		return "", errors.New("is empty; a rectification sets a value")
	}
	switch field {
	case "email":
		return value, CheckEmail(value)
	case "avatar_url":
		return value, CheckWebURL(value)
	case "locale":
		return CanonicalLocale(value)
	case "phone":
		return value, CheckPhone(value)
	case "name", "display_name":
		if err := CheckLine(value, MaxFieldLen); err != nil {
			return "", err
		}
		if strings.TrimSpace(value) == "" {
			return "", errors.New("is blank")
		}
		return value, nil
	}
	return "", fmt.Errorf("cannot be rectified; fields: %s", strings.Join(RectifiableFields, ", "))
}

// ValidID reports whether s is a request id as dsr writes it: a UUID in its canonical
// lower-case form (8-4-4-4-12 hex digits). Other spellings a database would accept
// (upper case, braces, urn:uuid:, no hyphens) are not ids here.
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}
