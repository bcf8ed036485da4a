package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"dsr/internal/auth"
	"dsr/internal/domain"
	"dsr/internal/platform/signing"
	"dsr/internal/webhooks"
)

// Mode is what a process runs.
type Mode int

// Modes.
const (
	// ModeAll runs everything: the HTTP API, the dashboard and the subjects' pages, the
	// workers, the mailroom, and the embedded Temporal server unless TemporalAddress is
	// set (`dsr serve`).
	ModeAll Mode = iota
	// ModeWorker runs the workers only, against TemporalAddress (`dsr worker`).
	ModeWorker
)

// Config is everything dsr is configured with. Commands load it from the environment
// (cmd/dsr); Defaults are in one place, here.
type Config struct {
	Mode              Mode
	DatabaseURL       string
	ChatStoreURL      string
	TemporalAddress   string
	TemporalNamespace string
	// TemporalPort is the embedded server's frontend port; zero picks free ports.
	TemporalPort int
	// TemporalTLS secures the connection to TemporalAddress: TLS, mTLS, an API key
	// (DSR_TEMPORAL_TLS, DSR_TEMPORAL_CA_FILE, ...).
	TemporalTLS TemporalTLS
	// TemporalRetention is how long Temporal keeps the histories of closed workflows in
	// the namespace (DSR_TEMPORAL_RETENTION): set by `dsr temporal setup` and at start.
	TemporalRetention time.Duration
	DataDir           string
	HTTPAddr          string
	IMAPURL           string
	// PublicURL is where data subjects reach dsr: the links in their mail.
	PublicURL string
	// MailEvery is the pause between polls of an empty mailbox.
	MailEvery time.Duration
	SMTPURL   string
	DPOEmail  string
	MailFrom  string
	SecretKey []byte
	LogLevel  slog.Level
	// BlockerRecheck is how often a blocked request (open conversations) looks again.
	BlockerRecheck time.Duration
	// Regions are the regions whose data this process's chat store holds; it serves their
	// task queues only. Empty means every region, which only an all-in-one install may do.
	Regions []domain.Region
	// ObjectStoreURL is where the chat store's attachment files live, as
	// objectstore.Open reads it.
	ObjectStoreURL string
	// SubprocessorsFile is the sub-processor registry; empty for the embedded one.
	SubprocessorsFile string
	// Webhooks configures the delivery of webhooks.
	Webhooks WebhookConfig
	// Duplicates refuses, in the API, a request for a subject and right that the tenant has
	// an open request for (DSR_DUPLICATES, on or off).
	Duplicates bool
	// MailDuplicateWindow is how far back a mail asking for a right joins the sender's
	// open case for it instead of opening another; zero opens a case for every mail.
	MailDuplicateWindow time.Duration
	// Secret reads a secret the sub-processor registry names (an environment variable, or
	// the file its *_FILE variant names); "" when it is not set.
	Secret func(name string) (string, error)
	// OpenDSRKey and OpenDSRCert are the OpenDSR processor's private key and certificate
	// chain (PEM, leaf first): both or neither. With neither, a self-signed pair is
	// generated at start (OpenDSRSigner).
	OpenDSRKey, OpenDSRCert []byte
	// OpenDSRDomain is the processor domain the certificate is issued for; empty for the
	// host of PublicURL.
	OpenDSRDomain string
	// OpenDSRLoopbackCallbacks accepts OpenDSR status callback URLs on loopback hosts.
	OpenDSRLoopbackCallbacks bool
	// TrustedProxies are the networks of the reverse proxies in front of dsr, whose
	// X-Forwarded-For is believed (DSR_TRUSTED_PROXIES); none by default.
	TrustedProxies []netip.Prefix
	// SecureCookies marks the dashboard's cookies Secure even on plain HTTP, for a TLS
	// proxy in front that sends no X-Forwarded-Proto (DSR_SECURE_COOKIES; by default set
	// when DSR_PUBLIC_URL is https).
	SecureCookies bool
	// OIDC is single sign-on to the dashboard through an OpenID provider (DSR_OIDC_*); off
	// when its issuer is empty.
	OIDC OIDCConfig
	// LocalPasswords allows signing in to the dashboard with a password
	// (DSR_LOCAL_PASSWORDS, on or off); off needs single sign-on.
	LocalPasswords bool
	// Retention is how long dsr keeps a subject's identifiers in its own record after their
	// request became final (DSR_RETENTION); then a daily run replaces them by keyed hashes
	// and deletes the mail kept. See DefaultRetention.
	Retention time.Duration
}

