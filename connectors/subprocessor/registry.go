// The registry of the vendor's sub-processors: who they are, what they hold, where, under
// which transfer mechanism and DPA, and how dsr reaches them when a subject's data changes.

package subprocessor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"dsr/connectors"
	"dsr/internal/domain"
	"dsr/templates"
)

// Entry is one sub-processor.
type Entry struct {
	Name              string   `json:"name"`
	Purpose           string   `json:"purpose"`
	DataCategories    []string `json:"data_categories"`
	Country           string   `json:"country"`
	TransferMechanism string   `json:"transfer_mechanism"`
	// DPADate is when the data processing agreement was signed (YYYY-MM-DD).
	DPADate   string `json:"dpa_date"`
	Connector Spec   `json:"connector"`
}

// Spec says how dsr reaches a sub-processor. Secrets are never in the file: it names the
// environment variables (or *_FILE variables) that hold them.
type Spec struct {
	Kind string `json:"kind"`
	// API: the shape of the service (ShapeTwoStep or ShapeAsyncJob), where it
	// is, how to authenticate, and its rate limit (Rate calls per Per, bursts of Burst).
	Shape       string `json:"shape,omitempty"`
	BaseURL     string `json:"base_url,omitempty"`
	Auth        string `json:"auth,omitempty"` // bearer, basic or hmac
	TokenEnv    string `json:"token_env,omitempty"`
	UserEnv     string `json:"user_env,omitempty"`
	PasswordEnv string `json:"password_env,omitempty"`
	SecretEnv   string `json:"secret_env,omitempty"`
	Rate        int    `json:"rate,omitempty"`
	Per         string `json:"per,omitempty"`
	Burst       int    `json:"burst,omitempty"`
	// Mail: the vendor's privacy contact and how many business days it takes to answer.
	Contact        string `json:"contact,omitempty"`
	TurnaroundDays int    `json:"turnaround_days,omitempty"`
	// None: why no action is needed (the recipient is exempt).
	Reason string `json:"reason,omitempty"`
}

// Load reads the registry from path, or the embedded default when path is empty.
func Load(path string) ([]Entry, error) {
	var b []byte
	var err error
	if path == "" {
		b, err = templates.DefaultSubprocessors()
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read the sub-processor registry: %w", err)
	}
	return Parse(b)
}

// Parse reads a registry and checks every entry.
func Parse(b []byte) ([]Entry, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var es []Entry
	if err := dec.Decode(&es); err != nil {
		return nil, fmt.Errorf("sub-processor registry: %w", err)
	}
	var errs []error
	seen := map[string]bool{}
	for i, e := range es {
		if err := e.validate(); err != nil {
			errs = append(errs, fmt.Errorf("sub-processor %d (%q): %w", i+1, e.Name, err))
		}
		if seen[strings.ToLower(e.Name)] {
			errs = append(errs, fmt.Errorf("sub-processor %q is listed twice", e.Name))
		}
		seen[strings.ToLower(e.Name)] = true
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return es, nil
}

func (e Entry) validate() error {
	var errs []error
	need := func(v, what string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, errors.New(what+" is required"))
		}
	}
	need(e.Name, "name")
	need(e.Purpose, "purpose")
	need(e.Country, "country")
	need(e.TransferMechanism, "transfer_mechanism")
	if len(e.DataCategories) == 0 {
		errs = append(errs, errors.New("data_categories is required"))
	}
	if _, err := time.Parse(time.DateOnly, e.DPADate); err != nil {
		errs = append(errs, fmt.Errorf("dpa_date %q is not YYYY-MM-DD", e.DPADate))
	}
	s := e.Connector
	switch s.Kind {
	case domain.ReachAPI:
		need(s.BaseURL, "connector.base_url")
		if s.Shape != ShapeTwoStep && s.Shape != ShapeAsyncJob {
			errs = append(errs, fmt.Errorf("connector.shape %q is not %s or %s", s.Shape, ShapeTwoStep, ShapeAsyncJob))
		}
		switch s.Auth {
		case "bearer":
			need(s.TokenEnv, "connector.token_env")
		case "basic":
			need(s.UserEnv, "connector.user_env")
			need(s.PasswordEnv, "connector.password_env")
		case "hmac":
			need(s.SecretEnv, "connector.secret_env")
		default:
			errs = append(errs, fmt.Errorf("connector.auth %q is not bearer, basic or hmac", s.Auth))
		}
		if s.Per != "" {
			if _, err := time.ParseDuration(s.Per); err != nil {
				errs = append(errs, fmt.Errorf("connector.per %q is not a duration", s.Per))
			}
		}
	case domain.ReachMail:
		need(s.Contact, "connector.contact")
	case domain.ReachNone:
		need(s.Reason, "connector.reason: why this recipient needs no notice")
	default:
		errs = append(errs, fmt.Errorf("connector.kind %q is not api, mail or none", s.Kind))
	}
	return errors.Join(errs...)
}

// Describe is how an access package names the recipient (Art. 15(1)(c)).
func (e Entry) Describe() string {
	return fmt.Sprintf("%s (%s; %s; %s; transfer: %s)", e.Name, e.Purpose, strings.Join(e.DataCategories, ", "), e.Country, e.TransferMechanism)
}

// Connectors builds a connector for each sub-processor. secret reads the secrets an API
// connector names (environment variables); receipts (nil: in memory) keep what API
// connectors did per request; mail builds those reached by mail, which need a mailer (nil
// is an error for them: the ledger would miss them).
func Connectors(es []Entry, secret func(string) (string, error), receipts Receipts, mail func(Entry) (connectors.Connector, error)) ([]connectors.Connector, error) {
	var out []connectors.Connector
	for _, e := range es {
		switch e.Connector.Kind {
		case domain.ReachNone:
			out = append(out, &Exempt{Entry: e})
		case domain.ReachAPI:
			c, err := apiConnector(e, secret, receipts)
			if err != nil {
				return nil, fmt.Errorf("sub-processor %s: %w", e.Name, err)
			}
			out = append(out, c)
		case domain.ReachMail:
			if mail == nil {
				return nil, fmt.Errorf("sub-processor %s is reached by mail, which needs SMTP_URL", e.Name)
			}
			c, err := mail(e)
			if err != nil {
				return nil, fmt.Errorf("sub-processor %s: %w", e.Name, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func apiConnector(e Entry, secret func(string) (string, error), receipts Receipts) (connectors.Connector, error) {
	if secret == nil {
		return nil, errors.New("no source of secrets for its API credentials")
	}
	s := e.Connector
	cfg := Config{Name: e.Name, Shape: s.Shape, BaseURL: s.BaseURL, Rate: s.Rate, Burst: s.Burst, Receipts: receipts}
	cfg.Auth.Type = s.Auth
	var err error
	switch s.Auth {
	case "bearer":
		cfg.Auth.Token, err = secret(s.TokenEnv)
	case "basic":
		if cfg.Auth.User, err = secret(s.UserEnv); err == nil {
			cfg.Auth.Password, err = secret(s.PasswordEnv)
		}
	case "hmac":
		cfg.Auth.Secret, err = secret(s.SecretEnv)
	}
	if err != nil {
		return nil, err
	}
	if s.Per != "" {
		if cfg.Per, err = time.ParseDuration(s.Per); err != nil {
			return nil, err
		}
	}
	return New(cfg)
}
