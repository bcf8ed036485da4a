package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"dsr/internal/app"
	"dsr/internal/domain"
	"dsr/internal/webhooks"
)

// loadConfig reads dsr's configuration from the environment over app.Defaults, and
// validates it. Secrets come from the variable or from the file that its *_FILE variant
// names.
func loadConfig(mode app.Mode) (app.Config, error) {
	c := app.Defaults()
	c.Mode = mode
	c.DatabaseURL = env("DATABASE_URL", c.DatabaseURL)
	c.ChatStoreURL = env("CHATSTORE_URL", c.ChatStoreURL)
	c.TemporalAddress = os.Getenv("TEMPORAL_ADDRESS")
	c.TemporalNamespace = env("DSR_TEMPORAL_NAMESPACE", c.TemporalNamespace)
	c.DataDir = env("DSR_DATA_DIR", c.DataDir)
	c.HTTPAddr = env("HTTP_ADDR", c.HTTPAddr)
	c.IMAPURL = os.Getenv("IMAP_URL")
	c.SMTPURL = os.Getenv("SMTP_URL")
	c.DPOEmail = os.Getenv("DSR_DPO_EMAIL")
	c.MailFrom = env("DSR_MAIL_FROM", c.MailFrom)
	c.SubprocessorsFile = os.Getenv("DSR_SUBPROCESSORS_FILE")
	c.Secret = secret
	port, err := strconv.Atoi(env("DSR_TEMPORAL_PORT", strconv.Itoa(c.TemporalPort)))
	if err != nil || port < 1 {
		return c, fmt.Errorf("DSR_TEMPORAL_PORT: %q is not a port number", os.Getenv("DSR_TEMPORAL_PORT"))
	}
	c.TemporalPort = port
	c.PublicURL = strings.TrimRight(env("DSR_PUBLIC_URL", app.DefaultPublicURL(c.HTTPAddr)), "/")
	if c.MailEvery, err = time.ParseDuration(env("DSR_MAIL_EVERY", c.MailEvery.String())); err != nil {
		return c, fmt.Errorf("DSR_MAIL_EVERY: %q is not a duration of at least 1s (e.g. 30s)", os.Getenv("DSR_MAIL_EVERY"))
	}
	if c.BlockerRecheck, err = time.ParseDuration(env("DSR_BLOCKER_RECHECK", c.BlockerRecheck.String())); err != nil {
		return c, fmt.Errorf("DSR_BLOCKER_RECHECK: %q is not a duration of at least 1s (e.g. 15m)", os.Getenv("DSR_BLOCKER_RECHECK"))
	}
	switch v := env("DSR_DUPLICATES", "on"); v {
	case "on", "off":
		c.Duplicates = v == "on"
	default:
		return c, fmt.Errorf("DSR_DUPLICATES: %q is neither on nor off", v)
	}
	if c.MailDuplicateWindow, err = time.ParseDuration(env("DSR_MAIL_DUPLICATE_WINDOW", c.MailDuplicateWindow.String())); err != nil {
		return c, fmt.Errorf("DSR_MAIL_DUPLICATE_WINDOW: %q is not a duration (e.g. 720h; 0 turns joining off)", os.Getenv("DSR_MAIL_DUPLICATE_WINDOW"))
	}
	if c.Retention, err = time.ParseDuration(env("DSR_RETENTION", c.Retention.String())); err != nil {
		return c, fmt.Errorf("DSR_RETENTION: %q is not a duration (e.g. 26280h, three years)", os.Getenv("DSR_RETENTION"))
	}
	if err := c.LogLevel.UnmarshalText([]byte(env("DSR_LOG_LEVEL", c.LogLevel.String()))); err != nil {
		return c, fmt.Errorf("DSR_LOG_LEVEL: %w", err)
	}
	for _, r := range strings.Split(os.Getenv("DSR_REGIONS"), ",") {
		if r = strings.TrimSpace(r); r != "" {
			c.Regions = append(c.Regions, domain.Region(r))
		}
	}
	if err := loadWebhookConfig(&c.Webhooks); err != nil {
		return c, err
	}
	key, err := secret("DSR_SECRET_KEY")
	if err != nil {
		return c, err
	}
	c.SecretKey = []byte(key)
	// It may hold S3 credentials, hence a secret.
	if c.ObjectStoreURL, err = secret("OBJECT_STORE_URL"); err != nil {
		return c, err
	}
	if c.ObjectStoreURL == "" {
		if c.ObjectStoreURL, err = app.DefaultObjectStoreURL(c.DataDir); err != nil {
			return c, err
		}
	}
	for name, dst := range map[string]*[]byte{"DSR_OPENDSR_KEY": &c.OpenDSRKey, "DSR_OPENDSR_CERT": &c.OpenDSRCert} {
		v, err := secret(name)
		if err != nil {
			return c, err
		}
		*dst = []byte(v)
	}
	c.OpenDSRDomain = os.Getenv("DSR_OPENDSR_PROCESSOR_DOMAIN")
	if v := os.Getenv("DSR_OPENDSR_LOOPBACK_CALLBACKS"); v != "" {
		if c.OpenDSRLoopbackCallbacks, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("DSR_OPENDSR_LOOPBACK_CALLBACKS: %q is not true or false", v)
		}
	}
	if c.TrustedProxies, err = webhooks.ParseNets(os.Getenv("DSR_TRUSTED_PROXIES")); err != nil {
		return c, fmt.Errorf("DSR_TRUSTED_PROXIES: %w", err)
	}
	if c.SecureCookies, err = secureCookies(c.PublicURL, os.Getenv("DSR_SECURE_COOKIES")); err != nil {
		return c, err
	}
	if err := loadOIDCConfig(&c); err != nil {
		return c, err
	}
	if err := loadTemporalConfig(&c); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// loadOIDCConfig reads the single sign-on settings (DSR_OIDC_*) and DSR_LOCAL_PASSWORDS over
