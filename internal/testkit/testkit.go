// Package testkit holds what the tests of every package share: where the repository and
// the shared fixtures are. Its subpackages run real servers for tests: PostgreSQL schemas
// (pgtest), an IMAP server in memory (imaptest) or Dovecot (dovecot), an SMTP sink
// (smtptest), fake sub-processor APIs (fakevendor), the official Temporal server on
// PostgreSQL with TLS (temporalserver) and a complete dsr (testenv); oapitest validates
// HTTP calls against the API's OpenAPI document.
package testkit

import (
	"os"
	"os/exec"
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

// PDFText is the text of a PDF as pdftotext (poppler-utils) lays it out; the test is
// skipped where pdftotext is not installed.
func PDFText(t testing.TB, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skipf("pdftotext (poppler-utils) is not installed: %v", err)
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatalf("write the PDF: %v", err)
	}
	out, err := exec.Command(bin, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
