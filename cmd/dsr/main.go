// Command dsr is the data-subject-request orchestrator: `dsr serve` runs everything in one
// process; the other subcommands manage tenants, the schema and demo data.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"dsr/internal/app"
	"dsr/internal/deadline"
	"dsr/internal/demo"
	"dsr/internal/domain"
	"dsr/internal/store"
	"dsr/internal/tenants"
)

const usage = `dsr: GDPR data-subject-request orchestrator

Usage:
  dsr serve                      API + worker (+ embedded Temporal unless TEMPORAL_ADDRESS is set)
  dsr worker                     worker only, against TEMPORAL_ADDRESS
  dsr migrate                    apply the schema to DATABASE_URL and CHATSTORE_URL
  dsr tenant create --name N [--region eu] [--country FR] [--tz Europe/Paris] [--target-days 4]
                                 prints {"id","api_key"}: the tenant's first (admin) key, shown once
  dsr tenant list                tenants as a JSON array
  dsr tenant keys list --tenant ID
                                 the tenant's API keys as a JSON array (never their secrets)
  dsr tenant keys create --tenant ID --name N [--scopes requests,admin]
                                 a new key (default scope: requests); prints {"id","api_key",...} once
  dsr tenant keys revoke --tenant ID --key KEY_ID
                                 refused from now on, on every replica (--id is the same as --key)
  dsr demo seed --tenant ID [--end-users N] [--messages M]
                                 fills the chat store with synthetic data; progress on standard error
  dsr demo subjects --tenant ID  the demo's well-known subjects and what each shows, as JSON
  dsr sla due --received RFC3339 --country CC --tz ZONE [--target-days 4]
  dsr report sla --from DATE --to DATE [--format pdf|csv] [-o FILE] [--tenant ID]
  dsr audit verify                 checks the audit chain; non-zero exit on tampering
  dsr retention run [--dry-run]  pseudonymises what dsr keeps of closed requests past retention
                                 (DSR_RETENTION); --dry-run prints the counts per table, changes nothing
  dsr backups add --id ID --taken-at RFC3339 --expires-at RFC3339 --region eu [--kind full]
                                 records a backup in the catalog
  dsr backups list               the backup catalog as a JSON array
  dsr backups replay --since RFC3339
                                 re-applies erasure/restriction tombstones after a restore
  dsr inbox classify [--explain] [--max-bytes N] FILE.eml   classify a privacy-inbox mail ("-" reads stdin)
  dsr request override --id ID --reason TEXT [--actor NAME]
                                 a DPO lets a blocked erasure go ahead
  dsr user create --email E --role viewer|dpo|admin --password-file F
                                 a dashboard user ("-" reads the password from standard input)
  dsr subprocessors list         the sub-processor registry (DSR_SUBPROCESSORS_FILE) as a JSON array
  dsr subprocessors done --request ID --name N [--actor A]
                                 a DPO confirms a sub-processor's manual task
  dsr temporal setup             the namespace at TEMPORAL_ADDRESS: created or its retention set
                                 (DSR_TEMPORAL_RETENTION), search attributes added; idempotent; prints JSON

Environment: DATABASE_URL, CHATSTORE_URL, TEMPORAL_ADDRESS, DSR_DATA_DIR, HTTP_ADDR,
DSR_TEMPORAL_PORT, DSR_TEMPORAL_TLS, DSR_TEMPORAL_CA_FILE, DSR_TEMPORAL_CERT_FILE, DSR_TEMPORAL_KEY_FILE,
DSR_TEMPORAL_SERVER_NAME, DSR_TEMPORAL_API_KEY (or _FILE), DSR_TEMPORAL_RETENTION, DSR_SECRET_KEY
(or DSR_SECRET_KEY_FILE), DSR_RETENTION, DSR_LOG_LEVEL. See README.md.
`

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dsr:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError says a command was called wrongly (exit status 2): what was wrong, then where
// to read how to call it, or, with full, the whole usage.
type usageError struct {
	msg  string
	full bool
}

func (e usageError) Error() string {
	if e.full {
		return e.msg + "\n\n" + usage
	}
	return e.msg + "\n(dsr COMMAND --help shows a command's flags; dsr help lists the commands)"
}

