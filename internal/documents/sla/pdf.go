package sla

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"
)

// EmptyMessage is what the PDF says when no request was received or closed in the period.
const EmptyMessage = "No requests were received or closed in this period."

// Page geometry, in millimetres (A4 portrait).
const (
	pageMargin = 15.0
	pageBottom = 297.0 - 18.0 // lowest y a table row may reach
	lineH      = 5.0
)

// Colours of the chart.
var (
	colorOnTime = [3]int{46, 125, 50}
	colorLate   = [3]int{198, 40, 40}
	colorGrid   = [3]int{200, 200, 200}
	colorHeader = [3]int{230, 230, 230}
)

// pdfDoc is the PDF being written, with the text translator of its core fonts.
type pdfDoc struct {
	*fpdf.Fpdf
	tr    func(string) string
	width float64 // printable width
}

// PDF writes the report as an A4 PDF: title, summary, weekly chart of closed requests on
// time and late, table of breaches and the definitions used.
func (r *Report) PDF(w io.Writer) error {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(pageMargin, pageMargin, pageMargin)
	f.SetAutoPageBreak(true, 15)
	f.SetCreationDate(r.Now)
	f.SetModificationDate(r.Now)
	f.SetCreator("dsr", false)
	f.SetTitle(r.title(), true)
	d := &pdfDoc{Fpdf: f, tr: f.UnicodeTranslatorFromDescriptor(""), width: 210 - 2*pageMargin}
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-12)
		f.SetFont("Helvetica", "", 7)
		f.SetTextColor(110, 110, 110)
		d.cell(0, 4, fmt.Sprintf("dsr SLA report %s to %s - page %d of {nb}", r.From, r.To, f.PageNo()), "", "C")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()

	d.header(r)
	d.summary(r)
	d.chart(r)
	d.breaches(r)
	d.definitions()

	if err := f.Output(w); err != nil {
		return fmt.Errorf("sla report %s to %s: write pdf: %w", r.From, r.To, err)
	}
	return nil
}

func (r *Report) title() string {
	return fmt.Sprintf("SLA report %s to %s, %s", r.From, r.To, r.scope())
}

// scope names the tenant reported on.
func (r *Report) scope() string {
	if r.TenantID == "" {
		return "all tenants"
	}
	return r.TenantName
}

// text makes s printable with a core font: one line, Windows-1252.
func (d *pdfDoc) text(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return d.tr(s)
}

// cell writes one cell and moves right (or to the next line when w is 0).
func (d *pdfDoc) cell(w, h float64, s, border, align string) {
	ln := 0
	if w == 0 {
		ln = 1
	}
	d.CellFormat(w, h, d.text(s), border, ln, align, false, 0, "")
}

func (d *pdfDoc) heading(s string) {
	d.Ln(4)
	d.SetFont("Helvetica", "B", 12)
	d.cell(0, 7, s, "", "L")
	d.SetFont("Helvetica", "", 9)
}

// ensure starts a new page unless h millimetres still fit on this one; it reports whether
// it did.
func (d *pdfDoc) ensure(h float64) bool {
	if d.GetY()+h <= pageBottom {
		return false
	}
	d.AddPage()
	return true
}

func (d *pdfDoc) header(r *Report) {
	d.SetFont("Helvetica", "B", 16)
	d.cell(0, 9, "SLA report", "", "L")
	d.SetFont("Helvetica", "", 10)
	d.cell(0, lineH, fmt.Sprintf("Period: %s to %s (UTC dates, both included)", r.From, r.To), "", "L")
	tenant := "All tenants"
	if r.TenantID != "" {
		tenant = fmt.Sprintf("%s (%s)", r.TenantName, r.TenantID)
	}
	d.cell(0, lineH, "Tenant: "+tenant, "", "L")
	d.cell(0, lineH, "Made on "+r.Now.Format("2006-01-02 15:04")+" UTC", "", "L")
	if r.Empty() {
		d.Ln(3)
		d.SetFont("Helvetica", "B", 11)
		d.cell(0, 6, EmptyMessage, "", "L")
	}
}

