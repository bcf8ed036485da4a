package temporalserver

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Issuer signs the tokens the server's authorization accepts (its default JWT claim
// mapper and authorizer), as API keys are bearer tokens: it serves its public key as a
// JSON Web Key Set.
type Issuer struct {
	// JWKSURL is where the server fetches the key set.
	JWKSURL string
	key     *rsa.PrivateKey
}

// NewIssuer makes a signing key and serves its key set until the test ends.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	b64 := base64.RawURLEncoding.EncodeToString
	set, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "dsr-test",
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}})
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(set)
	}))
	t.Cleanup(srv.Close)
	return &Issuer{JWKSURL: srv.URL + "/jwks.json", key: key}
}

// Token is a token valid for an hour that grants permissions, each "namespace:role"
// (role read, write, worker or admin; "temporal-system:admin" administers the cluster).
func (i *Issuer) Token(t testing.TB, permissions ...string) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "dsr-test"}) + "." +
		enc(map[string]any{"sub": "dsr-test", "permissions": permissions, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, i.key, crypto.SHA256, sum[:])
	require.NoError(t, err)
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}