// helpShown is returned when a command printed its help on request: not a failure.
type helpShown struct{ text string }

func (h helpShown) Error() string { return h.text }

func run(args []string, out io.Writer) error {
	err := runCommand(args, out)
	var h helpShown
	if errors.As(err, &h) {
		_, err = fmt.Fprint(out, h.text)
	}
	return err
}

func runCommand(args []string, out io.Writer) error {
	if len(args) == 0 {
		return usageError{msg: "no command given", full: true}
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(out, usage)
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		cmd += " " + rest[0]
		rest = rest[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, app.ModeAll)
	case "worker":
		return serve(ctx, rest, app.ModeWorker)
	case "migrate":
		return migrate(ctx, rest, out)
	case "tenant create":
		return tenantCreate(ctx, rest, out)
	case "tenant list":
		return tenantList(ctx, rest, out)
	case "tenant keys":
		return tenantKeys(ctx, rest, out)
	case "demo seed":
		return demoSeed(ctx, rest, out)
	case "demo subjects":
		return demoSubjects(ctx, rest, out)
	case "sla due":
		return slaDue(rest, out)
	case "request override":
		return requestOverride(ctx, rest, out)
	case "report sla":
		return reportSLA(ctx, rest, out)
	case "audit verify":
		return auditVerify(ctx, rest, out)
	case "retention run":
		return retentionRun(ctx, rest, out)
	case "backups add":
		return backupsAdd(ctx, rest, out)
	case "backups list":
		return backupsList(ctx, rest, out)
	case "backups replay":
		return backupsReplay(ctx, rest, out)
	case "inbox classify":
		return inboxClassify(rest, out)
	case "user create":
		return userCreate(ctx, rest, out)
	case "subprocessors list":
		return subprocessorsList(rest, out)
	case "subprocessors done":
		return subprocessorsDone(ctx, rest, out)
	case "temporal setup":
		return temporalSetup(ctx, rest, out)
	}
	return usageError{msg: fmt.Sprintf("unknown command %q", cmd), full: true}
}

// parse parses a command's flags; the command takes no other arguments.
func parse(fs *flag.FlagSet, args []string) error {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{msg: fmt.Sprintf("%s: unexpected argument %q", fs.Name(), pos[0])}
	}
	return nil
}

// parseArgs parses a command's flags wherever they are among its other arguments
// (`inbox classify FILE --explain` as well as `inbox classify --explain FILE`; after "--"
// everything is an argument) and returns those other arguments. -h or --help returns
// helpShown with the command's usage and flags.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, helpShown{commandHelp(fs)}
		}
		if err != nil {
			return nil, usageError{msg: fmt.Sprintf("%s: %v", fs.Name(), err)}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// commandHelp is a command's lines of the usage, then its flags.
func commandHelp(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("Usage:\n")
	lines := strings.Split(usage, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "  dsr "+fs.Name()) {
			continue
		}
		b.WriteString(l + "\n")
		for _, more := range lines[i+1:] { // continuation lines are indented further
			if !strings.HasPrefix(more, "    ") {
				break
			}
			b.WriteString(more + "\n")
		}
	}
	b.WriteString("\nFlags:\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return b.String()
}

func migrate(ctx context.Context, args []string, out io.Writer) error {
	if err := parse(flag.NewFlagSet("migrate", flag.ContinueOnError), args); err != nil {
		return err
	}
	b, err := openBase(ctx, false)
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintln(out, "schema is up to date")
	return nil
}

func tenantCreate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenant create", flag.ContinueOnError)
	name := fs.String("name", "", "tenant (controller) name")
	region := fs.String("region", "eu", "data region: eu, us or apac")
	country := fs.String("country", "", "country whose public holidays count (ISO 3166 alpha-2; default FR in the eu region)")
	tz := fs.String("tz", "", "IANA time zone of the tenant (default Europe/Paris in the eu region)")
	target := fs.Int("target-days", deadline.DefaultTargetDays, "working days to the target")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch r := domain.Region(*region); {
	case !r.Valid():
		return usageError{msg: fmt.Sprintf("tenant create: --region %q must be one of %s", *region, domain.JoinNames(domain.Regions))}
	case r == domain.RegionEU:
		if *country == "" {
			*country = "FR"
		}
		if *tz == "" {
			*tz = "Europe/Paris"
		}
	case *country == "" || *tz == "":
		// Outside the eu region a default would be a silent guess at the tenant's clocks.
		return usageError{msg: fmt.Sprintf("tenant create: --region %s needs --country and --tz (the tenant's public holidays and time zone), "+
			"e.g. --country US --tz America/New_York", r)}
	}
	nt := tenants.Tenant{Name: *name, Region: domain.Region(*region), Country: *country, TZ: *tz, TargetDays: *target}
	if strings.TrimSpace(*name) == "" {
		return usageError{msg: "tenant create: --name is required"}
	}
	if err := nt.Validate(); err != nil {
		return usageError{msg: "tenant create: " + err.Error()}
	}
	b, err := openBase(ctx, false)
	if err != nil {
		return err
	}
	defer b.Close()
	t, key, err := tenants.Create(ctx, b.Store, b.ChatStore, nt)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(map[string]string{"id": t.ID, "api_key": key})
}

