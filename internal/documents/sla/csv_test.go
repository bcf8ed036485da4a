package sla_test

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/deadline"
	"dsr/internal/documents/sla"
	"dsr/internal/store"
)

// csvHeader is the CSV's header row.
var csvHeader = []string{
	"request_id", "tenant_id", "tenant_name", "type", "status", "source",
	"received_at", "clock_started_at", "clock_start_date",
	"target_due", "legal_due", "extended_due", "extended_at", "extension_reason", "paused_days",
	"closed", "completed_at", "closed_date", "business_days_to_close",
	"received_in_period", "closed_in_period", "on_time_target", "on_time_legal",
	"at_risk_at", "target_breached_at", "legal_breached_at", "breached", "breach_reason", "outcome",
}

// readCSV renders r as CSV and returns its records keyed by request id, and the header.
func readCSV(t *testing.T, r *sla.Report) ([]string, []map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, r.CSV(&buf))
	records, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, records)
	header := records[0]
	var rows []map[string]string
	for _, rec := range records[1:] {
		require.Len(t, rec, len(header))
		m := map[string]string{}
		for i, h := range header {
			m[h] = rec[i]
		}
		rows = append(rows, m)
	}
	return header, rows
}

func TestCSV(t *testing.T) {
	t.Parallel()
	db := setup(t)
	r, err := sla.SLA(ctx, store.New(db), sla.Options{From: from, To: to, Now: now})
	require.NoError(t, err)
	header, rows := readCSV(t, r)
	require.Equal(t, csvHeader, header)
	var got []string
	byID := map[string]map[string]string{}
	for _, row := range rows {
		got = append(got, row["request_id"])
		byID[row["request_id"]] = row
	}
	require.Equal(t, ids("R12", "R3", "R1", "R2", "R5", "R6", "R7", "R4", "R8", "R13"), got)
	for _, row := range rows {
		require.NotContains(t, row, "subject_email")
		for _, v := range row {
			require.NotContains(t, v, "subject@example.com")
		}
	}

	tests := []struct {
		name string
		key  string
		want map[string]string
	}{
		{name: "late by the local date", key: "R7", want: map[string]string{
			"tenant_id": tenantDE, "tenant_name": "Nordlicht GmbH", "type": "rectification", "status": "completed", "source": "api",
			"received_at": "2026-04-17T09:00:00Z", "clock_started_at": "2026-04-17T09:00:00Z", "clock_start_date": "2026-04-17",
			"target_due": "2026-04-23", "legal_due": "2026-05-18", "extended_due": "2026-07-17", "extended_at": "", "extension_reason": "",
			"paused_days": "0", "closed": "true", "completed_at": "2026-04-23T22:30:00Z", "closed_date": "2026-04-24",
			"business_days_to_close": "5", "received_in_period": "true", "closed_in_period": "true",
			"on_time_target": "false", "on_time_legal": "true", "at_risk_at": "", "target_breached_at": "", "legal_breached_at": "",
			"breached": "true", "breach_reason": "", "outcome": "late_target",
		}},
		{name: "extended", key: "R3", want: map[string]string{
			"extended_at": "2026-04-01T09:00:00Z", "extension_reason": "Complex request across 12 systems", "extended_due": "2026-06-10",
			"received_in_period": "false", "closed_in_period": "true", "business_days_to_close": "28",
			"on_time_target": "false", "on_time_legal": "true", "breach_reason": "Identity documents incomplete",
		}},
		{name: "open, breached, at risk", key: "R4", want: map[string]string{
			"status": "waiting", "closed": "false", "completed_at": "", "closed_date": "", "business_days_to_close": "",
			"on_time_target": "", "on_time_legal": "", "at_risk_at": "2026-04-23T08:00:00Z",
			"target_breached_at": "2026-04-24T22:00:00Z", "breached": "true", "outcome": "breached",
		}},
		{name: "late against the legal deadline", key: "R12", want: map[string]string{
			"legal_breached_at": "2026-04-07T22:00:00Z", "on_time_legal": "false", "business_days_to_close": "22", "outcome": "late_legal",
		}},
		{name: "denied before the clock started", key: "R5", want: map[string]string{
			"status": "denied", "clock_started_at": "", "clock_start_date": "2026-04-14", "business_days_to_close": "1", "outcome": "on_time",
		}},
		{name: "nothing known yet", key: "R13", want: map[string]string{
			"status": "verifying", "received_at": "2026-04-30T23:30:00Z", "clock_start_date": "2026-05-01",
			"target_due": "", "legal_due": "", "extended_due": "", "received_in_period": "true", "closed": "false", "outcome": "open",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			row := byID[id(tt.key)]
			require.NotNil(t, row)
			for col, want := range tt.want {
				require.Equal(t, want, row[col], col)
			}
		})
	}
}

func TestCSVOneTenant(t *testing.T) {
	t.Parallel()
	db := setup(t)
	r, err := sla.SLA(ctx, store.New(db), sla.Options{From: from, To: to, TenantID: tenantDE, Now: now})
	require.NoError(t, err)
	_, rows := readCSV(t, r)
	var got []string
	for _, row := range rows {
		require.Equal(t, tenantDE, row["tenant_id"])
		got = append(got, row["request_id"])
	}
	require.Equal(t, ids("R5", "R6", "R7", "R8", "R13"), got)
}

func TestCSVEmptyPeriod(t *testing.T) {
	t.Parallel()
	db := setup(t)
	r, err := sla.SLA(ctx, store.New(db), sla.Options{
		From: deadline.NewDate(2025, time.January, 1), To: deadline.NewDate(2025, time.January, 31), Now: now})
	require.NoError(t, err)
	header, rows := readCSV(t, r)
	require.Equal(t, csvHeader, header)
	require.Empty(t, rows)
}

// TestCSVFormula checks that free text cannot run as a spreadsheet formula.
func TestCSVFormula(t *testing.T) {
	t.Parallel()
	db := setup(t)
	_, err := db.ExecContext(ctx, `
		INSERT INTO requests (id, tenant_id, type, status, source, subject_email, received_at, target_due,
			target_breached_at, breach_reason, extended_at, extension_reason)
		VALUES ($1, $2, 'access', 'in_progress', 'mail', 'subject@example.com', '2026-04-10T10:00:00Z', '2026-04-16',
			'2026-04-16T22:00:00Z', '=HYPERLINK("http://evil.example","x")', '2026-04-12T10:00:00Z', '+1 more month, "quoted"')`,
		id("R99"), tenantFR)
	require.NoError(t, err)
	r, err := sla.SLA(ctx, store.New(db), sla.Options{From: from, To: to, TenantID: tenantFR, Now: now})
	require.NoError(t, err)
	_, rows := readCSV(t, r)
	for _, row := range rows {
		if row["request_id"] == id("R99") {
			require.Equal(t, `'=HYPERLINK("http://evil.example","x")`, row["breach_reason"])
			require.Equal(t, `'+1 more month, "quoted"`, row["extension_reason"])
			return
		}
	}
	t.Fatal("row of R99 missing")
}
