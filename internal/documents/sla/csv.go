package sla

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"dsr/internal/deadline"
)

// csvHeader is the CSV's header row, one column per field of [Row].
var csvHeader = []string{
	"request_id", "tenant_id", "tenant_name", "type", "status", "source",
	"received_at", "clock_started_at", "clock_start_date",
	"target_due", "legal_due", "extended_due", "extended_at", "extension_reason", "paused_days",
	"closed", "completed_at", "closed_date", "business_days_to_close",
	"received_in_period", "closed_in_period", "on_time_target", "on_time_legal",
	"at_risk_at", "target_breached_at", "legal_breached_at", "breached", "breach_reason", "outcome",
}

// CSV writes the header row, then one row per request received or closed in the period, in
// order of receipt. Dates are YYYY-MM-DD (local to the tenant), instants RFC 3339 in UTC,
// booleans true or false, and an unknown value is empty. Free text that a spreadsheet would
// take for a formula (starting with =, +, -, @, tab or carriage return) is prefixed with '.
func (r *Report) CSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("sla report %s to %s: write csv header: %w", r.From, r.To, err)
	}
	for _, row := range r.Rows {
		rec := []string{
			row.RequestID, row.TenantID, safeText(row.TenantName), string(row.Type), string(row.Status), row.Source,
			instant(&row.ReceivedAt), instant(row.ClockStartedAt), dateText(row.ClockStart),
			dateText(row.TargetDue), dateText(row.LegalDue), dateText(row.ExtendedDue), instant(row.ExtendedAt),
			safeText(row.ExtensionReason), strconv.Itoa(row.PausedDays),
			strconv.FormatBool(row.Closed), instant(row.CompletedAt), dateText(row.ClosedOn), intText(row.BusinessDays),
			strconv.FormatBool(row.ReceivedInPeriod), strconv.FormatBool(row.ClosedInPeriod),
			boolText(row.OnTimeTarget), boolText(row.OnTimeLegal),
			instant(row.AtRiskAt), instant(row.TargetBreachedAt), instant(row.LegalBreachedAt),
			strconv.FormatBool(row.Breached), safeText(row.BreachReason), row.Outcome,
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("sla report %s to %s: write csv row of request %s: %w", r.From, r.To, row.RequestID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("sla report %s to %s: write csv: %w", r.From, r.To, err)
	}
	return nil
}

func instant(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func dateText(d deadline.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func intText(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func boolText(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}

// safeText keeps a spreadsheet from running free text as a formula.
func safeText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
