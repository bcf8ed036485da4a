package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"

	"dsr/internal/temporal/dispatch"
)

// TemporalTLS is how dsr reaches an external Temporal cluster that is secured: a
// self-run cluster with TLS or mutual TLS, or Temporal Cloud with an API key or a client
// certificate. Every field but TLS turns TLS on.
type TemporalTLS struct {
	// TLS is DSR_TEMPORAL_TLS: "on", "off", or empty (on when any other field is set).
	TLS string
	// CAFile holds the PEM certificates the frontend's certificate must chain to
	// (DSR_TEMPORAL_CA_FILE); empty for the system's roots.
	CAFile string
	// CertFile and KeyFile are the client's certificate and private key, PEM, for mutual
	// TLS (DSR_TEMPORAL_CERT_FILE, DSR_TEMPORAL_KEY_FILE): both or neither.
	CertFile, KeyFile string
	// ServerName is the name the frontend's certificate must carry
	// (DSR_TEMPORAL_SERVER_NAME); empty for the host of TEMPORAL_ADDRESS.
	ServerName string
	// APIKey is sent as a bearer token on every call (DSR_TEMPORAL_API_KEY or
	// DSR_TEMPORAL_API_KEY_FILE), as Temporal Cloud's API keys are.
	APIKey string
}

// On reports whether the connection uses TLS.
func (t TemporalTLS) On() bool {
	switch t.TLS {
	case "on":
		return true
	case "off":
		return false
	}
	return t.configured()
}

// configured reports whether any setting besides DSR_TEMPORAL_TLS is given.
func (t TemporalTLS) configured() bool {
	return t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "" || t.APIKey != ""
}

