// Package webhooks tells tenants' systems what happened to their requests: it signs
// deliveries, checks where they may go (no internal addresses, also at connect time), and
// makes each attempt of a delivery, recording it. The events and deliveries are queued by
// the store in the transaction of the change they report; a Temporal workflow per delivery
// (workflows.WebhookDelivery) makes the attempts.
//
// Receivers check a delivery with Verify: the headers Webhook-Id, Webhook-Timestamp (Unix
// seconds) and Webhook-Signature "t=<ts>,v1=<hex>[,v1=<hex>...]", where each v1 is
// hex(HMAC-SHA256(secret, "<ts>.<body>")) under one of the subscription's active secrets
// (two during a rotation's overlap). The secret is the string shown once, as its bytes.
package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of a signed delivery.
const (
	HeaderID        = "Webhook-Id"
	HeaderTimestamp = "Webhook-Timestamp"
	HeaderSignature = "Webhook-Signature"
)

// DefaultTolerance is how far a delivery's timestamp may be from the receiver's clock.
const DefaultTolerance = 5 * time.Minute

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("webhooks: missing or malformed Webhook-Timestamp or Webhook-Signature")
	ErrStale        = errors.New("webhooks: timestamp outside the tolerance (replayed or clock skew)")
	ErrBadSignature = errors.New("webhooks: no signature matches the secret")
)

// NewSecret returns a new signing secret: SecretPrefix and 32 random bytes, base64url.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("draw a webhook secret: %w", err)
	}
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// signature is hex(HMAC-SHA256(secret, "<ts>.<body>")).
func signature(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Sign sets the headers of a delivery with id and body at time at, with one v1 signature
// per secret.
func Sign(h http.Header, id string, at time.Time, body []byte, secrets []string) {
	ts := at.Unix()
	parts := []string{"t=" + strconv.FormatInt(ts, 10)}
	for _, s := range secrets {
		parts = append(parts, "v1="+signature(s, ts, body))
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, strings.Join(parts, ","))
}

// Verify checks a delivery's headers and body against the receiver's secret, at now: the
// timestamp must be within tolerance (DefaultTolerance when zero) and one of the v1
// signatures must be the secret's. It compares in constant time.
func Verify(h http.Header, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return ErrNoSignature
	}
	var sigs []string
	signedTS := ""
	for _, part := range strings.Split(h.Get(HeaderSignature), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
		case k == "t":
			signedTS = v
		case k == "v1":
			sigs = append(sigs, v)
		}
	}
	if signedTS != strconv.FormatInt(ts, 10) || len(sigs) == 0 {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := []byte(signature(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrBadSignature
}
