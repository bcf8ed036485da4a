package subprocessor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"dsr/connectors"
	"dsr/internal/domain"
)

// Shapes of sub-processor API.
const (
	// ShapeTwoStep is a helpdesk-like API: a user is soft deleted, then permanently deleted,
	// and permanent deletions are rate limited.
	ShapeTwoStep = "two_step"
	// ShapeAsyncJob is an analytics or mail-delivery API that erases a contact with an
	// asynchronous deletion job that may take days.
	ShapeAsyncJob = "async_job"
)

// Auth types.
const (
	AuthBearer = "bearer"
	AuthBasic  = "basic"
	AuthHMAC   = "hmac"
)

// Job steps, as in connectors.Job.Step.
const (
	// StepPermanent is a two_step erasure whose permanent deletion is still to happen or be
	// seen: the job id lists the sub-processor's user ids.
	StepPermanent = "permanent"
	// StepDeletion is an async_job deletion job: the job id is the sub-processor's.
	StepDeletion = "deletion"
)

// Defaults, in one place.
const (
	DefaultRate        = 10
	DefaultPer         = time.Second
	DefaultMaxWait     = 30 * time.Second
	DefaultTimeout     = 30 * time.Second
	DefaultPollInitial = time.Minute
	DefaultPollMax     = 6 * time.Hour
	DefaultJobTimeout  = 14 * 24 * time.Hour
	// DefaultTwoStepDeleteRate permanent deletions per DefaultTwoStepDeletePer is the limit
	// helpdesk APIs commonly put on permanent user deletion.
	DefaultTwoStepDeleteRate = 300
	DefaultTwoStepDeletePer  = 10 * time.Minute
)

// Auth says how every call authenticates.
//
// With Type "hmac" each request carries two headers: X-Timestamp, the Unix time in seconds,
// and X-Signature, the lowercase hex HMAC-SHA256, keyed with Secret, of
//
//	METHOD + "\n" + REQUEST_URI + "\n" + X-Timestamp + "\n" + hex(SHA-256(body))
//
// where REQUEST_URI is the escaped path and query as sent (for example
// "/v1/contacts?email=a%40b.example&tenant_id=t1") and the body of a request without one is
// empty.
type Auth struct {
	// Type is "bearer", "basic" or "hmac".
	Type string
	// Token is the bearer token.
	Token string
	// User and Password are the basic credentials.
	User, Password string
	// Secret is the HMAC-SHA256 key.
	Secret string
}

// Config is one sub-processor reached over its API.
type Config struct {
	// Name is the connector's name, unique among connectors, and the recipient's name in
	// the Art. 19 ledger, e.g. "Helpdesk".
	Name string
	// Shape is ShapeTwoStep or ShapeAsyncJob.
	Shape string
	// BaseURL is where the endpoints of the shape live, e.g. "https://api.helpdesk.example/v2".
	// It must be https, except on a loopback address (tests).
	BaseURL string
	Auth    Auth
	// Rate limits every call: a token bucket of Burst tokens refilled at Rate per Per.
	// Defaults: Rate 10, Per one second, Burst = Rate.
	Rate  int
	Per   time.Duration
	Burst int
	// DeleteRate per DeletePer limits the shape's rate-limited deletion call on top of Rate
	// (bursts of DeleteRate): the permanent deletion of two_step (default 300 per 10
	// minutes) and the job submission of async_job (default: no extra limit).
	DeleteRate int
	DeletePer  time.Duration
	// MaxWait is the longest a call waits for a token (default 30s); a longer wait is
	// returned as a *connectors.RetryAfterError, or as a Job when an erasure is half done.
	MaxWait time.Duration
	// Timeout bounds each HTTP call (default 30s).
	Timeout time.Duration
	// PollInitial is when a job is first checked (default 1m); each further check waits
	// twice as long, up to PollMax (default 6h).
	PollInitial time.Duration
	PollMax     time.Duration
	// JobTimeout is how long a job may go on before the recipient is marked failed
	// (default 14 days).
	JobTimeout time.Duration
	// Receipts stores the outcome of each action per request id (default: in memory, which
	// covers retries within one process).
	Receipts Receipts
	// HTTPClient is optional (tests); the default follows no redirects.
	HTTPClient *http.Client
	// Now is optional (tests); the default is time.Now.
	Now func() time.Time
}

