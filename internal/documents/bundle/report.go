package bundle

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"dsr/templates"
)

// writeReport renders the package's human-readable summary: what the package holds, row
// counts per category, and the Art. 15(1) facts.
func writeReport(w io.Writer, meta Meta, facts templates.AccessFacts, rows map[string]int64) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("Your personal data", true)
	pdf.SetCreator("dsr", true)
	pdf.SetCreationDate(meta.GeneratedAt)
	pdf.SetModificationDate(meta.GeneratedAt)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // core fonts speak cp1252
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 10, tr("Your personal data"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	title := "Access request (GDPR Art. 15)"
	if meta.Type == "portability" {
		title = "Data portability request (GDPR Art. 20)"
	}
	pdf.MultiCell(0, 5, tr(fmt.Sprintf("%s\nRequest %s\nGenerated %s UTC", title, meta.RequestID,
		meta.GeneratedAt.UTC().Format(time.DateTime))), "", "L", false)
	pdf.Ln(4)

	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(0, 8, "What this package holds", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pdf.CellFormat(110, 6, tr(k+".csv"), "B", 0, "L", false, 0, "")
		pdf.CellFormat(40, 6, fmt.Sprintf("%d records", rows[k]), "B", 1, "R", false, 0, "")
	}
	pdf.Ln(2)
	pdf.MultiCell(0, 5, tr("The same records are in data.json; README.txt explains every column."), "", "L", false)
	pdf.Ln(4)

	section := func(head string, lines ...string) {
		pdf.SetFont("Helvetica", "B", 11)
		pdf.CellFormat(0, 7, tr(head), "", 1, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		pdf.MultiCell(0, 5, tr(strings.Join(lines, "\n")), "", "L", false)
		pdf.Ln(2)
	}
	section("Purposes", facts.Purposes...)
	section("Categories of data", facts.Categories...)
	section("Recipients", facts.Recipients...)
	section("Transfers to third countries", facts.ThirdCountries)
	section("Retention", facts.Retention)
	section("Source", facts.Source)
	section("Your rights", facts.Rights...)
	section("Complaint", facts.Complaint)
	section("Automated decisions", facts.AutomatedDecision)
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}
