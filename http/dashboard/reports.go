package dashboard

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/gin-gonic/gin"

	"dsr/internal/deadline"
	"dsr/internal/documents/sla"
	"dsr/internal/store"
)

// chart is the weekly on-time/late chart of a report, laid out for an inline SVG.
type chart struct {
	W, H                    int
	Left, Right, Top, Base  float64
	Bars                    []bar
	Ticks                   []tick
	Empty                   bool
	OnTimeTotal, LateTotal  int
	LegendOnX, LegendLateX  float64
	LegendY, LegendTextYOff float64
}

type bar struct {
	X, W                   float64
	OnY, OnH, LateY, LateH float64
	LabelX                 float64
	Label, Title           string
}

type tick struct {
	Y     float64
	Label string
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten.
func niceCeil(n int) int {
	if n <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(float64(n))))
	for _, m := range []float64{1, 2, 5, 10} {
		if float64(n) <= m*p {
			return int(m * p)
		}
	}
	return n
}

// weeklyChart lays the weeks out: stacked bars, on time below and late above.
func weeklyChart(weeks []sla.Week) chart {
	ch := chart{W: 760, H: 260, Left: 44, Right: 744, Top: 36, Base: 220}
	ch.LegendY, ch.LegendOnX, ch.LegendLateX, ch.LegendTextYOff = 10, ch.Left, ch.Left+110, 9
	peak := 0
	for _, w := range weeks {
		peak = max(peak, w.OnTime+w.Late)
		ch.OnTimeTotal += w.OnTime
		ch.LateTotal += w.Late
	}
	ch.Empty = peak == 0
	top := niceCeil(peak)
	step := 1
	for top/step > 5 {
		step = niceCeil(step + 1)
	}
	height := ch.Base - ch.Top
	y := func(v int) float64 { return ch.Base - float64(v)/float64(top)*height }
	for v := 0; v <= top; v += step {
		ch.Ticks = append(ch.Ticks, tick{Y: y(v), Label: fmt.Sprint(v)})
	}
	if len(weeks) == 0 {
		return ch
	}
	band := (ch.Right - ch.Left) / float64(len(weeks))
	width := math.Min(band*0.6, 56)
	every := int(math.Ceil(float64(len(weeks)) / 12))
	for i, w := range weeks {
		x := ch.Left + band*float64(i) + (band-width)/2
		b := bar{X: x, W: width, LabelX: x + width/2,
			Title: fmt.Sprintf("Week of %s: %d on time, %d late", w.Start, w.OnTime, w.Late)}
		b.OnY, b.OnH = y(w.OnTime), ch.Base-y(w.OnTime)
		b.LateY, b.LateH = y(w.OnTime+w.Late), y(w.OnTime)-y(w.OnTime+w.Late)
		if i%every == 0 {
			b.Label = fmt.Sprintf("%02d-%02d", int(w.Start.Month), w.Start.Day)
		}
		ch.Bars = append(ch.Bars, b)
	}
	return ch
}

// reportsData is the reports page's.
type reportsData struct {
	From, To, TenantID string
	Tenants            []store.TenantOverview
	Report             *sla.Report
	Chart              chart
	Error              string
}

// period reads from, to (default: the 30 days up to today, UTC) and tenant.
func (h *Dashboard) period(c *gin.Context) (sla.Options, error) {
	now := h.now()
	today := deadline.DateOf(now.UTC())
	o := sla.Options{From: today.AddDays(-29), To: today, TenantID: c.Query("tenant"), Now: now}
	for _, p := range []struct {
		name string
		to   *deadline.Date
	}{{"from", &o.From}, {"to", &o.To}} {
		if v := c.Query(p.name); v != "" {
			d, err := deadline.ParseDate(v)
			if err != nil {
				return o, fmt.Errorf("%s must be a date like %s", p.name, today)
			}
			*p.to = d
		}
	}
	return o, o.Validate()
}

func (h *Dashboard) reports(c *gin.Context) {
	tenants, err := h.Store.TenantsOverview(c)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The tenants could not be read.", err)
		return
	}
	o, err := h.period(c)
	d := reportsData{From: o.From.String(), To: o.To.String(), TenantID: o.TenantID, Tenants: tenants}
	if err != nil {
		d.Error = "Choose another period: " + err.Error() + "."
		h.render(c, http.StatusBadRequest, "reports", "Reports", d)
		return
	}
	rep, err := sla.SLA(c, h.Store, o)
	if errors.Is(err, sla.ErrUnknownTenant) {
		d.Error = "There is no such tenant."
		h.render(c, http.StatusBadRequest, "reports", "Reports", d)
		return
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, "The report could not be made.", err)
		return
	}
	d.Report, d.Chart = rep, weeklyChart(rep.Weeks)
	h.render(c, http.StatusOK, "reports", "Reports", d)
}

// slaDownload sends the SLA report of the period as a PDF or a CSV.
func (h *Dashboard) slaDownload(format string) gin.HandlerFunc {
	contentType := map[string]string{"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}[format]
	return func(c *gin.Context) {
		o, err := h.period(c)
		if err != nil {
			h.fail(c, http.StatusBadRequest, "Choose another period: "+err.Error()+".", nil)
			return
		}
		rep, err := sla.SLA(c, h.Store, o)
		if errors.Is(err, sla.ErrUnknownTenant) {
			h.fail(c, http.StatusBadRequest, "There is no such tenant.", nil)
			return
		}
		if err != nil {
			h.fail(c, http.StatusInternalServerError, "The report could not be made.", err)
			return
		}
		// Rendered in full first, so that a failure is still an error page.
		var buf bytes.Buffer
		if format == "csv" {
			err = rep.CSV(&buf)
		} else {
			err = rep.PDF(&buf)
		}
		if err != nil {
			h.fail(c, http.StatusInternalServerError, "The report could not be rendered.", err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="sla-`+o.From.String()+"-"+o.To.String()+"."+format+`"`)
		c.Data(http.StatusOK, contentType, buf.Bytes())
	}
}
