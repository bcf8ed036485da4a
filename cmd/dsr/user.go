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

	"dsr/internal/auth"
	"dsr/internal/domain"
)

// userCreate adds a dashboard user: dsr user create --email E --role viewer|dpo|admin
// --password-file F ("-" reads standard input). The password never goes on the command
// line, where other users of the machine could see it.
func userCreate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	email := fs.String("email", "", "the user's email, their sign-in name")
	role := fs.String("role", "", "viewer (reads), dpo (also acts on requests) or admin (also manages users and tenants)")
	passwordFile := fs.String("password-file", "", `file holding the password (one line), or "-" for standard input`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *email == "" || *role == "" || *passwordFile == "" {
		return usageError{msg: "user create: --email, --role and --password-file are required"}
	}
	if !domain.Role(*role).Valid() {
		return usageError{msg: fmt.Sprintf("user create: --role %q must be one of %s", *role, domain.JoinNames(domain.Roles))}
	}
	var raw []byte
	var err error
	if *passwordFile == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, 4096))
	} else {
		raw, err = os.ReadFile(*passwordFile)
	}
	if err != nil {
		return fmt.Errorf("user create: read the password: %w", err)
	}
	password := strings.TrimRight(string(raw), "\r\n")
	b, err := openBase(ctx, true)
	if err != nil {
		return err
	}
	defer b.Close()
	u, err := auth.New(b.Store).Create(ctx, auth.NewUser{Email: *email, Role: domain.Role(*role), Password: password, CreatedBy: "cli"})
	if errors.Is(err, auth.ErrInvalid) {
		return usageError{msg: "user create: " + strings.TrimPrefix(err.Error(), auth.ErrInvalid.Error()+": ")}
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(map[string]string{"id": u.ID, "email": u.Email, "role": string(u.Role)})
}