func demoSeed(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo seed", flag.ContinueOnError)
	tenantID := idFlag(fs, "tenant", "tenant id (from dsr tenant create)")
	users := fs.Int("end-users", demo.DefaultEndUsers, "number of end-users")
	messages := fs.Int("messages", demo.DefaultMessages, "number of messages")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *tenantID == "" {
		return usageError{msg: "demo seed: --tenant is required"}
	}
	b, err := openBase(ctx, false)
	if err != nil {
		return err
	}
	defer b.Close()
	start := time.Now()
	fmt.Fprintf(os.Stderr, "demo seed: %d end-users, %d messages, in one transaction\n", *users, *messages)
	stats, err := b.SeedDemo(ctx, *tenantID, *users, *messages, func(table string, rows int64) {
		fmt.Fprintf(os.Stderr, "demo seed: %s: %d rows (%s)\n", table, rows, time.Since(start).Round(time.Millisecond))
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("demo seed: no tenant %s (create one with dsr tenant create)", *tenantID)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(stats)
}

func slaDue(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sla due", flag.ContinueOnError)
	received := fs.String("received", "", "instant of receipt, RFC 3339")
	country := fs.String("country", "", "country (ISO 3166 alpha-2)")
	tz := fs.String("tz", "", "IANA time zone")
	target := fs.Int("target-days", deadline.DefaultTargetDays, "working days to the target")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *received == "" || *country == "" || *tz == "" {
		return usageError{msg: "sla due: --received, --country and --tz are required"}
	}
	at, err := time.Parse(time.RFC3339, *received)
	if err != nil {
		return usageError{msg: fmt.Sprintf("sla due: --received %q is not RFC 3339 (e.g. 2026-11-30T10:00:00Z)", *received)}
	}
	due, err := deadline.Compute(at, deadline.Policy{Country: *country, TZ: *tz, TargetDays: *target})
	if err != nil {
		return err
	}
	b, err := due.JSON()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", b)
	return err
}

// demoSubjects prints the well-known subjects of a tenant seeded with the demo data.
func demoSubjects(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo subjects", flag.ContinueOnError)
	tenantID := idFlag(fs, "tenant", "tenant id (from dsr tenant create)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *tenantID == "" {
		return usageError{msg: "demo subjects: --tenant is required"}
	}
	b, err := openBase(ctx, true)
	if err != nil {
		return err
	}
	defer b.Close()
	t, err := b.Store.GetTenant(ctx, *tenantID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("demo subjects: no tenant %s (see dsr tenant list)", *tenantID)
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(demo.Subjects(t.Name))
}

// idValue is a flag holding an id (a UUID), checked as it is parsed: a mistyped id is a
// usage error, not a database error.
type idValue struct{ s string }

func (v *idValue) String() string {
	if v == nil {
		return ""
	}
	return v.s
}

func (v *idValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if _, err := uuid.Parse(s); err != nil {
		return errors.New("not an id: ids look like 0193f6a2-7c1e-7b3d-9a4f-2c5e8d1b6a70")
	}
	v.s = s
	return nil
}

// idFlag defines a flag holding an id on fs.
func idFlag(fs *flag.FlagSet, name, usage string) *string {
	v := &idValue{}
	fs.Var(v, name, usage)
	return &v.s
}
