package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"strings"

	"dsr/activities"
	"dsr/connectors"
	"dsr/connectors/subprocessor"
	"dsr/http/api"
	"dsr/http/dashboard"
	"dsr/http/opendsr"
	"dsr/http/server"
	"dsr/http/subject"
	"dsr/internal/auth"
	"dsr/internal/domain"
	"dsr/internal/mail/classify"
	"dsr/internal/mail/ingest"
	"dsr/internal/platform/seal"
	"dsr/internal/webhooks"
	"dsr/workflows"
)

// packageDir is where access and portability packages are written.
func (a *App) packageDir() string { return filepath.Join(a.Config.DataDir, "packages") }

// buildConnectors configures every connector, in the order they run: the chat store, the
// backups catalog, then the sub-processors of the registry (and any a test adds).
func (a *App) buildConnectors(context.Context) error {
	subs, err := LoadSubprocessors(a.Config.SubprocessorsFile)
	if err != nil {
		return err
	}
	all := []connectors.Connector{a.ChatStore, a.Backups(a.Config.SecretKey)}
	vendors, err := a.subprocessorConnectors(subs)
	if err != nil {
		return err
	}
	all = append(all, vendors...)
	if a.opts.connectors != nil {
		all = append(all, a.opts.connectors(a.Store)...)
	}
	if a.Connectors, err = connectors.NewRegistry(all...); err != nil {
		return err
	}
	for _, e := range subs {
		a.recipients = append(a.recipients, e.Describe())
		if e.Connector.Kind == domain.ReachMail {
			a.vendors[strings.ToLower(e.Connector.Contact)] = e.Name
		}
	}
	return nil
}

// LoadSubprocessors reads the sub-processor registry: the file, or the embedded default.
func LoadSubprocessors(file string) ([]subprocessor.Entry, error) { return subprocessor.Load(file) }

// subprocessorConnectors makes a connector of every sub-processor: its API, a mail to its
// privacy contact (which needs a mailer), or none (exempt).
func (a *App) subprocessorConnectors(es []subprocessor.Entry) ([]connectors.Connector, error) {
	a.vendors = map[string]string{}
	viaMail := func(e subprocessor.Entry) (connectors.Connector, error) {
		if a.Mailer == nil {
			return nil, errors.New("it is reached by mail, which needs SMTP_URL")
		}
		return &subprocessor.Manual{Entry: e, Store: a.Store, Mailer: a.Mailer, DPOEmail: a.Config.DPOEmail}, nil
	}
	return subprocessor.Connectors(es, a.requiredSecret, a.Store.Receipts(), viaMail)
}

// requiredSecret reads a secret the registry names and fails when it is not set.
func (a *App) requiredSecret(name string) (string, error) {
	var v string
	var err error
	if a.Config.Secret != nil {
		v, err = a.Config.Secret(name)
	}
	if err == nil && v == "" {
		err = fmt.Errorf("%s (or %s_FILE) is not set", name, name)
	}
	return v, err
}

func (a *App) buildActivities(context.Context) error {
	a.Activities = &activities.Activities{
		Store:      a.Store,
		Connectors: a.Connectors,
		PackageDir: a.packageDir(),
		SecretKey:  a.Config.SecretKey,
		DPOEmail:   a.Config.DPOEmail,
		Mailer:     a.Mailer,
		Recipients: a.recipients,
		Retention:  a.Config.Retention,
	}
	return nil
}

// buildWebhooks makes the deliverer of webhooks and OpenDSR status callbacks (and the
// keys that seal the webhooks' secrets, and the OpenDSR processor's signing identity), and
// has every change that queues deliveries start them once committed.
func (a *App) buildWebhooks(context.Context) error {
	keys, err := seal.New(a.Config.SecretKey)
	if err != nil {
		return err
	}
	a.Keys = keys
	if a.OpenDSRSigner, err = a.Config.OpenDSRSigner(a.Log); err != nil {
		return err
	}
	w := a.Config.Webhooks
	a.WebhookGuard = &webhooks.Guard{Allow: w.AllowNets}
	var roots *x509.CertPool
	if w.CAFile != "" {
		pem, err := os.ReadFile(w.CAFile)
		if err != nil {
			return fmt.Errorf("DSR_WEBHOOK_CA_FILE: %w", err)
		}
		if roots, err = webhooks.RootsWith(pem); err != nil {
			return fmt.Errorf("DSR_WEBHOOK_CA_FILE %s: %w", w.CAFile, err)
		}
	}
	a.Activities.Webhooks = &webhooks.Deliverer{
		Store:     a.Store,
		Secrets:   webhooks.Secrets{Keys: keys},
		Callbacks: &opendsr.Callbacks{Store: a.Store, Signer: a.OpenDSRSigner, PublicURL: a.Config.PublicURL},
		Guard:     a.WebhookGuard,
		Policy:    w.Policy(),
		Client:    a.WebhookGuard.Client(w.Timeout, roots),
	}
	a.Store.OnDeliveriesQueued(a.Dispatch.StartDeliveries)
	return nil
}

// mailroomInput configures the mailroom workflow.
func mailroomInput(cfg Config) workflows.MailroomInput {
	return workflows.MailroomInput{Every: cfg.MailEvery}
}