// summary writes the table of figures per right and the counts below it.
func (d *pdfDoc) summary(r *Report) {
	d.heading("Summary")
	cols := []struct {
		title string
		w     float64
	}{
		{"Right", 30}, {"Received", 20}, {"Closed", 18}, {"Median days", 24},
		{"P90 days", 20}, {"On time (target)", 34}, {"On time (legal)", 34},
	}
	d.SetFont("Helvetica", "B", 9)
	d.SetFillColor(colorHeader[0], colorHeader[1], colorHeader[2])
	for i, c := range cols {
		align := "R"
		if i == 0 {
			align = "L"
		}
		d.CellFormat(c.w, 6, c.title, "B", 0, align, true, 0, "")
	}
	d.Ln(-1)
	line := func(name string, s Stats, style string) {
		d.SetFont("Helvetica", style, 9)
		cells := []string{name, strconv.Itoa(s.Received), strconv.Itoa(s.Closed), "-", "-",
			pct(s.OnTimeTarget, s.TargetMeasured, s.TargetRate), pct(s.OnTimeLegal, s.LegalMeasured, s.LegalRate)}
		if s.Closed > 0 {
			cells[3] = fmt.Sprintf("%.1f", s.MedianDays)
			cells[4] = strconv.Itoa(s.P90Days)
		}
		border := ""
		if style == "B" {
			border = "T"
		}
		for i, c := range cols {
			align := "R"
			if i == 0 {
				align = "L"
			}
			d.CellFormat(c.w, lineH+0.5, cells[i], border, 0, align, false, 0, "")
		}
		d.Ln(-1)
	}
	for _, s := range r.ByRight {
		line(string(s.Right), s.Stats, "")
	}
	line("All rights", r.Total, "B")

	d.Ln(3)
	d.SetFont("Helvetica", "", 9)
	d.cell(0, lineH, fmt.Sprintf("Breaches (target missed): %d", len(r.Breaches)), "", "L")
	d.cell(0, lineH, fmt.Sprintf("Extensions (Art. 12(3)): %d", r.Extensions), "", "L")
	d.cell(0, lineH, fmt.Sprintf("Open requests at risk as of %s UTC: %d", r.Now.Format("2006-01-02 15:04"), r.AtRisk), "", "L")
}

// pct formats an on-time rate with its counts, "-" when nothing was measured.
func pct(part, whole int, rate float64) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", rate, part, whole)
}

// chart draws the weekly bars of requests closed on time and late against the target.
func (d *pdfDoc) chart(r *Report) {
	const (
		chartH = 55.0
		axisW  = 12.0 // room for the y labels
		below  = 16.0 // room for the x labels, axis title and legend
	)
	d.ensure(7 + 8 + chartH + below)
	d.heading("Requests closed per week: on time and late against the target")
	maxV := 0
	for _, wk := range r.Weeks {
		maxV = max(maxV, wk.OnTime, wk.Late)
	}
	step := niceStep(maxV)
	top := step * int(math.Ceil(float64(max(maxV, 1))/float64(step)))

	x0 := pageMargin + axisW
	plotW := d.width - axisW
	d.SetFont("Helvetica", "", 7)
	d.cell(0, 4, "Requests closed", "", "L")
	y0 := d.GetY() + 2             // top of the plot
	yBase := y0 + chartH           // the x axis
	scale := chartH / float64(top) // millimetres per request

	// Grid and y labels.
	d.SetLineWidth(0.1)
	for v := 0; v <= top; v += step {
		y := yBase - float64(v)*scale
		d.SetDrawColor(colorGrid[0], colorGrid[1], colorGrid[2])
		d.Line(x0, y, x0+plotW, y)
		d.SetXY(pageMargin, y-2)
		d.CellFormat(axisW-1.5, 4, strconv.Itoa(v), "", 0, "R", false, 0, "")
	}
	d.SetDrawColor(0, 0, 0)
	d.SetLineWidth(0.2)
	d.Line(x0, y0, x0, yBase)
	d.Line(x0, yBase, x0+plotW, yBase)

	// Bars: two per week, side by side.
	n := max(len(r.Weeks), 1)
	slot := plotW / float64(n)
	barW := slot * 0.38
	labelEvery := int(math.Ceil(15 / slot)) // a date label needs about 15 mm
	for i, wk := range r.Weeks {
		x := x0 + float64(i)*slot + slot*0.12
		for j, v := range []int{wk.OnTime, wk.Late} {
			c := colorOnTime
			if j == 1 {
				c = colorLate
			}
			if v > 0 {
				h := float64(v) * scale
				d.SetFillColor(c[0], c[1], c[2])
				d.Rect(x+float64(j)*barW, yBase-h, barW, h, "F")
				if n <= 16 {
					d.SetXY(x+float64(j)*barW-2, yBase-h-4)
					d.CellFormat(barW+4, 4, strconv.Itoa(v), "", 0, "C", false, 0, "")
				}
			}
		}
		if i%labelEvery == 0 {
			d.SetXY(x0+float64(i)*slot+slot/2-10, yBase+1)
			d.CellFormat(20, 4, wk.Start.String(), "", 0, "C", false, 0, "")
		}
	}
	d.SetXY(x0, yBase+5)
	d.CellFormat(plotW, 4, "Week starting Monday (UTC date of closing)", "", 1, "C", false, 0, "")

	// Legend.
	d.Ln(1)
	y := d.GetY()
	x := x0
	for _, l := range []struct {
		c    [3]int
		name string
	}{{colorOnTime, "On time (closed on or before the target)"}, {colorLate, "Late (closed after the target)"}} {
		d.SetFillColor(l.c[0], l.c[1], l.c[2])
		d.Rect(x, y+0.8, 3, 3, "F")
		d.SetXY(x+4, y)
		w := d.GetStringWidth(l.name) + 8
		d.CellFormat(w, 4.5, l.name, "", 0, "L", false, 0, "")
		x += w + 4
	}
	d.Ln(6)
	if len(r.Weeks) > 0 && r.Total.Closed == 0 {
		d.SetFont("Helvetica", "", 9)
		d.cell(0, lineH, "No requests were closed in this period.", "", "L")
	}
}

