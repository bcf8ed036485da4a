package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"dsr/connectors/subprocessor"
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
	id := idFlag(fs, "request", "request id")
	name := fs.String("name", "", "sub-processor name, as in the registry")
	actor := fs.String("actor", "dpo", "who confirms, for the record")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *name == "" {
		return usageError{msg: "subprocessors done: --request and --name are required"}
	}
	b, err := openBase(ctx, true)
	if err != nil {
		return err
	}
	defer b.Close()
	done, err := subprocessor.ConfirmByDPO(ctx, b.Store, *id, *name, *actor)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("request %s has no task at %q", *id, *name)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(map[string]any{"request": *id, "name": *name, "done": true, "changed": done})
}
