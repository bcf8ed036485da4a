package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"dsr/internal/mail/classify"
)

// inboxClassify classifies one mail of the privacy inbox: dsr inbox classify [--explain]
// [--max-bytes N] FILE.eml ("-" reads standard input). It prints the contract JSON
// {"is_request","types","subject_email","language"}; --explain adds the kind, the request
// reference of a reply, the confidence and the reasons.
func inboxClassify(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("inbox classify", flag.ContinueOnError)
	explain := fs.Bool("explain", false, "also print kind, reference, confidence and reasons")
	limit := fs.Int64("max-bytes", classify.DefaultLimit, "largest message accepted, in bytes")
	files, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usageError{msg: "inbox classify: want exactly one FILE.eml (or - for standard input)"}
	}
	if *limit <= 0 {
		return usageError{msg: fmt.Sprintf("inbox classify: --max-bytes %d must be positive", *limit)}
	}
	name := files[0]
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("inbox classify: %w", err)
		}
		defer f.Close()
		r = f
	}
	m, err := classify.Parse(r, *limit)
	switch {
	case errors.Is(err, classify.ErrMalformed):
		return fmt.Errorf("inbox classify: %s is not a readable mail message: %w", name, err)
	case errors.Is(err, classify.ErrTooLarge):
		return fmt.Errorf("inbox classify: %s is larger than --max-bytes %d: %w", name, *limit, err)
	case err != nil:
		return fmt.Errorf("inbox classify: read %s: %w", name, err)
	}
	c := classify.Classify(m)
	enc := json.NewEncoder(out)
	if !*explain {
		return enc.Encode(c.Verdict())
	}
	v := c.Verdict()
	return enc.Encode(struct {
		classify.Verdict
		Kind       string   `json:"kind"`
		Reference  string   `json:"reference"`
		Confidence float64  `json:"confidence"`
		Reasons    []string `json:"reasons"`
	}{v, c.Kind, c.Reference, c.Confidence, c.Reasons})
}