// withDefaults returns cfg with every unset optional field set.
func (cfg Config) withDefaults() Config {
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Per == 0 {
		cfg.Per = DefaultPer
	}
	if cfg.Burst == 0 {
		cfg.Burst = cfg.Rate
	}
	if cfg.DeleteRate == 0 && cfg.Shape == ShapeTwoStep {
		cfg.DeleteRate = DefaultTwoStepDeleteRate
		if cfg.DeletePer == 0 {
			cfg.DeletePer = DefaultTwoStepDeletePer
		}
	}
	if cfg.DeleteRate > 0 && cfg.DeletePer == 0 {
		cfg.DeletePer = DefaultPer
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.PollInitial == 0 {
		cfg.PollInitial = DefaultPollInitial
	}
	if cfg.PollMax == 0 {
		cfg.PollMax = DefaultPollMax
	}
	if cfg.JobTimeout == 0 {
		cfg.JobTimeout = DefaultJobTimeout
	}
	if cfg.Receipts == nil {
		cfg.Receipts = NewMemoryReceipts()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// validate checks a config whose defaults are set; each error names the field.
func (cfg Config) validate() error {
	var errs []error
	if strings.TrimSpace(cfg.Name) == "" {
		errs = append(errs, errors.New("field Name is required"))
	}
	if cfg.Shape != ShapeTwoStep && cfg.Shape != ShapeAsyncJob {
		errs = append(errs, fmt.Errorf("field Shape %q is not %s or %s", cfg.Shape, ShapeTwoStep, ShapeAsyncJob))
	}
	if err := validBaseURL(cfg.BaseURL); err != nil {
		errs = append(errs, err)
	}
	switch cfg.Auth.Type {
	case AuthBearer:
		if cfg.Auth.Token == "" {
			errs = append(errs, errors.New("field Auth.Token is required for bearer auth"))
		}
	case AuthBasic:
		if cfg.Auth.User == "" || cfg.Auth.Password == "" {
			errs = append(errs, errors.New("fields Auth.User and Auth.Password are required for basic auth"))
		}
	case AuthHMAC:
		if cfg.Auth.Secret == "" {
			errs = append(errs, errors.New("field Auth.Secret is required for hmac auth"))
		}
	default:
		errs = append(errs, fmt.Errorf("field Auth.Type %q is not %s, %s or %s", cfg.Auth.Type, AuthBearer, AuthBasic, AuthHMAC))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"Rate", cfg.Rate}, {"Burst", cfg.Burst}, {"DeleteRate", cfg.DeleteRate}} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("field %s %d is negative", f.name, f.v))
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{
		{"Per", cfg.Per}, {"DeletePer", cfg.DeletePer}, {"MaxWait", cfg.MaxWait}, {"Timeout", cfg.Timeout},
		{"PollInitial", cfg.PollInitial}, {"PollMax", cfg.PollMax}, {"JobTimeout", cfg.JobTimeout},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("field %s %s is negative", f.name, f.v))
		}
	}
	if cfg.PollMax < cfg.PollInitial {
		errs = append(errs, fmt.Errorf("field PollMax %s is shorter than PollInitial %s", cfg.PollMax, cfg.PollInitial))
	}
	return errors.Join(errs...)
}

func validBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("field BaseURL %q is not an absolute http(s) URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("field BaseURL %q must have no query, fragment or user", s)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return fmt.Errorf("field BaseURL %q must be https: personal data is sent", s)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Connector reaches one sub-processor over its API. It is safe for concurrent use.
type Connector struct {
	cfg     Config
	http    *client
	deletes *bucket // the shape's rate-limited deletion call; nil when not limited
	locks   keyLocks
	shape   shape
}

var (
	_ connectors.Connector  = (*Connector)(nil)
	_ connectors.JobChecker = (*Connector)(nil)
)

// New returns a connector for the sub-processor cfg describes, after checking cfg.
func New(cfg Config) (*Connector, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("sub-processor %q: %w", cfg.Name, err)
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("sub-processor %q: field BaseURL: %w", cfg.Name, err)
	}
	c := &Connector{
		cfg:   cfg,
		shape: shapes[cfg.Shape],
		http: &client{
			name: cfg.Name, base: base, auth: cfg.Auth, hc: cfg.HTTPClient, timeout: cfg.Timeout,
			now: cfg.Now, maxWait: cfg.MaxWait, limit: newBucket(cfg.Rate, cfg.Per, cfg.Burst, cfg.Now),
		},
	}
	if cfg.DeleteRate > 0 {
		c.deletes = newBucket(cfg.DeleteRate, cfg.DeletePer, cfg.DeleteRate, cfg.Now)
	}
	return c, nil
}

// Name returns Config.Name.
func (c *Connector) Name() string { return c.cfg.Name }

// Kind returns connectors.KindSubprocessor.
func (c *Connector) Kind() string { return connectors.KindSubprocessor }

// Shape returns Config.Shape.
func (c *Connector) Shape() string { return c.cfg.Shape }

func (c *Connector) now() time.Time { return c.cfg.Now().UTC() }

// recipient is the connector's entry in the Art. 19 ledger.
func (c *Connector) recipient(status domain.RecipientStatus, reason string) *domain.Recipient {
	return &domain.Recipient{Name: c.cfg.Name, Kind: domain.ReachAPI, Status: status, Reason: reason}
}

// backoff is the wait before check number checks+1 of a job: PollInitial doubled checks
// times, at most PollMax.
func (c *Connector) backoff(checks int) time.Duration {
	d := c.cfg.PollInitial
	for range checks {
		if d >= c.cfg.PollMax/2 {
			return c.cfg.PollMax
		}
		d *= 2
	}
	return min(d, c.cfg.PollMax)
}

// expired reports whether job has gone on longer than Config.JobTimeout.
func (c *Connector) expired(job domain.Job) bool {
	return !job.Started.IsZero() && c.now().Sub(job.Started) >= c.cfg.JobTimeout
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ceilSecond rounds d up to a whole second, for waits shown to people.
func ceilSecond(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return (d + time.Second - 1).Truncate(time.Second)
}
