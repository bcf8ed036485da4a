package signing_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/platform/signing"
)

// pair returns a PEM key and a PEM self-signed certificate for host.
func pair(t *testing.T, host string) (keyPEM, certPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestLoad(t *testing.T) {
	t.Parallel()
	key, cert := pair(t, "processor.example")
	otherKey, _ := pair(t, "processor.example")
	tests := []struct {
		name      string
		key, cert []byte
		domain    string
		want      string
	}{
		{name: "matching", key: key, cert: cert, domain: "processor.example"},
		{name: "no key", key: []byte("junk"), cert: cert, domain: "processor.example", want: "no PEM private key"},
		{name: "no certificate", key: key, cert: []byte("junk"), domain: "processor.example", want: "no PEM certificate"},
		{name: "another key", key: otherKey, cert: cert, domain: "processor.example", want: "does not match"},
		{name: "another domain", key: key, cert: cert, domain: "elsewhere.example", want: "not issued for elsewhere.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := signing.Load(tt.key, tt.cert, tt.domain)
			if tt.want != "" {
				require.ErrorContains(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			require.False(t, s.Ephemeral)
			require.Equal(t, cert, s.ChainPEM())
		})
	}
}

func TestEphemeralSignsWithItsCertificate(t *testing.T) {
	t.Parallel()
	s, err := signing.Ephemeral("processor.example")
	require.NoError(t, err)
	require.True(t, s.Ephemeral)
	b, _ := pem.Decode(s.ChainPEM())
	require.NotNil(t, b)
	cert, err := x509.ParseCertificate(b.Bytes)
	require.NoError(t, err)
	require.NoError(t, cert.VerifyHostname("processor.example"))

	body := []byte(`{"request_status":"pending"}`)
	sig64, err := s.Sign(body)
	require.NoError(t, err)
	sig, err := base64.StdEncoding.DecodeString(sig64)
	require.NoError(t, err)
	sum := sha256.Sum256(body)
	pub := cert.PublicKey.(*ecdsa.PublicKey)
	require.True(t, ecdsa.VerifyASN1(pub, sum[:], sig))
	other := sha256.Sum256([]byte(`{"request_status":"completed"}`))
	require.False(t, ecdsa.VerifyASN1(pub, other[:], sig), "another body does not verify")
}