// buildMailroom builds the mailroom when IMAP_URL is set: it makes requests for the tenants
// whose chat store holds a subject, and starts and decides their workflows through
// dispatch.
func (a *App) buildMailroom(context.Context) error {
	if a.Config.IMAPURL == "" {
		return nil
	}
	keys := a.Keys
	cls := &classify.Classifier{}
	if addr, err := mail.ParseAddress(a.Config.MailFrom); err == nil {
		cls.OwnAddresses = append(cls.OwnAddresses, strings.ToLower(addr.Address))
		if at := strings.LastIndexByte(addr.Address, '@'); at > 0 {
			cls.OwnDomains = append(cls.OwnDomains, strings.ToLower(addr.Address[at+1:]))
		}
	}
	a.Room = &ingest.Room{
		Store:      a.Store,
		Keys:       keys,
		Classifier: cls,
		MailboxURL: a.Config.IMAPURL,
		Holders:    a.ChatStore.HoldersOf,
		Start:      a.Dispatch.Start,
		Decide: func(ctx context.Context, requestID, update string, actor domain.Actor, reason string) error {
			_, err := a.Dispatch.Decide(ctx, requestID, update, workflows.Decision{Actor: actor, Reason: reason})
			return err
		},
		Vendors:   a.vendors,
		Mailer:    a.Mailer,
		PublicURL: a.Config.PublicURL,
		Log:       a.Log.With(slog.String("component", "mailroom")),

		DuplicateWindow: a.Config.MailDuplicateWindow,
	}
	a.Activities.Mailroom = a.Room
	return nil
}

// buildSSO builds the dashboard's single sign-on when DSR_OIDC_ISSUER is set (nil
// otherwise). The provider is not called yet: Serve discovers it, and a provider that is
// down then is discovered at a later sign-in.
func (a *App) buildSSO() (*dashboard.SSO, error) {
	o := a.Config.OIDC
	if !o.Enabled() {
		return nil, nil
	}
	roles, err := auth.ParseRoleMap(o.Roles)
	if err != nil {
		return nil, fmt.Errorf("DSR_OIDC_ROLES: %w", err)
	}
	if a.Keys == nil {
		return nil, errors.New("single sign-on needs DSR_SECRET_KEY: it seals the sign-in cookie")
	}
	a.OIDC, err = auth.NewOIDC(auth.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		RedirectURL: o.RedirectURL(a.Config.PublicURL), Scopes: o.Scopes, RoleClaim: o.RoleClaim, Roles: roles},
		a.Log.With(slog.String("component", "sso")))
	if err != nil {
		return nil, err
	}
	return &dashboard.SSO{OIDC: a.OIDC, Name: o.Name, Keys: a.Keys}, nil
}

// buildHTTP builds the HTTP surface: the API, the dashboard, the subjects' pages when a
// mailbox is configured, the OpenDSR processor API, the probes and the metrics.
func (a *App) buildHTTP(context.Context) error {
	sso, err := a.buildSSO()
	if err != nil {
		return err
	}
	dash, err := dashboard.New(dashboard.Config{Store: a.Store, Users: auth.New(a.Store).WithKeys(a.Keys), Dispatch: a.Dispatch, Accounts: a.ChatStore,
		PackageDir: a.packageDir(), Log: a.Log, MailboxConfigured: a.Room != nil, SecureCookies: a.Config.SecureCookies,
		Webhooks: &dashboard.Webhooks{Guard: a.WebhookGuard, Secrets: webhooks.Secrets{Keys: a.Keys}, Overlap: a.Config.Webhooks.SecretOverlap},
		SSO:      sso, LocalPasswordsOff: !a.Config.LocalPasswords})
	if err != nil {
		return err
	}
	v1 := &api.API{Store: a.Store, Dispatch: a.Dispatch, PackageDir: a.packageDir(), Log: a.Log,
		Webhooks: &api.Webhooks{Store: a.Store, Dispatch: a.Dispatch, Secrets: webhooks.Secrets{Keys: a.Keys},
			Guard: a.WebhookGuard, Overlap: a.Config.Webhooks.SecretOverlap, Log: a.Log},
		RefuseDuplicates: a.Config.Duplicates}
	a.OpenDSR = &opendsr.Handler{API: v1, Store: a.Store, Dispatch: a.Dispatch, Identities: a.ChatStore, Signer: a.OpenDSRSigner,
		PublicURL: a.Config.PublicURL, AllowLoopbackCallbacks: a.Config.OpenDSRLoopbackCallbacks, Log: a.Log}
	opts := server.Options{
		TrustedProxies: a.Config.TrustedProxies,
		API:            v1,
		OpenDSR:        a.OpenDSR,
		Log:            a.Log,
		Ready: []server.Check{
			{Name: "database", Fn: a.Migrated},
			{Name: "temporal", Fn: a.Dispatch.Healthy},
			{Name: "worker", Fn: func(ctx context.Context) error { return a.Dispatch.Polled(ctx, a.Config.TemporalNamespace) }},
		},
		Dashboard: dash,
	}
	if a.Room != nil {
		opts.Subject = &subject.Pages{Room: a.Room, Keys: a.Keys, PackageDir: a.packageDir(), Log: a.Log, Poke: a.Dispatch.Poke,
			SecureCookies: a.Config.SecureCookies}
	}
	a.Handler = server.New(opts)
	return nil
}
