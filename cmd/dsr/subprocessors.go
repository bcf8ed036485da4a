package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"dsr/connectors"
	"dsr/connectors/subprocessor"
	"dsr/internal/domain"
	"dsr/internal/mail/smtp"
	"dsr/internal/store"
)

// subprocessorsList prints the sub-processor registry as a JSON array.
func subprocessorsList(args []string, out io.Writer) error {
	if err := parse(flag.NewFlagSet("subprocessors list", flag.ContinueOnError), args); err != nil {
		return err
	}
	es, err := subprocessor.Load(os.Getenv("DSR_SUBPROCESSORS_FILE"))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(es)
}

// subprocessorsDone marks a sub-processor's manual task on a request done: a DPO's word
// that the vendor confirmed by other means.
func subprocessorsDone(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("subprocessors done", flag.ContinueOnError)
	id := fs.String("request", "", "request id")
	name := fs.String("name", "", "sub-processor name, as in the registry")
	actor := fs.String("actor", "dpo", "who confirms, for the record")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *name == "" {
		return usageError{"subprocessors done: --request and --name are required"}
	}
	orch, _, closeDBs, err := openDatabases(ctx)
	if err != nil {
		return err
	}
	defer closeDBs()
	st := store.New(orch)
	if _, err := st.Task(ctx, *id, *name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("request %s has no task at %q", *id, *name)
		}
		return err
	}
	// Recorded with the mark, whenever this DPO closed the task (now or in an earlier run,
	// which its key keeps once).
	by := domain.DPOActor(*actor)
	done, err := st.CloseTask(ctx, *id, *name, by, func(_ bool, doneBy domain.Actor) *domain.Change {
		if doneBy != by {
			return nil
		}
		return &domain.Change{RequestID: *id, DedupeKey: "task-done:" + *name, Kind: domain.EventRecipientConfirmed,
			Actor: by, Message: *name + " marked done by a DPO"}
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(map[string]any{"request": *id, "name": *name, "done": true, "changed": done})
}

// subprocessorSet is the registry turned into what a process needs.
type subprocessorSet struct {
	connectors []connectors.Connector
	// recipients describe them for access packages (Art. 15(1)(c)).
	recipients []string
	// vendors maps the privacy contacts of those reached by mail to their names.
	vendors map[string]string
}

// loadSubprocessors reads the registry (DSR_SUBPROCESSORS_FILE, or the embedded one) and
// builds a connector per sub-processor.
func loadSubprocessors(st *store.Store, m *smtp.Mailer, dpo string) (subprocessorSet, error) {
	var set subprocessorSet
	es, err := subprocessor.Load(os.Getenv("DSR_SUBPROCESSORS_FILE"))
	if err != nil {
		return set, err
	}
	set.vendors = map[string]string{}
	mail := func(e subprocessor.Entry) (connectors.Connector, error) {
		if m == nil {
			return nil, errors.New("it is reached by mail, which needs SMTP_URL")
		}
		set.vendors[strings.ToLower(e.Connector.Contact)] = e.Name
		return &subprocessor.Manual{Entry: e, Store: st, Mailer: m, DPOEmail: dpo}, nil
	}
	if set.connectors, err = subprocessor.Connectors(es, requiredSecret, st.Receipts(), mail); err != nil {
		return set, err
	}
	for _, e := range es {
		set.recipients = append(set.recipients, e.Describe())
	}
	return set, nil
}

// requiredSecret reads a secret from the environment (or its *_FILE variant) and fails when
// it is not set.
func requiredSecret(name string) (string, error) {
	v, err := secret(name)
	if err == nil && v == "" {
		err = fmt.Errorf("%s (or %s_FILE) is not set", name, name)
	}
	return v, err
}
