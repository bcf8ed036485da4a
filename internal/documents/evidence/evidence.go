// Package evidence renders a request's evidence pack: a PDF that shows what dsr did and
// when: the request and its clocks, the timeline of events with who acted, each connector's
// receipt, and the hash chain that makes the record tamper-evident.
package evidence

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// Mask shows enough of an email to recognise it, not to read it: j•••e@example.com.
func Mask(email string) string {
	if store.IsMinimised(email) {
		return "(removed after retention)"
	}
	at := strings.LastIndex(email, "@")
	if at <= 0 {
		return "•••"
	}
	local := []rune(email[:at])
	if len(local) <= 2 {
		return string(local[:1]) + "•••" + email[at:]
	}
	return string(local[0]) + "•••" + string(local[len(local)-1]) + email[at:]
}

type receipt struct {
	Connector  string           `json:"connector"`
	Action     string           `json:"action"`
	Rows       map[string]int64 `json:"rows"`
	AppliedAt  time.Time        `json:"applied_at"`
	Replayed   bool             `json:"replayed"`
	Notes      []string         `json:"notes"`
	Exceptions []struct {
		Category string `json:"category"`
		Article  string `json:"article"`
		Reason   string `json:"reason"`
	} `json:"exceptions"`
	// Recipient is set for a sub-processor: its entry in the Art. 19 ledger.
	Recipient *struct {
		Status domain.RecipientStatus `json:"status"`
		Reason string                 `json:"reason"`
	} `json:"recipient"`
}

