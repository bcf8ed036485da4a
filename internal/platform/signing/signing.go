// Package signing holds a processor's signing identity: a private key and the certificate
// chain issued for its domain. It signs bytes (SHA-256 digest; RSA PKCS #1 v1.5 or ECDSA
// ASN.1) and serves the chain as PEM, as the OpenDSR protocol asks of a processor.
package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Signer signs with a key whose certificate chain it holds.
type Signer struct {
	key    crypto.Signer
	leaf   *x509.Certificate
	chain  []byte
	domain string
	// Ephemeral is true for a pair generated at start (no configured key).
	Ephemeral bool
}

// Load parses a PEM private key (PKCS #8, PKCS #1 RSA or SEC 1 EC) and a PEM certificate
// chain (leaf first) and checks that they belong together and that the leaf is issued for
// domain. Its errors never repeat the key.
func Load(keyPEM, certPEM []byte, domain string) (*Signer, error) {
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	var chain bytes.Buffer
	for rest := certPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
		if err := pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: b.Bytes}); err != nil {
			return nil, fmt.Errorf("encode certificate: %w", err)
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	leaf := certs[0]
	if !publicKeyEqual(key.Public(), leaf.PublicKey) {
		return nil, errors.New("the private key does not match the first certificate")
	}
	if err := leaf.VerifyHostname(domain); err != nil {
		return nil, fmt.Errorf("the first certificate is not issued for %s: %w", domain, err)
	}
	return &Signer{key: key, leaf: leaf, chain: chain.Bytes(), domain: domain}, nil
}

func parseKey(keyPEM []byte) (crypto.Signer, error) {
	var block *pem.Block
	for rest := keyPEM; ; {
		block, rest = pem.Decode(rest)
		if block == nil || bytes.HasSuffix([]byte(block.Type), []byte("PRIVATE KEY")) {
			break
		}
	}
	if block == nil {
		return nil, errors.New("no PEM private key found")
	}
	var k any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, errors.New("the private key cannot be parsed (PKCS #8, PKCS #1 RSA or SEC 1 EC PEM expected)")
	}
	switch s := k.(type) {
	case *rsa.PrivateKey:
		if s.N.BitLen() < 2048 {
			return nil, fmt.Errorf("the RSA key has %d bits; at least 2048 are needed", s.N.BitLen())
		}
		return s, nil
	case *ecdsa.PrivateKey:
		return s, nil
	}
	return nil, fmt.Errorf("the private key is a %T; RSA or ECDSA is needed", k)
}

func publicKeyEqual(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

// Ephemeral generates an ECDSA P-256 key and a self-signed certificate for domain, valid
// for a year: for an install that has not been given a key. Controllers that check the
// chain against their trust store reject it, as they should.
func Ephemeral(domain string) (*Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, fmt.Errorf("generate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: domain, Organization: []string{"dsr (ephemeral)"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if ip := net.ParseIP(domain); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{domain}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("self-sign certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	s, err := Load(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), domain)
	if err != nil {
		return nil, err
	}
	s.Ephemeral = true
	return s, nil
}

// Domain is the domain the certificate is issued for.
func (s *Signer) Domain() string { return s.domain }

// ChainPEM is the certificate chain, leaf first, as PEM.
func (s *Signer) ChainPEM() []byte { return s.chain }

// Sign returns the base64 (standard encoding) signature of the SHA-256 digest of body.
func (s *Signer) Sign(body []byte) (string, error) {
	sum := sha256.Sum256(body)
	sig, err := s.key.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}
