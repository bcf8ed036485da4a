package api

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"

	"dsr/internal/deadline"
	"dsr/internal/documents/sla"
)

// reportFormats are the formats of the SLA report, with their content types.
var reportFormats = map[string]string{"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}

// slaReport handles GET /v1/reports/sla?from=YYYY-MM-DD&to=YYYY-MM-DD&format=pdf|csv: the
// SLA report of the caller's tenant over a period, as a PDF (the default) or a CSV download.
func (h *API) slaReport(c *gin.Context) {
	var dates [2]deadline.Date
	for i, name := range []string{"from", "to"} {
		v := c.Query(name)
		if v == "" {
			h.fail(c, http.StatusBadRequest, CodeBadRequest, name+" is required: a date YYYY-MM-DD (UTC)", nil)
			return
		}
		d, err := deadline.ParseDate(v)
		if err != nil {
			h.fail(c, http.StatusBadRequest, CodeBadRequest, name+" must be a date YYYY-MM-DD (UTC)", nil)
			return
		}
		dates[i] = d
	}
	format := c.DefaultQuery("format", "pdf")
	contentType, ok := reportFormats[format]
	if !ok {
		h.fail(c, http.StatusBadRequest, CodeBadRequest, "format must be pdf or csv", nil)
		return
	}
	o := sla.Options{From: dates[0], To: dates[1], TenantID: tenant(c).ID, Now: h.now()}
	if err := o.Validate(); err != nil {
		h.fail(c, http.StatusBadRequest, CodeBadRequest, err.Error(), nil)
		return
	}
	rep, err := sla.SLA(c, h.Store, o)
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not build the report", err)
		return
	}
	// Rendered in full first, so that a failure is still an error response.
	var buf bytes.Buffer
	if format == "csv" {
		err = rep.CSV(&buf)
	} else {
		err = rep.PDF(&buf)
	}
	if err != nil {
		h.fail(c, http.StatusInternalServerError, CodeInternal, "could not render the report", err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="sla-`+o.From.String()+"-"+o.To.String()+"."+format+`"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, contentType, buf.Bytes())
}