// PDF writes the evidence pack of a request (any tenant's: callers scope access).
func PDF(ctx context.Context, st *store.Store, requestID string, w io.Writer) error {
	r, err := st.GetRequest(ctx, "", requestID)
	if err != nil {
		return fmt.Errorf("evidence pack of %s: %w", requestID, err)
	}
	t, err := st.GetTenant(ctx, r.TenantID)
	if err != nil {
		return fmt.Errorf("evidence pack of %s: %w", requestID, err)
	}
	events, err := st.Events(ctx, requestID)
	if err != nil {
		return fmt.Errorf("evidence pack of %s: %w", requestID, err)
	}
	var result struct {
		Status     string    `json:"status"`
		Reason     string    `json:"reason"`
		Connectors []receipt `json:"connectors"`
	}
	if len(r.Result) > 0 {
		if err := json.Unmarshal(r.Result, &result); err != nil {
			return fmt.Errorf("evidence pack of %s: read result: %w", requestID, err)
		}
	}
	chainOK, brokenAt := verify(events)

	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("Evidence pack "+r.ID, true)
	pdf.SetCreator("dsr", true)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetAutoPageBreak(true, 15)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "I", 8)
		pdf.CellFormat(0, 5, fmt.Sprintf("dsr evidence pack, request %s (%s), page %d", r.Ref(), r.ID, pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 10, "Evidence pack", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	pdf.CellFormat(0, 5, tr("Generated "+time.Now().UTC().Format("2006-01-02 15:04 UTC")), "", 1, "L", false, 0, "")
	pdf.Ln(3)

	kv := func(k, v string) {
		pdf.SetFont("Helvetica", "B", 9)
		pdf.CellFormat(45, 5.5, tr(k), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 9)
		pdf.MultiCell(0, 5.5, tr(v), "", "L", false)
	}
	section := func(title string) {
		pdf.Ln(3)
		pdf.SetFont("Helvetica", "B", 12)
		pdf.CellFormat(0, 8, tr(title), "B", 1, "L", false, 0, "")
		pdf.Ln(1)
	}
	section("Request")
	kv("Reference", r.Ref())
	kv("Request", r.ID)
	kv("Right", string(r.Type))
	kv("Controller", t.Name+" ("+t.ID+")")
	kv("Subject", Mask(r.SubjectEmail))
	kv("Source", string(r.Source))
	kv("Status", string(r.Status)+reasonSuffix(r.StatusReason))
	kv("Received", stamp(&r.ReceivedAt))
	kv("Completed", stamp(r.CompletedAt))

	section("Clocks")
	kv("Clock started", stamp(r.ClockStartedAt))
	kv("Target", day(r.TargetDue))
	kv("Legal deadline", day(r.LegalDue))
	ext := "not extended"
	if r.ExtendedAt != nil {
		ext = day(r.ExtendedDue) + ", decided " + stamp(r.ExtendedAt) + reasonSuffix(r.ExtensionReason)
	}
	kv("Extension", ext)
	kv("Paused", fmt.Sprintf("%d day(s)", r.PausedDays))
	kv("At risk", stamp(r.AtRiskAt))
	kv("Target missed", stamp(r.TargetBreachedAt))
	kv("Legal deadline missed", stamp(r.LegalBreachedAt)+reasonSuffix(r.BreachReason))

	section("Connector receipts")
	if len(result.Connectors) == 0 {
		pdf.SetFont("Helvetica", "", 9)
		pdf.CellFormat(0, 6, "No connector has acted on this request.", "", 1, "L", false, 0, "")
	}
	for _, c := range result.Connectors {
		if c.Recipient != nil {
			// A sub-processor: its status in the Art. 19 ledger, as the API and the
			// dashboard show it, and its reason once.
			kv(c.Connector, string(c.Action)+": recipient "+string(c.Recipient.Status)+" "+stamp(&c.AppliedAt))
			if c.Recipient.Reason != "" {
				kv("", c.Recipient.Reason)
			}
			if c.Recipient.Status != domain.RecipientExempt {
				kv("", rowsText(c.Rows))
			}
		} else {
			kv(c.Connector, string(c.Action)+" applied "+stamp(&c.AppliedAt))
			kv("", rowsText(c.Rows))
		}
		for _, e := range c.Exceptions {
			kv("", "kept: "+e.Category+" ("+e.Article+"): "+e.Reason)
		}
		for _, n := range c.Notes {
			if c.Recipient == nil || n != c.Recipient.Reason {
				kv("", n)
			}
		}
	}

	section("Timeline")
	pdf.SetFont("Helvetica", "B", 8)
	pdf.SetFillColor(235, 238, 242)
	widths := []float64{34, 30, 34, 92}
	for i, h := range []string{"Time (UTC)", "Event", "By", "What"} {
		pdf.CellFormat(widths[i], 6, h, "1", 0, "L", true, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 7.5)
	for _, e := range events {
		msg := e.Message
		if e.Status != nil && *e.Status != "" {
			msg = "[" + string(*e.Status) + "] " + msg
		}
		lines := pdf.SplitText(tr(msg), widths[3]-2)
		h := 4.5 * float64(max(len(lines), 1))
		if pdf.GetY()+h > 280 {
			pdf.AddPage()
		}
		x, y := pdf.GetXY()
		pdf.CellFormat(widths[0], h, e.At.UTC().Format("2006-01-02 15:04:05"), "1", 0, "L", false, 0, "")
		pdf.CellFormat(widths[1], h, tr(string(e.Kind)), "1", 0, "L", false, 0, "")
		pdf.CellFormat(widths[2], h, tr(string(e.Actor)), "1", 0, "L", false, 0, "")
		pdf.MultiCell(widths[3], 4.5, strings.Join(lines, "\n"), "1", "L", false)
		pdf.SetXY(x, y+h)
	}

	section("Hash chain")
	pdf.SetFont("Helvetica", "", 8)
	status := "The chain of this request's events verifies: every hash covers its predecessor and its event's content."
	if !chainOK {
		status = fmt.Sprintf("THE CHAIN IS BROKEN at event %d: the record was changed after it was written.", brokenAt)
	}
	pdf.MultiCell(0, 4.5, status+" Run `dsr audit verify` to check the chain over every request.", "", "L", false)
	pdf.Ln(1)
	pdf.SetFont("Courier", "", 7)
	for _, e := range events {
		pdf.CellFormat(0, 4, fmt.Sprintf("%6d  %-18s %s", e.ID, trim(string(e.Kind), 18), hex.EncodeToString(e.ChainHash)), "", 1, "L", false, 0, "")
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("evidence pack of %s: render: %w", requestID, err)
	}
	return nil
}

// verify recomputes the request's own chain.
func verify(events []store.Event) (bool, int64) {
	var prev []byte
	for _, e := range events {
		want := store.ChainHash(prev, e.Canonical())
		if !bytes.Equal(want, e.ChainHash) {
			return false, e.ID
		}
		prev = e.ChainHash
	}
	return true, 0
}

func rowsText(rows map[string]int64) string {
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, rows[k]))
	}
	if len(parts) == 0 {
		return "no rows"
	}
	return "rows: " + strings.Join(parts, ", ")
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func day(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.DateOnly)
}

func reasonSuffix(s *string) string {
	if s == nil || *s == "" {
		return ""
	}
	return " (" + *s + ")"
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
