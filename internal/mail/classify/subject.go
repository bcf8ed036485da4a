package classify

import (
	"regexp"
	"strings"
)

// roleLocals are local parts of shared mailboxes, which are never a data subject when
// they turn up in a body or on the mailbox's own domain.
var roleLocals = set("privacy", "dpo", "gdpr", "rgpd", "dsgvo", "dataprotection", "data-protection", "data.protection",
	"datenschutz", "protecciondedatos", "privacidade", "privacidad", "support", "info", "contact", "hello", "help",
	"legal", "compliance", "security", "abuse", "postmaster", "mailer-daemon", "noreply", "no-reply", "donotreply",
	"do-not-reply", "admin", "webmaster", "sales", "team", "office", "billing", "dsr", "notifications", "notification")

// formLocals are the local parts (separators removed) of the senders web forms use.
var (
	formLocalsExact    = set("forms", "form", "notifications", "notification", "mailer", "website", "web", "system", "bot", "automailer", "noreply", "wordpress")
	formLocalsContains = []string{"noreply", "donotreply", "webform", "wordpress", "formular", "formulaire", "formulario", "typeform", "jotform", "formspree", "wpforms", "contactform"}
	formNameWords      = set("form", "forms", "webform", "formular", "formulaire", "formulario", "formulier", "modulo", "website", "contactform", "kontaktformular")
)

var (
	fwdSubjectRe = regexp.MustCompile(`(?i)^\s*(?:\[[^\]]*\]\s*)?(?:fwd?|fw|tr|wg|enc|rv|i|doorst|vs|fwd)\s*:`)
	// fwdMarkerRe finds the line that starts a forwarded message in the body.
	fwdMarkerRe = guard(regexp.MustCompile(`(?im)^[ \t>]*[-_=*]*\s*(?:forwarded message|begin forwarded message|message transf[ée]r[ée]|weitergeleitete nachricht|mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|mensagem encaminhada|forwarded by|original message|message d'origine|urspr[üu]ngliche nachricht|mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original)\s*:?\s*[-_=*]*\s*$`),
		"forward", "ge tran", "nachricht", "reenviado", "inoltrato", "bericht", "encaminhada", "origin")
	fwdStrongRe = regexp.MustCompile(`(?i)forward|transf[ée]r|weitergeleitet|reenviado|inoltrato|doorgestuurd|encaminhada`)
	// fwdFromRe is the sender line of a quoted header block.
	fwdFromRe = regexp.MustCompile(`(?im)^[ \t>*]*(?:from|de|von|da|van|sender|absender|remitente|mittente|afzender|remetente)\s*\*?\s*:\s*(.+)$`)
	// attributionFromRe is "On <date>, Name <addr> wrote:" and its translations.
	attributionFromRe = regexp.MustCompile(`(?im)^[ \t]*(?:on|le|am|el|il|op|em)\b.{0,200}(?:wrote|a [ée]crit|schrieb|escribi[óo]|ha scritto|schreef|escreveu)\s*:\s*$`)
	// formEmailRe is the e-mail field of a web-form mail.
	formEmailRe     = regexp.MustCompile(`(?im)^[ \t*]*(?:your )?(?:e-?mail(?: address)?|e-?mail-?adresse|adresse (?:e-?mail|électronique|electronique|mail)|courriel|correo(?: electr[oó]nico)?|posta elettronica|indirizzo (?:e-?mail|di posta)|e-?mailadres|endere[çc]o de e-?mail|reply-to)\s*[:=]\s*(.+)$`)
	formFieldLineRe = regexp.MustCompile(`(?im)^[ \t*]*(?:name|full name|nom|prénom|vorname|nachname|nombre|nome|naam|e-?mail|email address|correo|courriel|message|nachricht|mensaje|messaggio|bericht|mensagem|subject|sujet|betreff|asunto|oggetto|onderwerp|assunto|phone|telephone|téléphone|telefon|teléfono|telefono|telefoon|telefone|request type|type of request|anliegen|motivo|comments?)\s*:`)
)

// subjectEmail says whose data the mail is about, with a reason: the original sender of
// a forwarded mail, the visitor a customer writes about, the Reply-To of a web form, or
// else the sender. It never returns one of the mailbox's own addresses, a recipient of
// the mail or a shared mailbox named in a body; "" when it cannot tell. forward is
// c.isForward(m, text), which the caller already knows.
func (c *Classifier) subjectEmail(m *Message, text string, forward bool, f sentFlags) (string, string) {
	x := c.exclusions(m)
	from := strings.ToLower(m.From.Email)
	if forward {
		for _, fw := range m.Forwarded {
			if e := strings.ToLower(fw.From.Email); e != "" && !x.excluded(e) {
				return e, "subject:forwarded_attachment"
			}
		}
		if e := forwardedSender(text, x); e != "" {
			return e, "subject:forwarded"
		}
	}
	if f.anyOnBehalf {
		for _, e := range bodyEmails(text) {
			if e != from && !x.excluded(e) && !isRole(e) && !sameAs(e, m.ReplyTo) {
				return e, "subject:on_behalf"
			}
		}
		return "", "subject:on_behalf_unresolved"
	}
	if c.formLike(m, text) {
		for _, a := range m.ReplyTo {
			if e := strings.ToLower(a.Email); e != "" && e != from && !x.excluded(e) {
				return e, "subject:reply_to_form"
			}
		}
		for _, sm := range formEmailRe.FindAllStringSubmatch(text, 5) {
			for _, e := range emailRe.FindAllString(sm[1], 1) {
				if e = strings.ToLower(e); e != from && !x.excluded(e) {
					return e, "subject:form_field"
				}
			}
		}
		return "", "subject:form_unresolved"
	}
	if from != "" && !x.excluded(from) {
		return from, "subject:from"
	}
	for _, a := range m.ReplyTo {
		if e := strings.ToLower(a.Email); e != "" && !x.excluded(e) {
			return e, "subject:reply_to"
		}
	}
	return "", "subject:unresolved"
}

