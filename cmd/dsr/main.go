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

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + "\n\n" + usage }

func run(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
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
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
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
	country := fs.String("country", "FR", "country whose public holidays count (ISO 3166 alpha-2)")
	tz := fs.String("tz", "Europe/Paris", "IANA time zone of the tenant")
	target := fs.Int("target-days", deadline.DefaultTargetDays, "working days to the target")
	if err := parse(fs, args); err != nil {
		return err
	}
	nt := tenants.Tenant{Name: *name, Region: domain.Region(*region), Country: *country, TZ: *tz, TargetDays: *target}
	if strings.TrimSpace(*name) == "" {
		return usageError{"tenant create: --name is required"}
	}
	if err := nt.Validate(); err != nil {
		return usageError{"tenant create: " + err.Error()}
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
	tenantID := fs.String("tenant", "", "tenant id (from dsr tenant create)")
	users := fs.Int("end-users", demo.DefaultEndUsers, "number of end-users")
	messages := fs.Int("messages", demo.DefaultMessages, "number of messages")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *tenantID == "" {
		return usageError{"demo seed: --tenant is required"}
	}
	b, err := openBase(ctx, false)
	if err != nil {
		return err
	}
	defer b.Close()
	stats, err := b.SeedDemo(ctx, *tenantID, *users, *messages)
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
		return usageError{"sla due: --received, --country and --tz are required"}
	}
	at, err := time.Parse(time.RFC3339, *received)
	if err != nil {
		return usageError{fmt.Sprintf("sla due: --received %q is not RFC 3339 (e.g. 2026-11-30T10:00:00Z)", *received)}
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
