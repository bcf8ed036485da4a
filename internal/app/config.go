package app

import (
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
	"strings"
	"time"

	"dsr/internal/domain"
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
	DataDir      string
	HTTPAddr     string
	IMAPURL      string
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
	// Duplicates refuses, in the API, a request for a subject and right that the tenant has
	// an open request for (DSR_DUPLICATES, on or off).
	Duplicates bool
	// MailDuplicateWindow is how far back a mail asking for a right joins the sender's
	// open case for it instead of opening another; zero opens a case for every mail.
	MailDuplicateWindow time.Duration
	// Secret reads a secret the sub-processor registry names (an environment variable, or
	// the file its *_FILE variant names); "" when it is not set.
	Secret func(name string) (string, error)
}

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
		DataDir:           "./data",
		HTTPAddr:          "127.0.0.1:8080",
		MailEvery:         30 * time.Second,
		MailFrom:          "privacy@dsr.localhost",
		LogLevel:          slog.LevelInfo,
		BlockerRecheck:    15 * time.Minute,

		Duplicates:          true,
		MailDuplicateWindow: 30 * 24 * time.Hour,
	}
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
	if c.MailEvery < time.Second {
		errs = append(errs, fmt.Errorf("DSR_MAIL_EVERY: %s is shorter than 1s", c.MailEvery))
	}
	if c.BlockerRecheck < time.Second {
		errs = append(errs, fmt.Errorf("DSR_BLOCKER_RECHECK: %s is shorter than 1s", c.BlockerRecheck))
	}
	if c.MailDuplicateWindow < 0 {
		errs = append(errs, fmt.Errorf("DSR_MAIL_DUPLICATE_WINDOW: %s is negative (0 turns joining off)", c.MailDuplicateWindow))
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