// the defaults in c.
func loadOIDCConfig(c *app.Config) error {
	o := &c.OIDC
	o.Issuer = strings.TrimSpace(os.Getenv("DSR_OIDC_ISSUER"))
	o.ClientID = strings.TrimSpace(os.Getenv("DSR_OIDC_CLIENT_ID"))
	secretValue, err := secret("DSR_OIDC_CLIENT_SECRET")
	if err != nil {
		return err
	}
	o.ClientSecret = secretValue
	if v := os.Getenv("DSR_OIDC_SCOPES"); v != "" {
		o.Scopes = strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	}
	o.RoleClaim = env("DSR_OIDC_ROLE_CLAIM", o.RoleClaim)
	o.Roles = os.Getenv("DSR_OIDC_ROLES")
	o.Name = env("DSR_OIDC_NAME", o.Name)
	switch v := env("DSR_LOCAL_PASSWORDS", "on"); v {
	case "on", "off":
		c.LocalPasswords = v == "on"
	default:
		return fmt.Errorf("DSR_LOCAL_PASSWORDS: %q is neither on nor off", v)
	}
	return nil
}

// loadTemporalConfig reads the settings of the connection to TEMPORAL_ADDRESS
// (DSR_TEMPORAL_TLS, _CA_FILE, _CERT_FILE, _KEY_FILE, _SERVER_NAME, _API_KEY or
// _API_KEY_FILE) and the namespace's retention (DSR_TEMPORAL_RETENTION) over the defaults
// in c. Validate reads and checks the files.
func loadTemporalConfig(c *app.Config) error {
	t := &c.TemporalTLS
	t.TLS = strings.TrimSpace(os.Getenv("DSR_TEMPORAL_TLS"))
	t.CAFile = os.Getenv("DSR_TEMPORAL_CA_FILE")
	t.CertFile = os.Getenv("DSR_TEMPORAL_CERT_FILE")
	t.KeyFile = os.Getenv("DSR_TEMPORAL_KEY_FILE")
	t.ServerName = strings.TrimSpace(os.Getenv("DSR_TEMPORAL_SERVER_NAME"))
	key, err := secret("DSR_TEMPORAL_API_KEY")
	if err != nil {
		return err
	}
	t.APIKey = key
	if c.TemporalRetention, err = time.ParseDuration(env("DSR_TEMPORAL_RETENTION", c.TemporalRetention.String())); err != nil {
		return fmt.Errorf("DSR_TEMPORAL_RETENTION: %q is not a duration (e.g. 720h, 30 days)", os.Getenv("DSR_TEMPORAL_RETENTION"))
	}
	return nil
}

// secureCookies reads DSR_SECURE_COOKIES (value v); unset, cookies are Secure when the
// public URL is https, as then every browser reaches dsr over TLS, proxy or not.
func secureCookies(publicURL, v string) (bool, error) {
	if v == "" {
		return strings.HasPrefix(strings.ToLower(publicURL), "https://"), nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("DSR_SECURE_COOKIES: %q is not true or false", v)
	}
	return b, nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// secret reads NAME, or the file NAME_FILE points at.
func secret(name string) (string, error) {
	if v := os.Getenv(name); v != "" {
		return v, nil
	}
	path := os.Getenv(name + "_FILE")
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// loadWebhookConfig reads the DSR_WEBHOOK_* variables over the defaults in w.
func loadWebhookConfig(w *app.WebhookConfig) error {
	nets, err := webhooks.ParseNets(os.Getenv("DSR_WEBHOOK_ALLOW_NETS"))
	if err != nil {
		return fmt.Errorf("DSR_WEBHOOK_ALLOW_NETS: %w", err)
	}
	w.AllowNets = nets
	w.CAFile = os.Getenv("DSR_WEBHOOK_CA_FILE")
	for _, d := range []struct {
		name string
		v    *time.Duration
	}{
		{"DSR_WEBHOOK_TIMEOUT", &w.Timeout}, {"DSR_WEBHOOK_RETRY_BASE", &w.RetryBase}, {"DSR_WEBHOOK_RETRY_CAP", &w.RetryCap},
		{"DSR_WEBHOOK_RETRY_FOR", &w.RetryFor}, {"DSR_WEBHOOK_SECRET_OVERLAP", &w.SecretOverlap},
		{"DSR_WEBHOOK_LOG_RETENTION", &w.LogRetention},
	} {
		v, err := time.ParseDuration(env(d.name, d.v.String()))
		if err != nil {
			return fmt.Errorf("%s: %q is not a duration (e.g. 30s, 6h)", d.name, os.Getenv(d.name))
		}
		*d.v = v
	}
	return nil
}
