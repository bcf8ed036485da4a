package seal_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/platform/seal"
)

// setup returns keys derived from a fixed 32-byte secret.
func setup(t *testing.T) *seal.Keys {
	t.Helper()
	k, err := seal.New([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	return k
}

func TestNewRefusesShortSecret(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 16, 31} {
		_, err := seal.New(bytes.Repeat([]byte{'x'}, n))
		require.ErrorIs(t, err, seal.ErrShortSecret, "%d bytes", n)
	}
	_, err := seal.New(bytes.Repeat([]byte{'x'}, 32))
	require.NoError(t, err)
	_, err = seal.New(bytes.Repeat([]byte{'x'}, 100))
	require.NoError(t, err, "any length from 32 bytes")
}

func TestSealRoundTrip(t *testing.T) {
	t.Parallel()
	k := setup(t)
	tests := []struct {
		name      string
		plaintext []byte
		aad       []byte
	}{
		{name: "text", plaintext: []byte("From: a@example.org\r\n\r\nhello"), aad: []byte("msg-1")},
		{name: "empty plaintext", plaintext: []byte{}, aad: []byte("msg-2")},
		{name: "no aad", plaintext: []byte("x"), aad: nil},
		{name: "binary, large", plaintext: bytes.Repeat([]byte{0, 1, 2, 255}, 1<<16), aad: []byte{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sealed, err := k.Seal(tc.plaintext, tc.aad)
			require.NoError(t, err)
			require.Equal(t, byte(1), sealed[0], "version byte")
			require.Len(t, sealed, 1+12+len(tc.plaintext)+16)
			if len(tc.plaintext) > 8 {
				require.NotContains(t, string(sealed), string(tc.plaintext[:8]))
			}
			got, err := k.Open(sealed, tc.aad)
			require.NoError(t, err)
			require.Equal(t, len(tc.plaintext), len(got))
			require.True(t, bytes.Equal(tc.plaintext, got))
		})
	}
}

func TestSealTwiceDiffers(t *testing.T) {
	t.Parallel()
	k := setup(t)
	a, err := k.Seal([]byte("same text"), []byte("row"))
	require.NoError(t, err)
	b, err := k.Seal([]byte("same text"), []byte("row"))
	require.NoError(t, err)
	require.NotEqual(t, a, b)
	require.NotEqual(t, a[1:13], b[1:13], "a fresh nonce each time")
}

func TestOpenTampered(t *testing.T) {
	t.Parallel()
	k := setup(t)
	aad := []byte("msg-42")
	sealed, err := k.Seal([]byte("the applicant's passport"), aad)
	require.NoError(t, err)

	t.Run("every bit flipped", func(t *testing.T) {
		t.Parallel()
		for i := range len(sealed) * 8 {
			bad := bytes.Clone(sealed)
			bad[i/8] ^= 1 << (i % 8)
			_, err := k.Open(bad, aad)
			require.ErrorIs(t, err, seal.ErrTampered, "bit %d", i)
		}
	})
	t.Run("wrong aad", func(t *testing.T) {
		t.Parallel()
		for _, other := range [][]byte{[]byte("msg-43"), nil, []byte("msg-42\x00"), []byte("MSG-42")} {
			_, err := k.Open(sealed, other)
			require.ErrorIs(t, err, seal.ErrTampered, "aad %q", other)
		}
	})
	t.Run("short or truncated", func(t *testing.T) {
		t.Parallel()
		for n := range 1 + 12 + 16 {
			_, err := k.Open(sealed[:n], aad)
			require.ErrorIs(t, err, seal.ErrTampered, "%d bytes", n)
		}
		_, err := k.Open(sealed[:len(sealed)-1], aad)
		require.ErrorIs(t, err, seal.ErrTampered)
		_, err = k.Open(append(bytes.Clone(sealed), 0), aad)
		require.ErrorIs(t, err, seal.ErrTampered)
	})
	t.Run("other version", func(t *testing.T) {
		t.Parallel()
		for _, v := range []byte{0, 2, 255} {
			bad := bytes.Clone(sealed)
			bad[0] = v
			_, err := k.Open(bad, aad)
			require.ErrorIs(t, err, seal.ErrTampered, "version %d", v)
		}
	})
	t.Run("other secret", func(t *testing.T) {
		t.Parallel()
		other, err := seal.New([]byte("0123456789abcdef0123456789abcdeF"))
		require.NoError(t, err)
		_, err = other.Open(sealed, aad)
		require.ErrorIs(t, err, seal.ErrTampered)
	})
}

func TestSignCheck(t *testing.T) {
	t.Parallel()
	k := setup(t)
	now := time.Date(2026, 11, 7, 10, 0, 0, 0, time.UTC)
	expires := now.Add(72 * time.Hour)
	sig := k.Sign("package", "req-1", expires)
	require.NotContains(t, sig, "=", "no padding")
	_, err := base64.RawURLEncoding.DecodeString(sig)
	require.NoError(t, err, "base64url")
	require.Equal(t, sig, k.Sign("package", "req-1", expires), "deterministic")

	flip := func(s string) string {
		b, err := base64.RawURLEncoding.DecodeString(s)
		require.NoError(t, err)
		b[len(b)-1] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	other, err := seal.New([]byte("another secret, also 32 bytes long"))
	require.NoError(t, err)

	tests := []struct {
		name             string
		purpose, subject string
		expires          time.Time
		sig              string
		now              time.Time
		want             error
	}{
		{name: "valid", purpose: "package", subject: "req-1", expires: expires, sig: sig, now: now},
		{name: "valid until the last second", purpose: "package", subject: "req-1", expires: expires, sig: sig, now: expires.Add(-time.Nanosecond)},
		{name: "same second, other nanoseconds", purpose: "package", subject: "req-1", expires: expires.Add(500 * time.Millisecond), sig: sig, now: now},
		{name: "expired at the expiry", purpose: "package", subject: "req-1", expires: expires, sig: sig, now: expires, want: seal.ErrExpired},
		{name: "expired later", purpose: "package", subject: "req-1", expires: expires, sig: sig, now: expires.Add(time.Hour), want: seal.ErrExpired},
		{name: "altered subject", purpose: "package", subject: "req-2", expires: expires, sig: sig, now: now, want: seal.ErrBadSignature},
		{name: "altered purpose", purpose: "verify", subject: "req-1", expires: expires, sig: sig, now: now, want: seal.ErrBadSignature},
		{name: "extended expiry", purpose: "package", subject: "req-1", expires: expires.Add(time.Second), sig: sig, now: now, want: seal.ErrBadSignature},
		{name: "altered signature", purpose: "package", subject: "req-1", expires: expires, sig: flip(sig), now: now, want: seal.ErrBadSignature},
		{name: "truncated signature", purpose: "package", subject: "req-1", expires: expires, sig: sig[:len(sig)-2], now: now, want: seal.ErrBadSignature},
		{name: "not base64url", purpose: "package", subject: "req-1", expires: expires, sig: "!!" + sig, now: now, want: seal.ErrBadSignature},
		{name: "empty signature", purpose: "package", subject: "req-1", expires: expires, sig: "", now: now, want: seal.ErrBadSignature},
		{name: "other key", purpose: "package", subject: "req-1", expires: expires, sig: other.Sign("package", "req-1", expires), now: now, want: seal.ErrBadSignature},
		{name: "bad signature wins over expiry", purpose: "package", subject: "req-2", expires: expires, sig: sig, now: expires.Add(time.Hour), want: seal.ErrBadSignature},
		// The separator keeps ("a", "b\x00c") and ("a\x00b", "c") apart.
		{name: "purpose with a NUL", purpose: "package\x00req-1", subject: "", expires: expires, sig: k.Sign("package\x00req-1", "", expires), now: now, want: seal.ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := k.Check(tc.purpose, tc.subject, tc.expires, tc.sig, tc.now)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}

	// A subject that holds the separator is still a different link.
	require.NotEqual(t, k.Sign("p", "a\x00b", expires), k.Sign("p", "a", expires))
}

func TestNewToken(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 2000 {
		tok, err := seal.NewToken()
		require.NoError(t, err)
		require.Len(t, tok, 43)
		b, err := base64.RawURLEncoding.DecodeString(tok)
		require.NoError(t, err)
		require.Len(t, b, 32)
		require.False(t, seen[tok], "token drawn twice")
		seen[tok] = true
	}
}

func TestNewCode(t *testing.T) {
	t.Parallel()
	const draws = 20000
	var first [10]int
	for range draws {
		code, err := seal.NewCode()
		require.NoError(t, err)
		require.Len(t, code, 6)
		require.Equal(t, "", strings.Trim(code, "0123456789"), "digits only: %q", code)
		first[code[0]-'0']++
	}
	// Each leading digit is expected draws/10 = 2000 times (standard deviation about 42): the
	// bounds only catch a broken draw, such as lost leading zeros.
	for d, n := range first {
		require.Greater(t, n, draws/20, "leading %d drawn %d times", d, n)
		require.Less(t, n, draws*3/20, "leading %d drawn %d times", d, n)
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	k := setup(t)
	h := k.Hash("123456")
	require.Len(t, h, 32)
	require.Equal(t, h, k.Hash("123456"), "deterministic")
	require.NotEqual(t, h, k.Hash("123457"))
	require.NotContains(t, string(h), "123456")

	other, err := seal.New([]byte("another secret, also 32 bytes long"))
	require.NoError(t, err)
	require.NotEqual(t, h, other.Hash("123456"), "keyed by the secret")
}

// TestSubkeysIndependent checks that the three uses do not share a key: a link signature is
// not the stored hash of the same message, and so on.
func TestSubkeysIndependent(t *testing.T) {
	t.Parallel()
	k := setup(t)
	expires := time.Unix(1_800_000_000, 0)
	sig, err := base64.RawURLEncoding.DecodeString(k.Sign("p", "s", expires))
	require.NoError(t, err)
	require.NotEqual(t, sig, k.Hash("p\x00s\x001800000000"))
}