// exclusion is the set of addresses that are the mailbox itself.
type exclusion struct {
	addrs   map[string]bool
	domains map[string]bool // domains whose role mailboxes are the vendor's
}

func (c *Classifier) exclusions(m *Message) exclusion {
	x := exclusion{addrs: map[string]bool{}, domains: map[string]bool{}}
	for _, a := range c.OwnAddresses {
		x.addrs[strings.ToLower(strings.TrimSpace(a))] = true
		x.domains[domainOf(strings.ToLower(a))] = true
	}
	for _, d := range c.OwnDomains {
		x.domains[strings.ToLower(strings.TrimSpace(d))] = true
	}
	for _, list := range [][]Address{m.To, m.Cc} {
		for _, a := range list {
			e := strings.ToLower(a.Email)
			if e != "" && e != strings.ToLower(m.From.Email) {
				x.addrs[e] = true
				x.domains[domainOf(e)] = true
			}
		}
	}
	delete(x.domains, "")
	return x
}

func (x exclusion) excluded(e string) bool {
	if e == "" || x.addrs[e] {
		return true
	}
	if x.domains[domainOf(e)] && isRole(e) {
		return true
	}
	local := localOf(e)
	return local == "mailer-daemon" || local == "postmaster"
}

func domainOf(e string) string {
	if i := strings.LastIndexByte(e, '@'); i >= 0 {
		return strings.Trim(e[i+1:], "> ")
	}
	return ""
}

func localOf(e string) string {
	if i := strings.LastIndexByte(e, '@'); i >= 0 {
		return e[:i]
	}
	return e
}

func isRole(e string) bool {
	local := strings.ToLower(localOf(e))
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	return roleLocals[local]
}

func sameAs(e string, list []Address) bool {
	for _, a := range list {
		if strings.EqualFold(a.Email, e) {
			return true
		}
	}
	return false
}

// bodyEmails lists the addresses in a text, lower case, in order, without repeats.
func bodyEmails(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range emailRe.FindAllString(text, 50) {
		e = strings.ToLower(strings.TrimRight(e, "."))
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

// isForward says whether m forwards another mail: a forwarded attachment, a forwarding
// marker line in the body, or a forwarding subject prefix with a quoted header block.
func (c *Classifier) isForward(m *Message, text string) bool {
	if len(m.Forwarded) > 0 {
		return true
	}
	for _, loc := range fwdMarkerRe.FindAllStringIndex(text, 5) {
		if fwdStrongRe.MatchString(text[loc[0]:loc[1]]) {
			return true
		}
	}
	// A match of fwdSubjectRe ends with ':'.
	return strings.IndexByte(m.Subject, ':') >= 0 && fwdSubjectRe.MatchString(m.Subject) && (fwdMarkerRe.MatchString(text) || attributionFromRe.MatchString(text) || fwdFromRe.MatchString(text))
}

// forwardedSender returns the sender of the first forwarded block whose sender is not
// the mailbox itself.
func forwardedSender(text string, x exclusion) string {
	starts := []int{}
	for _, loc := range fwdMarkerRe.FindAllStringIndex(text, 5) {
		starts = append(starts, loc[1])
	}
	if len(starts) == 0 {
		starts = append(starts, 0)
	}
	for _, start := range starts {
		block := text[start:]
		if len(block) > 3000 {
			block = block[:3000]
		}
		for _, sm := range fwdFromRe.FindAllStringSubmatch(block, 3) {
			for _, e := range emailRe.FindAllString(sm[1], 2) {
				if e = strings.ToLower(e); !x.excluded(e) {
					return e
				}
			}
		}
	}
	for _, line := range attributionFromRe.FindAllString(text, 3) {
		for _, e := range emailRe.FindAllString(line, 2) {
			if e = strings.ToLower(e); !x.excluded(e) {
				return e
			}
		}
	}
	return ""
}

// localSeparators removes the separators of a local part, built once (a Replacer is safe
// for concurrent use).
var localSeparators = strings.NewReplacer("-", "", "_", "", ".", "")

// formLike says whether m (whose analysed text is text) was sent by a web form on someone's behalf: an automated sender
// (no-reply@, forms@, a sender named "... form") or a body of "Field: value" lines, with
// the person's address in Reply-To or in an e-mail field.
func (c *Classifier) formLike(m *Message, text string) bool {
	local := localSeparators.Replace(strings.ToLower(localOf(m.From.Email)))
	if formLocalsExact[local] {
		return true
	}
	for _, s := range formLocalsContains {
		if strings.Contains(local, s) {
			return true
		}
	}
	for _, w := range strings.FieldsFunc(fold(m.From.Name), func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
		if formNameWords[w] {
			return true
		}
	}
	// The cheap tests first.
	return len(m.ReplyTo) > 0 && !sameAs(m.From.Email, m.ReplyTo) && len(formFieldLineRe.FindAllStringIndex(text, 10)) >= 3 && formEmailRe.MatchString(text)
}