// validateTemporal checks the settings of the connection to Temporal, reading and parsing
// the certificate files, and the namespace's retention.
func (c Config) validateTemporal() []error {
	var errs []error
	if c.TemporalRetention < MinTemporalRetention {
		errs = append(errs, fmt.Errorf("DSR_TEMPORAL_RETENTION: %s is shorter than %s, the least Temporal keeps", c.TemporalRetention, MinTemporalRetention))
	}
	t := c.TemporalTLS
	switch t.TLS {
	case "", "on", "off":
	default:
		return append(errs, fmt.Errorf("DSR_TEMPORAL_TLS: %q is neither on nor off", t.TLS))
	}
	if t.TLS == "off" && t.configured() {
		errs = append(errs, errors.New("DSR_TEMPORAL_TLS is off, but a CA, client certificate, server name or API key (DSR_TEMPORAL_*) is set: they need TLS"))
	}
	if t.On() && c.TemporalAddress == "" {
		errs = append(errs, errors.New("DSR_TEMPORAL_TLS and the other DSR_TEMPORAL_* connection settings need TEMPORAL_ADDRESS: the embedded server listens on loopback without TLS"))
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		errs = append(errs, errors.New("DSR_TEMPORAL_CERT_FILE and DSR_TEMPORAL_KEY_FILE go together (mutual TLS): set both or neither"))
	}
	if len(errs) > 0 {
		return errs
	}
	if _, err := t.config(); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// config reads the files and builds the TLS configuration; nil when TLS is off.
func (t TemporalTLS) config() (*tls.Config, error) {
	if !t.On() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("DSR_TEMPORAL_CA_FILE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("DSR_TEMPORAL_CA_FILE: %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("DSR_TEMPORAL_CERT_FILE/DSR_TEMPORAL_KEY_FILE: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// TemporalClientOptions are the options of every Temporal client dsr dials: the frontend
// at hostPort (TEMPORAL_ADDRESS, or the embedded server's), the namespace, and TLS, the
// client certificate and the API key as configured.
func (c Config) TemporalClientOptions(hostPort string, log *slog.Logger, is ...interceptor.ClientInterceptor) (client.Options, error) {
	o := client.Options{
		HostPort:     hostPort,
		Namespace:    c.TemporalNamespace,
		Logger:       sdklog.NewStructuredLogger(log.With(slog.String("component", "temporal-client"))),
		Interceptors: is,
	}
	tlsCfg, err := c.TemporalTLS.config()
	if err != nil {
		return o, err
	}
	o.ConnectionOptions.TLS = tlsCfg
	if c.TemporalTLS.APIKey != "" {
		o.Credentials = client.NewAPIKeyStaticCredentials(c.TemporalTLS.APIKey)
	}
	return o, nil
}

// Dial connects to the Temporal frontend at hostPort with the configuration's options.
func Dial(cfg Config, hostPort string, log *slog.Logger, is ...interceptor.ClientInterceptor) (client.Client, error) {
	o, err := cfg.TemporalClientOptions(hostPort, log, is...)
	if err != nil {
		return nil, err
	}
	c, err := client.Dial(o)
	if err != nil {
		return nil, fmt.Errorf("connect to temporal at %s%s: %w", hostPort, cfg.describeSecurity(), err)
	}
	return c, nil
}

// describeSecurity says how the connection is secured, for errors.
func (c Config) describeSecurity() string {
	t := c.TemporalTLS
	if !t.On() {
		return " (plain, no TLS)"
	}
	s := " (TLS"
	if t.CAFile != "" {
		s += ", CA from DSR_TEMPORAL_CA_FILE"
	} else {
		s += ", system CAs"
	}
	if t.CertFile != "" {
		s += ", client certificate"
	} else {
		s += ", no client certificate: one that needs mutual TLS breaks the connection off (DSR_TEMPORAL_CERT_FILE, DSR_TEMPORAL_KEY_FILE)"
	}
	if t.APIKey != "" {
		s += ", API key"
	}
	return s + ")"
}

// SetupTemporal does `dsr temporal setup`: it connects to TEMPORAL_ADDRESS and makes the
// namespace ready for dsr (dispatch.SetupNamespace): registered, with
// DSR_TEMPORAL_RETENTION, served, with dsr's search attributes.
func SetupTemporal(ctx context.Context, cfg Config, log *slog.Logger) (dispatch.NamespaceSetup, error) {
	if cfg.TemporalAddress == "" {
		return dispatch.NamespaceSetup{}, errors.New("TEMPORAL_ADDRESS is not set: dsr temporal setup prepares an external cluster's namespace; the embedded server of dsr serve sets its own up at every start")
	}
	c, err := Dial(cfg, cfg.TemporalAddress, log)
	if err != nil {
		return dispatch.NamespaceSetup{}, err
	}
	defer c.Close()
	return dispatch.SetupNamespace(ctx, c, cfg.TemporalNamespace, cfg.TemporalRetention, dispatch.SearchAttributes)
}

// setupNamespace makes an external cluster's namespace ready at start, as `dsr temporal
// setup` does. Where the cluster does not let dsr change it (Temporal Cloud), a namespace
// that exists with its search attributes is enough: a retention other than
// DSR_TEMPORAL_RETENTION is only a warning; a missing namespace or search attribute stops
// the process with what to do.
func (a *App) setupNamespace(ctx context.Context, c client.Client) error {
	cfg := a.Config
	res, err := dispatch.SetupNamespace(ctx, c, cfg.TemporalNamespace, cfg.TemporalRetention, dispatch.SearchAttributes)
	var np *dispatch.NotPermittedError
	switch {
	case errors.As(err, &np) && np.Step == "update retention":
		a.Log.Warn("temporal namespace retention not changed", slog.String("namespace", cfg.TemporalNamespace), slog.String("reason", np.Error()))
		return nil
	case err != nil:
		return fmt.Errorf("temporal at %s: %w", cfg.TemporalAddress, err)
	}
	if res.Unchecked != "" {
		a.Log.Warn("temporal namespace search attributes not checked", slog.String("namespace", cfg.TemporalNamespace), slog.String("reason", res.Unchecked))
	}
	if res.Changed {
		a.Log.Info("temporal namespace set up", slog.String("namespace", res.Namespace), slog.String("action", res.Action),
			slog.String("retention", res.Retention), slog.Any("search_attributes_added", res.SearchAttributesAdded))
	}
	return nil
}
