package webhooks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrRefusedAddress is returned for a host that is, or resolves to, an address webhooks
// may not reach.
var ErrRefusedAddress = errors.New("webhooks: address not allowed")

// Ranges refused besides those netip classifies (private, loopback, link-local,
// unspecified, multicast): shared address space (CGNAT), IPv4-mapped IPv6, and the other
// special-purpose ranges nobody receives webhooks on.
var refused = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::ffff:0:0/96"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("fc00::/7"),
}

// Guard decides which addresses webhooks may reach: public ones, and those in Allow.
type Guard struct {
	// Allow are networks reached even though they are internal (DSR_WEBHOOK_ALLOW_NETS).
	Allow []netip.Prefix
	// Resolver looks hosts up; net.DefaultResolver when nil.
	Resolver *net.Resolver
}

// ParseNets reads a comma-separated list of CIDR prefixes.
func ParseNets(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR prefix like 127.0.0.0/8 or ::1/128", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// CheckAddr reports whether webhooks may reach ip.
func (g *Guard) CheckAddr(ip netip.Addr) error {
	for _, p := range g.Allow {
		if p.Contains(ip) {
			return nil
		}
	}
	bad := ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() || !ip.IsValid()
	for _, p := range refused {
		bad = bad || p.Contains(ip)
	}
	if ip.Is4() && ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		bad = true
	}
	if bad {
		return fmt.Errorf("%w: %s is an internal address", ErrRefusedAddress, ip)
	}
	return nil
}

// CheckURL checks a subscription's URL: absolute https (or http to a loopback host), no
// credentials, and a host whose every address may be reached. It returns the reason as its
// error, fit to show the tenant.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return errors.New("url must be an absolute https:// URL")
	}
	if u.User != nil {
		return errors.New("url must not hold credentials")
	}
	if u.Fragment != "" {
		return errors.New("url must not have a fragment")
	}
	host := u.Hostname()
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(host) {
			return errors.New("url must use https (http only to a loopback address)")
		}
	default:
		return errors.New("url must use https")
	}
	addrs, err := g.lookup(ctx, host)
	if err != nil {
		return fmt.Errorf("url's host %s does not resolve", host)
	}
	for _, a := range addrs {
		if err := g.CheckAddr(a); err != nil {
			return fmt.Errorf("url's host %s is, or resolves to, an internal address (%s); webhooks go to public addresses only", host, a)
		}
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func (g *Guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errors.New("no address")
	}
	for i, a := range addrs {
		addrs[i] = a.WithZone("")
	}
	return addrs, nil
}

// control refuses, at connect time, an address the host resolved to that webhooks may
// not reach: a name that resolved to a public address when the subscription was made may
// resolve to an internal one now (DNS rebinding).
func (g *Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefusedAddress, address)
	}
	return g.CheckAddr(ap.Addr().WithZone(""))
}

// Client returns the HTTP client of deliveries: each request bounded by timeout, every
// connection checked by the guard, no proxy, no redirect followed (a 3xx is the answer),
// TLS verified against the system's roots plus roots, when given.
func (g *Guard) Client(timeout time.Duration, roots *x509.CertPool) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, Control: g.control}
	tr := &http.Transport{
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Timeout:       timeout,
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// RootsWith returns the system's roots plus the PEM certificates in pem.
func RootsWith(pem []byte) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in it")
	}
	return pool, nil
}