// OIDCConfig configures single sign-on to the dashboard (DSR_OIDC_*).
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (DSR_OIDC_ISSUER); empty turns single sign-on off.
	Issuer string
	// ClientID and ClientSecret are the dashboard's registration at the provider
	// (DSR_OIDC_CLIENT_ID, DSR_OIDC_CLIENT_SECRET or DSR_OIDC_CLIENT_SECRET_FILE).
	ClientID, ClientSecret string
	// Scopes are asked for (DSR_OIDC_SCOPES, separated by spaces or commas).
	Scopes []string
	// RoleClaim is the claim mapped to roles (DSR_OIDC_ROLE_CLAIM; a dotted path reaches
	// into objects).
	RoleClaim string
	// Roles maps the claim's values to roles (DSR_OIDC_ROLES, group=role,...): the highest
	// mapped role wins; a person with none is refused.
	Roles string
	// Name is the provider's name on the sign-in button (DSR_OIDC_NAME).
	Name string
}

// Enabled reports whether single sign-on is configured.
func (o OIDCConfig) Enabled() bool { return o.Issuer != "" }

// RedirectURL is the callback to register at the provider.
func (o OIDCConfig) RedirectURL(publicURL string) string {
	return strings.TrimRight(publicURL, "/") + "/login/oidc/callback"
}

func (c Config) validateOIDC() []error {
	o := c.OIDC
	if !o.Enabled() {
		if !c.LocalPasswords {
			return []error{errors.New("DSR_LOCAL_PASSWORDS: off needs single sign-on (DSR_OIDC_ISSUER), or nobody could sign in")}
		}
		return nil
	}
	var errs []error
	if err := auth.CheckIssuer(o.Issuer); err != nil {
		errs = append(errs, fmt.Errorf("DSR_OIDC_ISSUER: %w", err))
	}
	if strings.TrimSpace(o.ClientID) == "" {
		errs = append(errs, errors.New("DSR_OIDC_CLIENT_ID is required with DSR_OIDC_ISSUER"))
	}
	if !slices.Contains(o.Scopes, "openid") {
		errs = append(errs, errors.New("DSR_OIDC_SCOPES must include openid"))
	}
	if strings.TrimSpace(o.RoleClaim) == "" {
		errs = append(errs, errors.New("DSR_OIDC_ROLE_CLAIM must not be blank"))
	}
	if _, err := auth.ParseRoleMap(o.Roles); err != nil {
		errs = append(errs, fmt.Errorf("DSR_OIDC_ROLES (e.g. dsr-admins=admin,dsr-dpo=dpo,dsr-viewers=viewer): %w", err))
	}
	return errs
}

// DefaultRetention is three years (26280h). The record of a request is how the controller
// and dsr's operator show that it was handled as the GDPR requires (accountability,
// Art. 5(2) and 24), and a claim about that handling can be brought for as long as national
// law allows: three years under the general limitation period in Germany (section 195 BGB),
// five in France (article 2224 Code civil). The default is a starting point, not advice:
// set DSR_RETENTION to the period the privacy team decided and documented.
const DefaultRetention = 3 * 365 * 24 * time.Hour

// MinRetention is the shortest retention accepted: a request's record must outlive its
// deadlines and the questions that follow its closing.
const MinRetention = 24 * time.Hour

// DefaultTemporalRetention is how long Temporal keeps a closed workflow's history (30
// days): long enough to look into a request that just closed; dsr's own record is in
// PostgreSQL and does not depend on it.
const DefaultTemporalRetention = 30 * 24 * time.Hour

// MinTemporalRetention is the shortest namespace retention Temporal accepts.
const MinTemporalRetention = 24 * time.Hour

// The default databases: a local PostgreSQL with trust authentication.
const (
	DefaultDatabaseURL  = "postgres://postgres@127.0.0.1:5432/dsr?sslmode=disable"
	DefaultChatStoreURL = "postgres://postgres@127.0.0.1:5432/dsr_chatstore?sslmode=disable"
)

