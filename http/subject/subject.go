// Package subject serves the few pages a data subject reaches from dsr's mail: the identity
// verification link (a question answered by a form, so that opening the link changes
// nothing) and the signed, expiring link to their access or portability package.
// Neither needs an account: the verification token and the link signature are the secrets.
package subject

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dsr/internal/documents/bundle"
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
	// SecureCookies marks the form's cookie Secure even on plain HTTP (behind a TLS proxy).
	SecureCookies bool
	Log           *slog.Logger
}

var (
	page   = template.Must(template.New("subject").Parse(templates.SubjectPage))
	origin = http.NewCrossOriginProtection()
)

// Register adds the routes. Opening the verification link (GET, and HEAD) changes
// nothing: it shows what was asked and asks; only the answer, posted from that page,
// verifies or disowns. Mail scanners that open links verify nothing.
func (p *Pages) Register(r gin.IRouter) {
	r.GET("/verify/:token", p.question)
	r.POST("/verify/:token", p.answer)
	r.GET("/download/:id", p.download)
}

type view struct {
	Lang, Title, Message, Reference, Class string
	// Form is the question's form; nil on the outcomes' pages.
	Form *form
}

// form is the verification question: what was asked, and the two answers, posted with the
// form's token (also in a cookie: both must match).
type form struct {
	Action, Token               string
	AskedLabel, Confirm, Reject string
	Asked                       []string
}

// formCookie holds the question form's token; it is sent back only to /verify/.
const formCookie = "dsr_verify"

func (p *Pages) show(c *gin.Context, status int, v view) {
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	if err := page.Execute(c.Writer, v); err != nil {
		p.Log.Error("render subject page", slog.Any("error", err))
	}
}

// question shows what the link's case asked and asks whether the visitor made it. The
// token proves the visitor reads the subject's mailbox (it is compared by its keyed hash);
// nothing changes until the answer.
func (p *Pages) question(c *gin.Context) {
	token := c.Param("token")
	cs, err := p.Room.CaseForToken(c, token)
	if err != nil || cs.VerifiedAt != nil {
		p.outcome(c, cs, err, "verified")
		return
	}
	l, err := language(cs.Language)
	if err != nil {
		p.broken(c, err)
		return
	}
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		p.broken(c, err)
		return
	}
	ft := base64.RawURLEncoding.EncodeToString(secret)
	http.SetCookie(c.Writer, &http.Cookie{Name: formCookie, Value: ft, Path: "/verify/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: p.secure(c), MaxAge: int(time.Hour.Seconds())})
	f := &form{Action: "/verify/" + token, Token: ft, AskedLabel: l.VerifyForm.Asked,
		Confirm: l.VerifyForm.Confirm, Reject: l.VerifyForm.Reject}
	for _, t := range cs.Types {
		f.Asked = append(f.Asked, l.Rights[string(t)])
	}
	v := view{Reference: cs.Reference, Class: "ask", Form: f}
	if err := p.words(&v, l, "confirm"); err != nil {
		p.broken(c, err)
		return
	}
	p.show(c, http.StatusOK, v)
}

// answer takes the answer to the question: confirm verifies the case, reject disowns it
// (its requests are cancelled). The answer must come from the question's page: the same
// origin, and the form's token matching its cookie.
func (p *Pages) answer(c *gin.Context) {
	token := c.Param("token")
	ck, cerr := c.Request.Cookie(formCookie)
	sent := c.PostForm("form_token")
	if origin.Check(c.Request) != nil || cerr != nil || sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(ck.Value)) != 1 {
		cs, _ := p.Room.CaseForToken(c, token)
		p.outcome(c, cs, errStale, "")
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: formCookie, Value: "", Path: "/verify/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: p.secure(c)})
	switch c.PostForm("answer") {
	case "confirm":
		cs, err := p.Room.VerifyToken(c, token)
		if err == nil && p.Poke != nil {
			p.Poke(c)
		}
		p.outcome(c, cs, err, "verified")
	case "reject":
		cs, err := p.Room.DisownToken(c, token)
		if errors.Is(err, ingest.ErrVerified) {
			p.outcome(c, cs, nil, "verified")
			return
		}
		p.outcome(c, cs, err, "rejected")
	default:
		cs, _ := p.Room.CaseForToken(c, token)
		p.outcome(c, cs, errStale, "")
	}
}

// errStale is an answer that did not come from the question's page.
var errStale = errors.New("the answer did not come from the verification page")

// outcome shows the page of an outcome: done (when err is nil), or why not.
func (p *Pages) outcome(c *gin.Context, cs store.Case, err error, done string) {
	v := view{Reference: cs.Reference}
	var outcome string
	switch {
	case err == nil:
		outcome, v.Class = done, "ok"
	case errors.Is(err, ingest.ErrUnknownToken):
		outcome, v.Class = "unknown", "bad"
	case errors.Is(err, ingest.ErrExpired):
		outcome, v.Class = "expired", "bad"
	case errors.Is(err, ingest.ErrClosed):
		outcome, v.Class = "closed", "bad"
	case errors.Is(err, errStale):
		outcome, v.Class = "stale", "bad"
	default:
		// Recorded or not, the verification is finished by the next sweep.
		p.Log.Error("verify identity", slog.Any("error", err))
		outcome, v.Class = "later", "bad"
	}
	status := map[string]int{"verified": http.StatusOK, "rejected": http.StatusOK, "unknown": http.StatusNotFound,
		"expired": http.StatusGone, "closed": http.StatusGone, "stale": http.StatusForbidden,
		"later": http.StatusServiceUnavailable}[outcome]
	l, lerr := language(cs.Language)
	if lerr == nil {
		lerr = p.words(&v, l, outcome)
	}
	if lerr != nil {
		p.broken(c, lerr)
		return
	}
	p.show(c, status, v)
}

func (p *Pages) broken(c *gin.Context, err error) {
	p.Log.Error("verification page", slog.Any("error", err))
	c.String(http.StatusInternalServerError, "this page could not be shown")
}

// secure reports whether the form's cookie must be Secure.
func (p *Pages) secure(c *gin.Context) bool {
	return p.SecureCookies || c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
}

// language is the subject's language, English when dsr does not write theirs.
func language(code string) (templates.Language, error) {
	ls, err := templates.Languages()
	if err != nil {
		return templates.Language{}, err
	}
	l, ok := ls[code]
	if !ok {
		l = ls["en"]
	}
	return l, nil
}

// words fills the page's language, title and message for a page of the verification.
func (p *Pages) words(v *view, l templates.Language, outcome string) error {
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
	c.Header("Content-Disposition", `attachment; filename="`+req.Ref()+`.zip"`)
	c.Header("Content-Type", "application/zip")
	http.ServeContent(c.Writer, c.Request, "package.zip", modTime, f)
}
