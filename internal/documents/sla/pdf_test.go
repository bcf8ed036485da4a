package sla_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/deadline"
	"dsr/internal/documents/sla"
	"dsr/internal/store"
)

// pdfText renders r as a PDF and reads it back with pdftotext -layout (Debian's
// poppler-utils).
func pdfText(t *testing.T, r *sla.Report) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	var buf bytes.Buffer
	require.NoError(t, r.PDF(&buf))
	require.True(t, bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")))
	path := filepath.Join(t.TempDir(), "sla.pdf")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", path, "-").CombinedOutput()
	require.NoError(t, err, "pdftotext: %s", out)
	return string(out)
}

// requireLine asserts that some line of text matches the words, in order, separated by
// any spaces.
func requireLine(t *testing.T, text string, words ...string) {
	t.Helper()
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = regexp.QuoteMeta(w)
	}
	re := regexp.MustCompile(`(?m)^\s*` + strings.Join(quoted, `\s+`) + `(\s|$)`)
	require.Regexp(t, re, text)
}

func TestPDF(t *testing.T) {
	t.Parallel()
	db := setup(t)
	tests := []struct {
		name   string
		tenant string
		lines  [][]string
		absent []string
	}{
		{
			name: "all tenants",
			lines: [][]string{
				{"SLA report"},
				{"Period: 2026-04-01 to 2026-04-30 (UTC dates, both included)"},
				{"Tenant: All tenants"},
				{"Right", "Received", "Closed", "Median days", "P90 days", "On time (target)", "On time (legal)"},
				{"access", "2", "3", "3.0", "28", "66.7% (2/3)", "100.0% (3/3)"},
				{"rectification", "1", "1", "5.0", "5", "0.0% (0/1)", "100.0% (1/1)"},
				{"erasure", "3", "1", "7.0", "7", "0.0% (0/1)", "100.0% (1/1)"},
				{"restriction", "0", "1", "22.0", "22", "0.0% (0/1)", "0.0% (0/1)"},
				{"portability", "1", "1", "3.0", "3", "100.0% (1/1)", "100.0% (1/1)"},
				{"objection", "1", "1", "1.0", "1", "100.0% (1/1)", "100.0% (1/1)"},
				{"All rights", "8", "8", "4.0", "28", "50.0% (4/8)", "87.5% (7/8)"},
				{"Breaches (target missed): 5"},
				{"Extensions (Art. 12(3)): 1"},
				{"Open requests at risk as of 2026-05-04 09:00 UTC: 2"},
				{"Requests closed per week: on time and late against the target"},
				{"On time (closed on or before the target)", "Late (closed after the target)"},
				{"Week starting Monday (UTC date of closing)"},
				{"Breaches"},
				{"Request", "Right", "Target", "Closed", "Tenant", "Reason"},
				{id("R12"), "restriction", "2026-03-12", "2026-04-08", "Boulangerie Dupont", "Processor did not answer"},
				{"Legal deadline also missed."},
				{id("R3"), "access", "2026-03-16", "2026-04-20", "Boulangerie Dupont", "Identity documents incomplete"},
				{id("R2"), "erasure", "2026-04-13", "2026-04-16", "Boulangerie Dupont", "Waiting for the CRM export"},
				{id("R7"), "rectification", "2026-04-23", "2026-04-24", "Nordlicht GmbH", "(no reason recorded)"},
				{id("R4"), "erasure", "2026-04-24", "open", "Boulangerie Dupont", "Blocked by a support chat"},
				{"Definitions."},
			},
			absent: []string{sla.EmptyMessage, id("R9"), id("R10"), id("R11")},
		},
		{
			name:   "one tenant",
			tenant: tenantFR,
			lines: [][]string{
				{"Tenant: Boulangerie Dupont (" + tenantFR + ")"},
				{"access", "1", "2", "15.5", "28", "50.0% (1/2)", "100.0% (2/2)"},
				{"portability", "0", "0", "-", "-", "-", "-"},
				{"All rights", "3", "4", "14.5", "28", "25.0% (1/4)", "75.0% (3/4)"},
				{"Breaches (target missed): 4"},
				{"Open requests at risk as of 2026-05-04 09:00 UTC: 1"},
				{"Request", "Right", "Target", "Closed", "Reason"},
				{id("R4"), "erasure", "2026-04-24", "open", "Blocked by a support chat"},
			},
			absent: []string{"Nordlicht", id("R7"), "Tenant   "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := sla.SLA(ctx, store.New(db), sla.Options{From: from, To: to, TenantID: tt.tenant, Now: now})
			require.NoError(t, err)
			text := pdfText(t, r)
			for _, l := range tt.lines {
				requireLine(t, text, l...)
			}
			for _, s := range tt.absent {
				require.NotContains(t, text, s)
			}
		})
	}
}

func TestPDFEmptyPeriod(t *testing.T) {
	t.Parallel()
	db := setup(t)
	r, err := sla.SLA(ctx, store.New(db), sla.Options{
		From: deadline.NewDate(2025, time.January, 1), To: deadline.NewDate(2025, time.January, 31), TenantID: tenantDE, Now: now})
	require.NoError(t, err)
	text := pdfText(t, r)
	for _, l := range []string{
		"Period: 2025-01-01 to 2025-01-31 (UTC dates, both included)",
		"Tenant: Nordlicht GmbH (" + tenantDE + ")",
		sla.EmptyMessage,
		"Summary",
		"Requests closed per week: on time and late against the target",
		"Breaches",
		"No request of the period breached its target.",
		"Breaches (target missed): 0",
		"Open requests at risk as of 2026-05-04 09:00 UTC: 0",
		"Definitions.",
	} {
		requireLine(t, text, l)
	}
	requireLine(t, text, "All rights", "0", "0", "-", "-", "-", "-")
}

// TestPDFManyBreaches makes the breaches table run over several pages and the chart cover
// three years of weeks.
func TestPDFManyBreaches(t *testing.T) {
	t.Parallel()
	db := setup(t)
	_, err := db.ExecContext(ctx, `
		INSERT INTO requests (id, tenant_id, type, status, source, subject_email, received_at,
			clock_started_at, target_due, legal_due, extended_due, completed_at, target_breached_at, breach_reason)
		SELECT gen_random_uuid(), $1, 'access', 'completed', 'api', 'subject@example.com',
			timestamptz '2024-01-02 10:00Z' + n * interval '1 day', timestamptz '2024-01-02 10:00Z' + n * interval '1 day',
			date '2024-01-08' + n, date '2024-02-02' + n, date '2024-04-02' + n,
			timestamptz '2024-01-20 10:00Z' + n * interval '1 day', timestamptz '2024-01-08 23:00Z' + n * interval '1 day',
			'A long reason that needs to wrap over more than one line of the table, number ' || n
		FROM generate_series(0, 119) AS n`, tenantFR)
	require.NoError(t, err)
	r, err := sla.SLA(ctx, store.New(db), sla.Options{
		From: deadline.NewDate(2023, time.June, 1), To: deadline.NewDate(2026, time.May, 31), TenantID: tenantFR, Now: now})
	require.NoError(t, err)
	require.Len(t, r.Breaches, 120+4)
	require.Greater(t, len(r.Weeks), 150)
	text := pdfText(t, r)
	require.Contains(t, text, "number 0")
	require.Contains(t, text, "number 119")
	require.Greater(t, strings.Count(text, "\f"), 3, "several pages")
	requireLine(t, text, "Breaches (target missed): 124")
}