// Defaults is the configuration of a local install.
func Defaults() Config {
	return Config{
		DatabaseURL:       DefaultDatabaseURL,
		ChatStoreURL:      DefaultChatStoreURL,
		TemporalNamespace: "dsr",
		TemporalPort:      7233,
		TemporalRetention: DefaultTemporalRetention,
		DataDir:           "./data",
		HTTPAddr:          "127.0.0.1:8080",
		MailEvery:         30 * time.Second,
		MailFrom:          "privacy@dsr.localhost",
		LogLevel:          slog.LevelInfo,
		BlockerRecheck:    15 * time.Minute,
		Webhooks: WebhookConfig{
			Timeout:       webhooks.DefaultPolicy.Timeout,
			RetryBase:     webhooks.DefaultPolicy.Base,
			RetryCap:      webhooks.DefaultPolicy.Cap,
			RetryFor:      webhooks.DefaultPolicy.Budget,
			SecretOverlap: 24 * time.Hour,
			LogRetention:  30 * 24 * time.Hour,
		},

		Duplicates:          true,
		MailDuplicateWindow: 30 * 24 * time.Hour,
		Retention:           DefaultRetention,

		OIDC: OIDCConfig{
			Scopes:    auth.DefaultOIDCScopes,
			RoleClaim: auth.DefaultRoleClaim,
			Name:      "single sign-on",
		},
		LocalPasswords: true,
	}
}

// WebhookConfig configures webhooks (DSR_WEBHOOK_*).
type WebhookConfig struct {
	// AllowNets are internal networks webhooks may reach nevertheless
	// (DSR_WEBHOOK_ALLOW_NETS, e.g. 127.0.0.0/8,::1/128 for a receiver on loopback).
	AllowNets []netip.Prefix
	// CAFile holds PEM certificates trusted for receivers besides the system's roots
	// (DSR_WEBHOOK_CA_FILE).
	CAFile string
	// Timeout bounds one attempt (DSR_WEBHOOK_TIMEOUT).
	Timeout time.Duration
	// RetryBase is the first wait after a failed attempt, doubled each time up to RetryCap
	// (DSR_WEBHOOK_RETRY_BASE, DSR_WEBHOOK_RETRY_CAP), for RetryFor after the first
	// attempt (DSR_WEBHOOK_RETRY_FOR).
	RetryBase time.Duration
	RetryCap  time.Duration
	RetryFor  time.Duration
	// SecretOverlap is how long a rotated-out secret still signs (DSR_WEBHOOK_SECRET_OVERLAP).
	SecretOverlap time.Duration
	// LogRetention is how long a delivery that ended (delivered or failed) stays in the
	// delivery log, with its attempts and event (DSR_WEBHOOK_LOG_RETENTION).
	LogRetention time.Duration
}

// Policy is the delivery policy the configuration makes.
func (w WebhookConfig) Policy() webhooks.Policy {
	return webhooks.Policy{Timeout: w.Timeout, Base: w.RetryBase, Factor: 2, Cap: w.RetryCap, Budget: w.RetryFor}
}

func (w WebhookConfig) validate() []error {
	var errs []error
	if w.Timeout < 100*time.Millisecond || w.Timeout > 2*time.Minute {
		errs = append(errs, fmt.Errorf("DSR_WEBHOOK_TIMEOUT: %s is not between 100ms and 2m", w.Timeout))
	}
	if w.RetryBase < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("DSR_WEBHOOK_RETRY_BASE: %s is shorter than 10ms", w.RetryBase))
	}
	if w.RetryCap < w.RetryBase {
		errs = append(errs, fmt.Errorf("DSR_WEBHOOK_RETRY_CAP: %s is shorter than DSR_WEBHOOK_RETRY_BASE", w.RetryCap))
	}
	if w.RetryFor < w.RetryBase {
		errs = append(errs, fmt.Errorf("DSR_WEBHOOK_RETRY_FOR: %s is shorter than DSR_WEBHOOK_RETRY_BASE", w.RetryFor))
	}
	if w.SecretOverlap < 0 {
		errs = append(errs, fmt.Errorf("DSR_WEBHOOK_SECRET_OVERLAP: %s is negative", w.SecretOverlap))
	}
	if w.LogRetention < time.Hour {
		errs = append(errs, fmt.Errorf("DSR_WEBHOOK_LOG_RETENTION: %s is shorter than 1h", w.LogRetention))
	}
	return errs
}

// DefaultPublicURL is where subjects reach an install that serves on addr.
func DefaultPublicURL(addr string) string { return "http://" + addr }

// DefaultObjectStoreURL is the attachments' directory under the data directory, absolute.
func DefaultObjectStoreURL(dataDir string) (string, error) {
	dir, err := filepath.Abs(filepath.Join(dataDir, "objects"))
	if err != nil {
		return "", fmt.Errorf("OBJECT_STORE_URL default: %w", err)
	}
	return "file://" + filepath.ToSlash(dir), nil
}

