// Package seal keeps secrets at rest and signs links, with keys derived from the deployment's
// DSR_SECRET_KEY.
//
// Three independent subkeys are derived from the secret, each as HMAC-SHA256(secret, label):
// one encrypts (AES-256-GCM) what is sealed at rest, one signs expiring links and one hashes
// the tokens and codes that are stored instead of their clear values. Changing the secret
// makes every sealed value unreadable and every link and stored token invalid.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// MinSecretLen is the shortest secret New accepts, in bytes.
const MinSecretLen = 32

// Labels of the subkeys derived from the secret.
const (
	labelSeal = "dsr seal v1"
	labelLink = "dsr link v1"
	labelCode = "dsr code v1"
)

// version is the first byte of every sealed value: the format and key derivation in use.
const version byte = 1

const (
	nonceSize = 12 // bytes of the random GCM nonce
	tokenSize = 32 // bytes of randomness in a token
	codeSpace = 1_000_000
)

var (
	// ErrShortSecret is returned by New for a secret shorter than MinSecretLen bytes.
	ErrShortSecret = errors.New("seal: secret shorter than 32 bytes")
	// ErrTampered is returned by Open for a value that was not sealed with these keys and
	// this aad, was altered, or is not a sealed value at all.
	ErrTampered = errors.New("seal: sealed value tampered with or not sealed with this key")
	// ErrExpired is returned by Check for a valid signature whose expiry has passed.
	ErrExpired = errors.New("seal: link expired")
	// ErrBadSignature is returned by Check for a signature that these keys did not make for
	// this purpose, subject and expiry.
	ErrBadSignature = errors.New("seal: bad link signature")
)

// Keys derives independent subkeys from the secret with HMAC-SHA256(secret, label) (labels
// "dsr seal v1", "dsr link v1", "dsr code v1"). It is safe for concurrent use.
type Keys struct {
	aead    cipher.AEAD
	linkKey []byte
	codeKey []byte
}

// New derives the keys from secret, which may be any byte string of at least MinSecretLen
// bytes. It fails with ErrShortSecret for a shorter one.
func New(secret []byte) (*Keys, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("derive keys: %d bytes: %w", len(secret), ErrShortSecret)
	}
	block, err := aes.NewCipher(derive(secret, labelSeal))
	if err != nil {
		return nil, fmt.Errorf("derive keys: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("derive keys: %w", err)
	}
	return &Keys{aead: aead, linkKey: derive(secret, labelLink), codeKey: derive(secret, labelCode)}, nil
}

func derive(secret []byte, label string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(label))
	return mac.Sum(nil)
}

// Seal encrypts plaintext with AES-256-GCM under a random 12-byte nonce; the output is the
// version byte 1, the nonce, then the ciphertext and its tag. aad binds the ciphertext to
// its row (e.g. the message id), so that a sealed blob cannot be swapped between rows: Open
// must be given the same aad.
func (k *Keys) Seal(plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+k.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal: draw nonce: %w", err)
	}
	return k.aead.Seal(out, out[1:], plaintext, aad), nil
}

// Open decrypts what Seal returned for the same aad. It fails with ErrTampered (test with
// errors.Is) when authentication fails, the version byte is unknown or the input is too
// short to be a sealed value.
func (k *Keys) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 1+nonceSize+k.aead.Overhead() || sealed[0] != version {
		return nil, ErrTampered
	}
	plain, err := k.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], aad)
	if err != nil {
		return nil, ErrTampered
	}
	return plain, nil
}

// Sign returns an expiring signature for a link:
// base64url(HMAC(linkKey, purpose "\x00" subject "\x00" expiry in Unix seconds)), without
// padding. purpose names what the link is for (e.g. "package") and must not contain a NUL
// byte; subject is what it points at (e.g. a request id). The expiry counts in whole
// seconds, so the link carries expires.Unix().
func (k *Keys) Sign(purpose, subject string, expires time.Time) string {
	return base64.RawURLEncoding.EncodeToString(k.linkMAC(purpose, subject, expires))
}

// Check verifies, in constant time, that sig is what Sign returned for this purpose,
// subject and expiry, and then that now is before the expiry. It fails with ErrBadSignature
// for a signature these keys did not make for exactly these values (or a purpose holding a
// NUL byte), and with ErrExpired for a valid one that has expired.
func (k *Keys) Check(purpose, subject string, expires time.Time, sig string, now time.Time) error {
	if strings.IndexByte(purpose, 0) >= 0 {
		return ErrBadSignature
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return ErrBadSignature
	}
	if !hmac.Equal(got, k.linkMAC(purpose, subject, expires)) {
		return ErrBadSignature
	}
	if !now.Before(time.Unix(expires.Unix(), 0)) {
		return ErrExpired
	}
	return nil
}

// linkMAC is the MAC of a link. The first NUL ends the purpose, which holds none, and the
// last one starts the expiry, which is digits: so no two (purpose, subject, expiry) give the
// same message.
func (k *Keys) linkMAC(purpose, subject string, expires time.Time) []byte {
	mac := hmac.New(sha256.New, k.linkKey)
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write([]byte(subject))
	mac.Write([]byte{0})
	mac.Write(strconv.AppendInt(nil, expires.Unix(), 10))
	return mac.Sum(nil)
}

// NewToken returns a random 256-bit URL-safe token: base64url without padding, 43 characters.
func NewToken() (string, error) {
	b := make([]byte, tokenSize)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// NewCode returns a random 6-digit numeric code, uniform over 000000 to 999999 (leading
// zeros are kept), drawn from crypto/rand.
func NewCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(codeSpace))
	if err != nil {
		return "", fmt.Errorf("new code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// Hash is HMAC-SHA256(codeKey, value): how tokens and codes are stored, never in the clear.
// Compare two hashes with hmac.Equal or subtle.ConstantTimeCompare.
func (k *Keys) Hash(value string) []byte {
	mac := hmac.New(sha256.New, k.codeKey)
	mac.Write([]byte(value))
	return mac.Sum(nil)
}
