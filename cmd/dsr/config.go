package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"dsr/activities"
	"dsr/internal/domain"
	"dsr/internal/store"
)

// Config is everything dsr reads from its environment, with the defaults in one place.
type Config struct {
	DatabaseURL       string
	ChatStoreURL      string
	TemporalAddress   string
	TemporalNamespace string
	TemporalPort      int
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
	// Regions are the regions whose data this process's CHATSTORE_URL holds; it serves
	// their task queues only.
	Regions []domain.Region
	// ObjectStoreURL (OBJECT_STORE_URL or OBJECT_STORE_URL_FILE, as it may hold S3
	// credentials) is where the chat store's attachment files live, as objects.Open reads
	// it; by default the directory objects under DSR_DATA_DIR.
	ObjectStoreURL string
}

const (
	defaultDatabaseURL  = "postgres://postgres@127.0.0.1:5432/dsr?sslmode=disable"
	defaultChatStoreURL = "postgres://postgres@127.0.0.1:5432/dsr_chatstore?sslmode=disable"
)

// loadConfig reads the environment. Secrets come from the variable or from the file that
// its *_FILE variant names.
func loadConfig() (Config, error) {
	c := Config{
		DatabaseURL:       env("DATABASE_URL", defaultDatabaseURL),
		ChatStoreURL:      env("CHATSTORE_URL", defaultChatStoreURL),
		TemporalAddress:   os.Getenv("TEMPORAL_ADDRESS"),
		TemporalNamespace: env("DSR_TEMPORAL_NAMESPACE", "dsr"),
		DataDir:           env("DSR_DATA_DIR", "./data"),
		HTTPAddr:          env("HTTP_ADDR", "127.0.0.1:8080"),
		IMAPURL:           os.Getenv("IMAP_URL"),
		SMTPURL:           os.Getenv("SMTP_URL"),
		DPOEmail:          os.Getenv("DSR_DPO_EMAIL"),
		MailFrom:          env("DSR_MAIL_FROM", "privacy@dsr.localhost"),
	}
	port, err := strconv.Atoi(env("DSR_TEMPORAL_PORT", "7233"))
	if err != nil {
		return c, fmt.Errorf("DSR_TEMPORAL_PORT: %q is not a port number", os.Getenv("DSR_TEMPORAL_PORT"))
	}
	c.TemporalPort = port
	c.PublicURL = strings.TrimRight(env("DSR_PUBLIC_URL", "http://"+c.HTTPAddr), "/")
	if c.MailEvery, err = time.ParseDuration(env("DSR_MAIL_EVERY", "30s")); err != nil || c.MailEvery < time.Second {
		return c, fmt.Errorf("DSR_MAIL_EVERY: %q is not a duration of at least 1s (e.g. 30s)", os.Getenv("DSR_MAIL_EVERY"))
	}
	if c.BlockerRecheck, err = time.ParseDuration(env("DSR_BLOCKER_RECHECK", "15m")); err != nil || c.BlockerRecheck < time.Second {
		return c, fmt.Errorf("DSR_BLOCKER_RECHECK: %q is not a duration of at least 1s (e.g. 15m)", os.Getenv("DSR_BLOCKER_RECHECK"))
	}
	if err := c.LogLevel.UnmarshalText([]byte(env("DSR_LOG_LEVEL", "info"))); err != nil {
		return c, fmt.Errorf("DSR_LOG_LEVEL: %w", err)
	}
	for _, r := range strings.Split(os.Getenv("DSR_REGIONS"), ",") {
		if r = strings.TrimSpace(r); r != "" {
			c.Regions = append(c.Regions, domain.Region(r))
		}
	}
	key, err := secret("DSR_SECRET_KEY")
	if err != nil {
		return c, err
	}
	c.SecretKey = []byte(key)
	if c.ObjectStoreURL, err = objectStoreURL(c.DataDir); err != nil {
		return c, err
	}
	return c, c.validate()
}

// objectStoreURL reads OBJECT_STORE_URL (or the file OBJECT_STORE_URL_FILE names); its
// default is file://<DSR_DATA_DIR>/objects, made absolute.
func objectStoreURL(dataDir string) (string, error) {
	u, err := secret("OBJECT_STORE_URL")
	if err != nil || u != "" {
		return u, err
	}
	dir, err := filepath.Abs(filepath.Join(dataDir, "objects"))
	if err != nil {
		return "", fmt.Errorf("OBJECT_STORE_URL default: %w", err)
	}
	return "file://" + filepath.ToSlash(dir), nil
}

func (c Config) validate() error {
	var errs []error
	for name, u := range map[string]string{"DATABASE_URL": c.DatabaseURL, "CHATSTORE_URL": c.ChatStoreURL} {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") || strings.Trim(p.Path, "/") == "" {
			errs = append(errs, fmt.Errorf("%s must be a postgres:// URL with a database name", name))
		}
	}
	if c.TemporalPort < 1 || c.TemporalPort > 65535-103 {
		errs = append(errs, fmt.Errorf("DSR_TEMPORAL_PORT %d is out of range", c.TemporalPort))
	}
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
	return errors.Join(errs...)
}

// ensureSecretKey gives an all-in-one install (embedded Temporal) without DSR_SECRET_KEY a
// key of its own, generated once and kept in the data directory (mode 0600), so a local
// install works out of the box. Processes that share a cluster must all be given the key.
func (c *Config) ensureSecretKey(log *slog.Logger, allInOne bool) error {
	if len(c.SecretKey) > 0 {
		return nil
	}
	if !allInOne {
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

// keptKey returns the key an all-in-one install keeps in its data directory, with the
// file's path; nil when there is none (no file, or no key of at least 32 characters in it).
func (c *Config) keptKey() ([]byte, string, error) {
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

// checkKey makes sure key is the one the orchestrator database was set up with (the first
// process to start records its fingerprint): subjects are hashed with it.
func checkKey(ctx context.Context, st *store.Store, key []byte) error {
	fp := activities.KeyFingerprint(key)
	stored, err := st.EnsureSetting(ctx, "secret_key_fingerprint", fp)
	if err != nil {
		return err
	}
	if stored != fp {
		return errors.New("DSR_SECRET_KEY is not the key this database was set up with: hashes of subjects (suppression list, backup tombstones) would not match; use the original key")
	}
	return nil
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
