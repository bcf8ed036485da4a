// Package testkit holds what the tests of every package share: where the repository and
// the shared fixtures are. Its subpackages run real servers for tests: PostgreSQL schemas
// (pgtest), an IMAP server in memory (imaptest) or Dovecot (dovecot), an SMTP sink
// (smtptest), fake sub-processor APIs (fakevendor), the official Temporal server on
// PostgreSQL with TLS (temporalserver) and a complete dsr (testenv); oapitest validates
// HTTP calls against the API's OpenAPI document.
package testkit

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot is the directory that holds go.mod, found upwards from the test's directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test directory")
		}
		dir = parent
	}
}

// Path is a path inside the repository.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{RepoRoot(t)}, elem...)...)
}

// Shared is a path inside the shared folder that sits beside the repository (its
// fixtures: the labelled mail corpus, the deadline vectors).
func Shared(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{RepoRoot(t), "..", "shared"}, elem...)...)
}
