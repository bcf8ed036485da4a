package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// backupsAdd puts a backup into the catalog: dsr backups add --id ID --taken-at RFC3339
// --expires-at RFC3339 --region eu [--kind full]. It prints the entry as stored.
func backupsAdd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("backups add", flag.ContinueOnError)
	id := fs.String("id", "", "the backup's id in the backup system")
	taken := fs.String("taken-at", "", "when the backup was taken, RFC 3339")
	expires := fs.String("expires-at", "", "when the backup expires (is deleted), RFC 3339")
	region := fs.String("region", "", "the region whose chat store it copies: "+domain.JoinNames(domain.Regions))
	kind := fs.String("kind", "full", "kind of backup: "+strings.Join(store.BackupKinds, ", "))
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *taken == "" || *expires == "" || *region == "" {
		return usageError{msg: "backups add: --id, --taken-at, --expires-at and --region are required"}
	}
	b := store.Backup{ID: *id, Region: domain.Region(*region), Kind: *kind}
	var err error
	if b.TakenAt, err = time.Parse(time.RFC3339, *taken); err != nil {
		return usageError{msg: fmt.Sprintf("backups add: --taken-at %q is not RFC 3339 (e.g. 2026-11-30T02:00:00Z)", *taken)}
	}
	if b.ExpiresAt, err = time.Parse(time.RFC3339, *expires); err != nil {
		return usageError{msg: fmt.Sprintf("backups add: --expires-at %q is not RFC 3339 (e.g. 2027-02-28T02:00:00Z)", *expires)}
	}
	if err := b.Validate(); err != nil {
		return usageError{msg: "backups add: " + strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	base, err := openBase(ctx, true)
	if err != nil {
		return err
	}
	defer base.Close()
	stored, err := base.Store.AddBackup(ctx, b)
	if errors.Is(err, store.ErrBackupConflict) {
		return fmt.Errorf("backups add: backup %s is already in the catalog with other values", b.ID)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(stored)
}

// backupsList prints the backup catalog as a JSON array, oldest first.
func backupsList(ctx context.Context, args []string, out io.Writer) error {
	if err := parse(flag.NewFlagSet("backups list", flag.ContinueOnError), args); err != nil {
		return err
	}
	base, err := openBase(ctx, true)
	if err != nil {
		return err
	}
	defer base.Close()
	list, err := base.Store.ListBackups(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(list)
}

// backupsReplay applies again, to the chat store at CHATSTORE_URL as it now is (after a
// restore), every erasure and restriction recorded after --since; with DSR_REGIONS, only
// those of tenants in these regions. It prints JSON {"tombstones", "reapplied",
// "already_applied", "not_found"}; a second run re-applies nothing. A tombstone and the
// chat store's change are written by activities running side by side, so --since should
// be a little before the restored backup was taken; any earlier instant is safe.
func backupsReplay(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("backups replay", flag.ContinueOnError)
	sinceFlag := fs.String("since", "", "replay what was recorded after this instant, RFC 3339: at the latest when the restored backup was taken; earlier is safe (a replay is idempotent)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *sinceFlag == "" {
		return usageError{msg: "backups replay: --since is required"}
	}
	since, err := time.Parse(time.RFC3339, *sinceFlag)
	if err != nil {
		return usageError{msg: fmt.Sprintf("backups replay: --since %q is not RFC 3339 (e.g. 2026-11-30T02:00:00Z)", *sinceFlag)}
	}
	b, err := openBase(ctx, false)
	if err != nil {
		return err
	}
	defer b.Close()
	key, err := b.InstallationKey(ctx)
	if err != nil {
		return fmt.Errorf("backups replay: %w", err)
	}
	// A replayed full erasure deletes the attachment files too, as the erasure did.
	res, err := b.Backups(key).Replay(ctx, b.ChatStore, since, b.Config.Regions)
	if err != nil {
		return fmt.Errorf("backups replay (so far %d re-applied, %d already applied, %d not found): %w",
			res.Reapplied, res.AlreadyApplied, res.NotFound, err)
	}
	return json.NewEncoder(out).Encode(res)
}
