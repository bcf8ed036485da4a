// Package subject serves the few pages a data subject reaches from dsr's mail: the identity
// verification link and the signed, expiring link to their access or portability package.
// Neither needs an account: the verification token and the link signature are the secrets.
package subject

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"dsr/internal/documents/bundle"
	"dsr/internal/domain"
	"dsr/internal/mail/ingest"
	"dsr/internal/platform/seal"
	"dsr/internal/store"
	"dsr/templates"
)

// Pages serves the subject's pages.
type Pages struct {
	Room       *ingest.Room
	Keys       *seal.Keys
	PackageDir string
	// Poke wakes the mailroom so that the mail a verification queued goes out now.
	Poke func(context.Context)
	Log  *slog.Logger
}

var page = template.Must(template.New("subject").Parse(templates.SubjectPage))

// Register adds the routes.
func (p *Pages) Register(r gin.IRouter) {
	r.GET("/verify/:token", p.verify)
	r.GET("/download/:id", p.download)
}

type view struct {
	Lang, Title, Message, Reference, Class string
}

func (p *Pages) show(c *gin.Context, status int, v view) {
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	if err := page.Execute(c.Writer, v); err != nil {
		p.Log.Error("render subject page", slog.Any("error", err))
	}
}

// verify verifies the case whose token the link carries. The token proves the visitor
// reads the subject's mailbox; it is compared by its keyed hash.
func (p *Pages) verify(c *gin.Context) {
	cs, err := p.Room.VerifyToken(c, c.Param("token"))
	v := view{Reference: cs.Reference}
	var outcome string
	switch {
	case err == nil:
		outcome, v.Class = "verified", "ok"
		if p.Poke != nil {
			p.Poke(c)
		}
	case errors.Is(err, ingest.ErrUnknownToken):
		outcome, v.Class = "unknown", "bad"
	case errors.Is(err, ingest.ErrExpired):
		outcome, v.Class = "expired", "bad"
	case errors.Is(err, ingest.ErrClosed):
		outcome, v.Class = "closed", "bad"
	default:
		// Recorded or not, the verification is finished by the next sweep.
		p.Log.Error("verify identity", slog.Any("error", err))
		outcome, v.Class = "later", "bad"
	}
	status := map[string]int{"verified": http.StatusOK, "unknown": http.StatusNotFound, "expired": http.StatusGone,
		"closed": http.StatusGone, "later": http.StatusServiceUnavailable}[outcome]
	if err := p.words(&v, cs.Language, outcome); err != nil {
		p.Log.Error("verification page", slog.Any("error", err))
		c.String(http.StatusInternalServerError, "this page could not be shown")
		return
	}
	p.show(c, status, v)
}

// words fills the page's language, title and message for an outcome of the verification,
// in the subject's language (English when dsr does not write theirs).
func (p *Pages) words(v *view, lang, outcome string) error {
	ls, err := templates.Languages()
	if err != nil {
		return err
	}
	l, ok := ls[lang]
	if !ok {
		l = ls["en"]
	}
	text := l.VerifyPage[outcome]
	msg, err := text.Render(templates.PageFigures{VerifyDays: int(ingest.VerifyFor / (24 * time.Hour))})
	if err != nil {
		return err
	}
	v.Lang, v.Title, v.Message = l.Code, text.Title, msg
	return nil
}

// download sends a package to whoever holds a valid signed link to it.
func (p *Pages) download(c *gin.Context) {
	id := c.Param("id")
	exp, err := strconv.ParseInt(c.Query("expires"), 10, 64)
	if err != nil {
		c.String(http.StatusBadRequest, "this link is incomplete: copy the whole link from the mail")
		return
	}
	err = p.Keys.Check(ingest.PackagePurpose, id, time.Unix(exp, 0), c.Query("sig"), time.Now())
	switch {
	case errors.Is(err, seal.ErrExpired):
		c.String(http.StatusGone, "this download link has expired; reply to our mail to ask for a new one")
		return
	case err != nil:
		c.String(http.StatusForbidden, "this download link is not valid")
		return
	}
	req, err := p.Room.Store.GetRequest(c, "", id)
	if errors.Is(err, store.ErrNotFound) {
		c.String(http.StatusNotFound, "no such package")
		return
	}
	if err != nil {
		p.Log.Error("download package", slog.Any("error", err))
		c.String(http.StatusInternalServerError, "the package could not be read; try again later")
		return
	}
	f, modTime, err := bundle.Open(p.PackageDir, req.ID)
	if err != nil {
		p.Log.Error("download package", slog.Any("error", err))
		c.String(http.StatusNotFound, "the package is no longer available")
		return
	}
	defer f.Close() //nolint:errcheck // read only
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="`+domain.Ref(req.ID)+`.zip"`)
	c.Header("Content-Type", "application/zip")
	http.ServeContent(c.Writer, c.Request, "package.zip", modTime, f)
}