// embedded reports whether the process runs its own Temporal server.
func (c Config) embedded() bool { return c.Mode == ModeAll && c.TemporalAddress == "" }

// Validate reports every setting that is wrong, each by the name of its variable.
func (c Config) Validate() error {
	var errs []error
	for name, u := range map[string]string{"DATABASE_URL": c.DatabaseURL, "CHATSTORE_URL": c.ChatStoreURL} {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") || strings.Trim(p.Path, "/") == "" {
			errs = append(errs, fmt.Errorf("%s must be a postgres:// URL with a database name", name))
		}
	}
	if c.TemporalPort < 0 || c.TemporalPort > 65535-103 {
		errs = append(errs, fmt.Errorf("DSR_TEMPORAL_PORT %d is out of range", c.TemporalPort))
	}
	errs = append(errs, c.validateTemporal()...)
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("HTTP_ADDR %q is not host:port", c.HTTPAddr))
	}
	if c.DPOEmail != "" {
		if a, err := mail.ParseAddress(c.DPOEmail); err != nil || a.Address != c.DPOEmail {
			errs = append(errs, fmt.Errorf("DSR_DPO_EMAIL %q is not a plain email address", c.DPOEmail))
		}
	}
	if c.IMAPURL != "" {
		if u, err := url.Parse(c.IMAPURL); err != nil || (u.Scheme != "imap" && u.Scheme != "imaps") || u.User == nil {
			errs = append(errs, errors.New("IMAP_URL must look like imap://user:password@host:143/INBOX or imaps://user:password@host:993/INBOX"))
		}
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("DSR_PUBLIC_URL %q is not an http(s) URL", c.PublicURL))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("DSR_DATA_DIR must not be empty"))
	}
	for _, r := range c.Regions {
		if !r.Valid() {
			errs = append(errs, fmt.Errorf("DSR_REGIONS: %q is not one of %s", r, domain.JoinNames(domain.Regions)))
		}
	}
	if len(c.SecretKey) > 0 && len(c.SecretKey) < 32 {
		errs = append(errs, errors.New("DSR_SECRET_KEY must be at least 32 characters"))
	}
	// The URL may hold credentials: the errors never repeat it.
	if strings.Contains(c.ObjectStoreURL, "://") {
		if u, err := url.Parse(c.ObjectStoreURL); err != nil || (u.Scheme != "file" && u.Scheme != "s3") {
			errs = append(errs, errors.New("OBJECT_STORE_URL must be a directory, file:///path or s3://ACCESS:SECRET@host:port/bucket"))
		}
	} else if strings.TrimSpace(c.ObjectStoreURL) == "" {
		errs = append(errs, errors.New("OBJECT_STORE_URL must not be blank"))
	}
	if err := c.validateOpenDSR(); err != nil {
		errs = append(errs, err)
	}
	if c.MailEvery < time.Second {
		errs = append(errs, fmt.Errorf("DSR_MAIL_EVERY: %s is shorter than 1s", c.MailEvery))
	}
	if c.BlockerRecheck < time.Second {
		errs = append(errs, fmt.Errorf("DSR_BLOCKER_RECHECK: %s is shorter than 1s", c.BlockerRecheck))
	}
	errs = append(errs, c.Webhooks.validate()...)
	if c.MailDuplicateWindow < 0 {
		errs = append(errs, fmt.Errorf("DSR_MAIL_DUPLICATE_WINDOW: %s is negative (0 turns joining off)", c.MailDuplicateWindow))
	}
	errs = append(errs, c.validateOIDC()...)
	if c.Retention < MinRetention {
		errs = append(errs, fmt.Errorf("DSR_RETENTION: %s is shorter than %s", c.Retention, MinRetention))
	}
	return errors.Join(errs...)
}

// checkMode reports what the mode needs and the configuration lacks.
func (c Config) checkMode() error {
	if c.Mode == ModeWorker && c.TemporalAddress == "" {
		return errors.New("dsr worker needs TEMPORAL_ADDRESS (dsr serve embeds a server instead)")
	}
	if len(c.Regions) == 0 && !c.embedded() {
		return errors.New("DSR_REGIONS is required when TEMPORAL_ADDRESS is set or for dsr worker: name the regions (" +
			domain.JoinNames(domain.Regions) + ") whose data CHATSTORE_URL holds")
	}
	return nil
}