// niceStep returns a grid step (1, 2, 5, 10, 20, ...) that gives at most five lines up to v.
func niceStep(v int) int {
	for mag := 1; ; mag *= 10 {
		for _, s := range []int{1, 2, 5} {
			if s*mag*5 >= v {
				return s * mag
			}
		}
	}
}

// breaches writes the table of breaches.
func (d *pdfDoc) breaches(r *Report) {
	d.ensure(7 + 8 + 6 + 2*lineH)
	d.heading("Breaches")
	if len(r.Breaches) == 0 {
		d.cell(0, lineH, "No request of the period breached its target.", "", "L")
		return
	}
	type col struct {
		title string
		w     float64
	}
	cols := []col{{"Request", 49}, {"Right", 20}, {"Target", 17}, {"Closed", 17}}
	all := r.TenantID == ""
	if all {
		cols = append(cols, col{"Tenant", 26})
	}
	used := 0.0
	for _, c := range cols {
		used += c.w
	}
	cols = append(cols, col{"Reason", d.width - used})

	head := func() {
		d.SetFont("Helvetica", "B", 8)
		d.SetFillColor(colorHeader[0], colorHeader[1], colorHeader[2])
		for _, c := range cols {
			d.CellFormat(c.w, 6, c.title, "B", 0, "L", true, 0, "")
		}
		d.Ln(-1)
	}
	head()
	const rowH = 4.2
	for _, b := range r.Breaches {
		closed := "open"
		if !b.Open {
			closed = b.ClosedOn.String()
		}
		target := b.TargetDue.String()
		if b.TargetDue.IsZero() {
			target = "-"
		}
		reason := b.Reason
		if strings.TrimSpace(reason) == "" {
			reason = "(no reason recorded)"
		}
		cells := []string{b.RequestID, string(b.Type), target, closed}
		if all {
			cells = append(cells, b.TenantName)
		}
		d.SetFont("Helvetica", "", 7)
		last := cols[len(cols)-1].w
		lines := d.SplitText(d.text(reason), last-2)
		if b.LegalBreached {
			lines = append(lines, "Legal deadline also missed.")
		}
		h := float64(max(len(lines), 1)) * rowH
		if d.ensure(h) {
			head()
			d.SetFont("Helvetica", "", 7)
		}
		y := d.GetY()
		x := pageMargin
		for i, s := range cells {
			d.SetXY(x, y)
			txt := d.text(s)
			for i > 0 && d.GetStringWidth(txt) > cols[i].w-2 && len(txt) > 1 {
				txt = txt[:len(txt)-1]
			}
			d.CellFormat(cols[i].w, rowH, txt, "", 0, "L", false, 0, "")
			x += cols[i].w
		}
		for k, l := range lines {
			d.SetXY(x, y+float64(k)*rowH)
			d.CellFormat(last, rowH, l, "", 0, "L", false, 0, "")
		}
		d.SetXY(pageMargin, y+h)
		d.SetDrawColor(colorGrid[0], colorGrid[1], colorGrid[2])
		d.Line(pageMargin, y+h, pageMargin+d.width, y+h)
		d.SetDrawColor(0, 0, 0)
	}
}

// definitions writes the footnote with the definitions the figures use.
func (d *pdfDoc) definitions() {
	text := []string{
		"Definitions. Periods are UTC dates, both included: a request counts as received when received_at falls in the period, " +
			"and as closed when its status is final (completed, denied, canceled, failed) and completed_at falls in the period. " +
			"Days are working days of the tenant's country (Monday to Friday minus public holidays), dates are local to the tenant's time zone.",
		"Business days to close: working days after the local date the clock started (identity verified; else receipt) up to and including the local completion date. " +
			"Median: middle value (mean of the two middle values for an even count). P90: nearest rank, the ceil(0.9 x n)-th smallest value.",
		"On time (target): closed on or before the target date, which already includes clarification pauses. " +
			"On time (legal): closed on or before the legal deadline, or the extended deadline when the request was extended. " +
			"Rates are over the closed requests that have that date, as percentages with one decimal.",
		"Breach: a request received or closed in the period whose target was recorded as breached, or that closed after its target. " +
			"Extension: such a request that was extended. Open at risk: requests received on or before the end of the period, still open " +
			"when the report was made and flagged at risk by then. Weekly chart: requests closed in the period, by ISO week of the UTC closing date.",
	}
	h := 0.0
	d.SetFont("Helvetica", "", 7)
	for _, t := range text {
		h += float64(len(d.SplitText(d.text(t), d.width))) * 3.4
	}
	d.ensure(h + 10)
	d.Ln(6)
	d.SetDrawColor(0, 0, 0)
	d.Line(pageMargin, d.GetY(), pageMargin+50, d.GetY())
	d.Ln(1.5)
	d.SetFont("Helvetica", "", 7)
	for _, t := range text {
		d.MultiCell(0, 3.4, d.text(t), "", "L", false)
		d.Ln(0.8)
	}
}
