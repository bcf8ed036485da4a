// Package report builds the SLA report of data-subject requests over a period: the figures
// ([SLA]), a PDF for people ([Report.PDF]) and a CSV with one row per request for
// spreadsheets and auditors ([Report.CSV]). It reads the orchestrator database only.
//
// # Period
//
// A period is two dates, From and To, both included, taken as UTC dates: a request belongs
// to the period's "received" figures when received_at falls on one of those UTC days, and to
// its "closed" figures when its status is final (completed, denied, canceled or failed) and
// completed_at falls on one of them. A request "of the period" is one received or closed in
// it; the CSV has one row for each. A period may not be longer than three years.
//
// # Definitions
//
// Each request is measured with its tenant's working-day calendar (Monday to Friday minus the
// public holidays of the tenant's country, see package deadline) and time zone:
//
//   - Clock start: the local date of clock_started_at (the day identity verification
//     completed), or of received_at when the clock start is unknown.
//   - Business days to close: the working days after the clock start up to and including the
//     local completion date (the local date of completed_at). Pauses are not subtracted.
//   - On time against the target: the local completion date is on or before target_due.
//     target_due is stored already moved by clarification pauses (paused_days).
//   - On time against the legal deadline: the local completion date is on or before
//     extended_due when the request was extended (extended_at set), else legal_due.
//   - A request without the due date in question counts in neither the numerator nor the
//     denominator of that on-time rate.
//   - Median: the middle value, or the mean of the two middle values. 90th percentile: by
//     nearest rank, the ceil(0.9 × n)-th smallest value. Both over the closed requests.
//   - Rates are percentages rounded to one decimal.
//   - Breach: a request of the period whose target_breached_at is set, or that closed after
//     its target. Its reason is breach_reason as recorded.
//   - Extension: a request of the period that was extended (extended_at set).
//   - Open at risk: a snapshot at the report's Now, not a figure of the period: requests
//     received on or before the last day of the period that are not final and whose
//     at_risk_at is set at or before Now. A request received long ago and still open is
//     therefore reported until it closes.
//   - Weekly chart: the requests closed in the period, on time or late against the target,
//     bucketed by the ISO week (starting Monday) of the UTC date of completed_at.
//
// Status, completion and clocks are read as they are in the database when the report is
// built. No personal data (subject emails, request parameters) goes into either output.
package sla