// ensureSecretKey gives an all-in-one install (embedded Temporal) without DSR_SECRET_KEY a
// key of its own, generated once and kept in the data directory (mode 0600), so a local
// install works out of the box. Processes that share a cluster must all be given the key.
func (c *Config) ensureSecretKey(log *slog.Logger) error {
	if len(c.SecretKey) > 0 {
		return nil
	}
	if !c.embedded() {
		return errors.New("DSR_SECRET_KEY (or DSR_SECRET_KEY_FILE) is required when TEMPORAL_ADDRESS is set or for dsr worker: every process must hash subjects with the same key")
	}
	key, path, err := c.keptKey()
	if err != nil || key != nil {
		c.SecretKey = key
		return err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("generate secret key: %w", err)
	}
	hexKey := hex.EncodeToString(raw)
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", c.DataDir, err)
	}
	if err := os.WriteFile(path, []byte(hexKey+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	log.Warn("DSR_SECRET_KEY is not set: generated one in the data directory; set DSR_SECRET_KEY or DSR_SECRET_KEY_FILE in production", slog.String("path", path))
	c.SecretKey = []byte(hexKey)
	return nil
}

// KeptKey returns the key an all-in-one install keeps in its data directory; nil when there
// is none (no file, or no key of at least 32 characters in it). Commands that work on the
// databases alone use it when DSR_SECRET_KEY is not set.
func (c Config) KeptKey() ([]byte, error) {
	key, _, err := c.keptKey()
	return key, err
}

func (c Config) keptKey() ([]byte, string, error) {
	path := filepath.Join(c.DataDir, "secret.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, path, nil
	}
	if err != nil {
		return nil, path, fmt.Errorf("read %s: %w", path, err)
	}
	key := strings.TrimSpace(string(b))
	if len(key) < 32 {
		return nil, path, nil
	}
	return []byte(key), path, nil
}

// OpenDSRProcessorDomain is the OpenDSR processor domain: DSR_OPENDSR_PROCESSOR_DOMAIN, or
// the host of DSR_PUBLIC_URL.
func (c Config) OpenDSRProcessorDomain() string {
	if c.OpenDSRDomain != "" {
		return c.OpenDSRDomain
	}
	if u, err := url.Parse(c.PublicURL); err == nil {
		return u.Hostname()
	}
	return ""
}

// validateOpenDSR checks the OpenDSR signing settings: the key and the certificate go
// together, and the key matches a certificate issued for the processor domain.
func (c Config) validateOpenDSR() error {
	d := c.OpenDSRProcessorDomain()
	if d == "" || strings.ContainsAny(d, "/ :@") {
		return fmt.Errorf("DSR_OPENDSR_PROCESSOR_DOMAIN %q is not a host name", d)
	}
	switch {
	case len(c.OpenDSRKey) == 0 && len(c.OpenDSRCert) == 0:
		return nil
	case len(c.OpenDSRKey) == 0:
		return errors.New("DSR_OPENDSR_KEY (or DSR_OPENDSR_KEY_FILE) is needed with DSR_OPENDSR_CERT")
	case len(c.OpenDSRCert) == 0:
		return errors.New("DSR_OPENDSR_CERT (or DSR_OPENDSR_CERT_FILE) is needed with DSR_OPENDSR_KEY")
	}
	if _, err := signing.Load(c.OpenDSRKey, c.OpenDSRCert, d); err != nil {
		return fmt.Errorf("DSR_OPENDSR_KEY_FILE/DSR_OPENDSR_CERT_FILE: %w", err)
	}
	return nil
}

// OpenDSRSigner is the OpenDSR processor's signing identity: the configured key and
// certificate, or, when none is configured, an ephemeral self-signed pair generated now
// (with a warning): controllers that check the chain will refuse it, which is right for
// an install nobody configured for them.
func (c Config) OpenDSRSigner(log *slog.Logger) (*signing.Signer, error) {
	d := c.OpenDSRProcessorDomain()
	if len(c.OpenDSRKey) > 0 || len(c.OpenDSRCert) > 0 {
		s, err := signing.Load(c.OpenDSRKey, c.OpenDSRCert, d)
		if err != nil {
			return nil, fmt.Errorf("DSR_OPENDSR_KEY_FILE/DSR_OPENDSR_CERT_FILE: %w", err)
		}
		return s, nil
	}
	s, err := signing.Ephemeral(d)
	if err != nil {
		return nil, err
	}
	log.Warn("DSR_OPENDSR_KEY_FILE and DSR_OPENDSR_CERT_FILE are not set: OpenDSR responses are signed with an ephemeral self-signed certificate that controllers will not trust; set them in production",
		slog.String("processor_domain", d))
	return s, nil
}
