package classify

import (
	"math"
	"regexp"
	"sort"
	"strings"

	"dsr/internal/domain"
)

// Kinds of mail Classify tells apart.
const (
	KindRequest    = "request"    // a data-subject request: IsRequest is set and Types lists the rights
	KindAutoReply  = "auto_reply" // out-of-office and other automatic answers, read receipts
	KindBounce     = "bounce"     // a delivery failure report
	KindNewsletter = "newsletter" // list and bulk mail
	KindReply      = "reply"      // an answer to one of dsr's own mails: attach it to Reference
	KindSupport    = "support"    // a product question
	KindSales      = "sales"      // a commercial or compliance question
	KindSecurity   = "security"   // a vulnerability report
	KindOther      = "other"      // none of these; a human should look
)

// Classification is what Classify says about a Message.
type Classification struct {
	// IsRequest is set for a new data-subject request; it holds exactly when Types is not
	// empty (and Kind is KindRequest).
	IsRequest bool
	// Types are the rights asked for, a subset of Rights in the order of Rights; never nil.
	Types []domain.RequestType
	// SubjectEmail is the address of the person whose data it is, lower case; set for a
	// request and a reply, "" when it cannot be told (a human must find it) and for other
	// kinds.
	SubjectEmail string
	// Language is the language of the text, one of Languages, or "" when unknown.
	Language string
	// Kind is one of the Kind constants.
	Kind string
	// Reference is the "DSR-xxxx" tag of the request the mail refers to (a reply, or the
	// bounce or auto-reply of one of dsr's mails), its id part in lower case, or "".
	Reference string
	// Confidence, from 0 to 1, is how sure the classification is; below ReviewBelow a human
	// should check it.
	Confidence float64
	// Reasons are short machine-readable names of what was found (rules, headers), sorted;
	// they never contain personal data.
	Reasons []string
}

// maxAnalysed is how much of a text Classify reads.
const maxAnalysed = 32 << 10

// noticeBytes is how much of the start (and, for list footers, the end) of a text the
// bounce, auto-reply and newsletter patterns read.
const noticeBytes = 6 << 10

// ReviewBelow is the confidence under which a classification should go to a human.
const ReviewBelow = 0.6

// Verdict is the classification in the form `dsr inbox classify` prints.
type Verdict struct {
	IsRequest    bool                 `json:"is_request"`
	Types        []domain.RequestType `json:"types"`
	SubjectEmail string               `json:"subject_email"`
	Language     string               `json:"language"`
}

// Verdict returns the contract view of c; Types is [] rather than null when empty.
func (c Classification) Verdict() Verdict {
	types := append([]domain.RequestType{}, c.Types...)
	return Verdict{IsRequest: c.IsRequest, Types: types, SubjectEmail: c.SubjectEmail, Language: c.Language}
}

// Classifier classifies mail for one mailbox. The zero value works; its fields make it
// surer about what is the mailbox's own.
type Classifier struct {
	// OwnAddresses are the mailbox's addresses (e.g. privacy@vendor.example); they are never
	// a data subject. Recipients of each mail are excluded too, configured or not.
	OwnAddresses []string
	// OwnDomains are the domains of dsr's outgoing mail: a mail whose In-Reply-To or
	// References names a message id at one of them is a reply, even without a DSR tag.
	OwnDomains []string
}

// Classify classifies m with a zero Classifier.
func Classify(m *Message) Classification {
	var c Classifier
	return c.Classify(m)
}

var (
	subjectRefRe    = regexp.MustCompile(`(?i)\[\s*DSR-([A-Za-z0-9]{4,36})\s*\]`)
	msgIDRefRe      = regexp.MustCompile(`(?i)^dsr-([a-z0-9]{4,36})`)
	subjectPrefixRe = regexp.MustCompile(`(?i)^\s*(?:(?:re|aw|sv|antw|r|rif|res|ref|fwd?|fw|tr|wg|enc|rv|doorst)\s*(?:\[\d+\])?\s*:\s*)+`)

	bounceLocals    = set("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "maildaemon")
	bounceSubjectRe = guard(regexp.MustCompile(`(?i)undeliver(?:ed|able)|delivery (?:status notification|failure|has failed|failed|incomplete|delayed)|returned mail|mail delivery (?:failed|failure|subsystem|system)|failure notice|non remis|non distribu|unzustellbar|nicht zustellbar|zustellung fehlgeschlagen|no se (?:ha )?podido entregar|no entregado|non recapitabile|mancato recapito|onbestelbaar|niet afgeleverd|n[ãa]o (?:foi poss[íi]vel )?entreg|mensagem n[ãa]o entregue`),
		"deliver", "returned mail", "failure", "non ", "zu", "entreg", "recapit", "onbe", "afgeleverd")
	autoSubjectRe = guard(regexp.MustCompile(`(?i)out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?(?:reply|response|antwort)|autoreply|away from (?:the )?office|on vacation|vacation reply|abwesen|automatische antwort|r[ée]ponse automatique|absent|en cong[ée]|respuesta autom[áa]tica|fuera de la oficina|ausente|risposta automatica|fuori (?:sede|ufficio)|assente|automatisch antwoord|afwezig|resposta autom[áa]tica|fora do escrit[óo]rio|read:|lu :|gelesen:|le[íi]do:|letto:|gelezen:|lido:`),
		"office", "auto", "vacation", "ab", "en cong", "oficina", "ente", "fuori ", "afwezig", "fora do e", "read:", "lu :", "en:", "do:", "to:")

	// bounceMarkers, autoMarkers and newsletterMarkers are the words of delivery reports,
	// out-of-office notes and list footers.
	bounceMarkers = compileAll("could not be delivered", "couldn t be delivered", "delivery ... failed", "delivery has failed",
		"permanent error|failure", "permanently failed", "user unknown", "unknown user", "mailbox unavailable|full", "mailbox not found",
		"address rejected", "host not found", "no such user", "does not exist", "smtp error", "550 5",
		"n a pas pu etre remis|delivre", "konnte nicht zugestellt", "nicht zugestellt werden", "no pudo ser entregado",
		"no se ha podido entregar", "non e stato possibile recapitare", "kon niet worden afgeleverd", "niet afgeleverd",
		"nao pode ser entregue", "nao foi possivel entregar")
	autoMarkers = compileAll("out of office", "out of the office", "i am ~ away", "i m ~ away", "i am ~ on leave|vacation|holiday",
		"i will be back", "back in the office", "limited access to ~ email|mail|e mail", "je suis absent*", "je serai absent*",
		"ich bin ... abwesend", "nicht im buro", "im urlaub", "estoy fuera", "estare fuera|ausente", "sono assente", "saro fuori",
		"fuori ufficio", "ik ben afwezig", "ik ben met vakantie", "niet aanwezig", "estou ausente|fora", "automatic reply|response",
		"automated reply|response|message", "automatically generated", "this is an automatic*", "reponse automatique",
		"automatische antwort", "respuesta automatica", "risposta automatica", "automatisch antwoord", "resposta automatica")
	newsletterMarkers = compileAll("view ~ in ~ browser", "view this email|message|newsletter online", "you are receiving this",
		"you received this ~ email|message|newsletter", "receiving this ~ email|message|newsletter because", "click here to unsubscribe",
		"to unsubscribe", "unsubscribe here", "unsubscribe from ~ list|newsletter|emails", "manage ~ preferences", "update your preferences",
		"se desinscrire", "desabonnement", "newsletter abbestellen", "vom newsletter abmelden", "darse de baja", "cancelar ~ suscripcion",
		"annullare l iscrizione", "disiscriviti", "uitschrijven", "afmelden voor", "cancelar ~ subscricao")

	securityMarkers = compileAll("vulnerability", "vulnerabilities", "vuln", "exploit*", "xss", "csrf", "sqli", "sql injection",
		"injection", "remote code execution", "rce", "security issue", "security flaw", "security bug", "security vulnerability",
		"responsible disclosure", "coordinated disclosure", "bug bounty", "cve", "proof of concept", "idor", "ssrf",
		"open redirect", "security researcher", "penetration test*", "pentest*", "faille*", "sicherheitslucke*", "schwachstelle*",
		"vulnerabilidad*", "vulnerabilita", "kwetsbaarheid*", "lek in", "vulnerabilidade*", "divulgation responsable")
	salesMarkers = compileAll("pricing", "price*", "quote", "quotation", "demo", "trial", "plans", "enterprise plan", "license*",
		"licence*", "purchase", "buy", "contract", "dpa", "data processing agreement", "compliant", "compliance", "soc 2", "soc2",
		"iso 27001", "procurement", "vendor", "evaluat*", "partnership", "reseller", "security questionnaire", "subprocessor*",
		"sub processor*", "tarif*", "devis", "preis*", "angebot", "precio*", "presupuesto", "prezz*", "preventivo", "prijs*",
		"offerte", "preco*", "orcamento", "conforme", "conformes", "conformite", "konform*", "cumplimiento", "conformita", "conformidade",
		"upgrade", "discount", "invoice", "billing", "seats")
	supportMarkers = compileAll("how do i", "how can i", "how to", "widget", "setting*", "install*", "integrat*", "bug", "error*",
		"not working", "doesn t work", "does not work", "broken", "login", "log in", "password", "configur*", "dashboard",
		"colour", "color", "customi*", "api", "help", "issue", "problem", "feature", "cannot", "can t", "plugin", "script",
		"comment faire", "ne fonctionne pas", "parametre*", "funktioniert nicht", "einstellung*", "no funciona", "configuracion",
		"non funziona", "impostazion*", "werkt niet", "instelling*", "nao funciona", "configurac*", "hilfe", "aide", "ayuda", "aiuto",
		"comment puis je", "comment faire", "wie kann ich", "wie konnen wir", "como puedo", "como podemos", "come posso", "come possiamo",
		"hoe kan ik", "hoe kunnen we", "como posso", "como podemos", "como faco")
)

// Classify says what m is. Headers decide first: a delivery report is a bounce, an
// RFC 3834 auto-reply or out-of-office an auto-reply, list or bulk mail a newsletter, an
// answer to dsr's own mail (its "[DSR-xxxx]" tag, or In-Reply-To/References naming a
// "dsr-..." message id or an OwnDomains one) a reply. The text decides the rest: a
// request when at least one right scores (a lexicon phrase or GDPR article for it, weighed
// in its sentence), else security, sales or support by their vocabulary, else other.
func (c *Classifier) Classify(m *Message) Classification {
	out := Classification{Types: []domain.RequestType{}, Kind: KindOther, Reasons: []string{}}
	if m == nil {
		out.Reasons = []string{"no_message"}
		return out
	}
	a := c.analyse(m)
	out.Language = detectLanguage(a.d)
	ref, refReason := c.reference(m)
	out.Reference = ref
	a.note(refReason)

	finish := func(kind string, conf float64) Classification {
		out.Kind, out.Confidence = kind, clamp01(conf)
		sort.Strings(a.reasons)
		out.Reasons = append(out.Reasons, dedupe(a.reasons)...)
		return out
	}
	if conf, ok := a.bounce(); ok {
		return finish(KindBounce, conf)
	}
	conf, auto, formRequest := c.autoReply(a)
	if auto {
		return finish(KindAutoReply, conf)
	}
	if !formRequest {
		if conf, ok := c.listMail(a); ok {
			return finish(KindNewsletter, conf)
		}
	}
	if refReason != "" {
		// A reply belongs to its request, whatever it asks; say what it mentions.
		if e, why := c.subjectEmail(m, a.mainText, a.forward, sentFlags{}); e != "" {
			out.SubjectEmail = e
			a.note(why)
		}
		for _, t := range a.rights.types() {
			a.note("reply_mentions:" + string(t))
		}
		if refReason == "ref:own_domain" {
			return finish(KindReply, 0.85)
		}
		return finish(KindReply, 0.95)
	}
	security := countMarkers(a.d, securityMarkers)
	if types := a.rights.types(); len(types) > 0 && !(security >= 2 && a.rights.max() < 4) {
		out.IsRequest, out.Types = true, types
		var why string
		out.SubjectEmail, why = c.subjectEmail(m, a.mainText, a.forward, a.f)
		a.note(why)
		return finish(KindRequest, a.requestConfidence(out, why))
	}
	kind, conf := a.content(security)
	return finish(kind, conf)
}

// analysis is what Classify reads out of a message before it decides.
type analysis struct {
	m        *Message
	mainText string    // the start of m.Text
	forward  bool      // m forwards another mail (isForward of mainText)
	text     string    // mainText and the start of each attached message
	parts    bodyParts // text as own words, quotes and signature
	notice   *doc      // the start of the own words, where bounces and auto-replies explain
	noticeAt int       // the index in notice.toks of its first token (notice may be d)
	d        *doc      // subject and body: what rights and vocabulary are read from
	f        sentFlags
	rights   rightsResult
	reasons  []string
}

func (c *Classifier) analyse(m *Message) *analysis {
	a := &analysis{m: m, mainText: head(m.Text, maxAnalysed)}
	a.text = a.mainText
	for i, fw := range m.Forwarded {
		if i >= 3 {
			break
		}
		a.text += "\n\n" + fw.Subject + "\n\n" + head(fw.Text, maxAnalysed)
	}
	a.text = head(a.text, 2*maxAnalysed)
	a.parts = splitBody(a.text)
	body := a.parts.own
	a.forward = c.isForward(m, a.mainText)
	if a.forward || strings.TrimSpace(body) == "" {
		// What a forward quotes is the request; a mail of quotes only has nothing else.
		body = strings.TrimSpace(body + "\n\n" + a.parts.quoted)
	}
	subject := m.Subject
	if strings.IndexByte(subject, ':') >= 0 { // each prefix subjectPrefixRe strips ends with one
		subject = subjectPrefixRe.ReplaceAllString(subject, "")
	}
	a.d = newDoc(subject, body)
	if body == a.parts.own && len(body) <= noticeBytes && len(a.d.toks) < maxTokens {
		// The notice text is d's body, which d holds whole: the same tokens from d.body on,
		// and patterns never reach back into the subject.
		a.notice, a.noticeAt = a.d, a.d.body
	} else {
		a.notice = newDoc("", head(a.parts.own, noticeBytes))
	}
	a.f = flagSentences(a.d)
	a.rights = detectRights(a.d, a.f)
	return a
}

func (a *analysis) note(reasons ...string) {
	for _, r := range reasons {
		if r != "" {
			a.reasons = append(a.reasons, r)
		}
	}
}

// bounce says whether the message is a delivery failure report: from a mailer daemon,
// a multipart/report of delivery status, X-Failed-Recipients, or two weaker signs (subject,
// body, null sender) of which one is the subject or Auto-Submitted.
func (a *analysis) bounce() (float64, bool) {
	m := a.m
	var why []string
	strong, medium := 0, 0
	if bounceLocals[strings.ToLower(localOf(m.From.Email))] {
		strong++
		why = append(why, "bounce:mailer_daemon")
	}
	if m.ReportType == "delivery-status" || hasPart(m, "message/delivery-status", "message/global-delivery-status") {
		strong++
		why = append(why, "bounce:delivery_status")
	}
	if m.XFailedRecipients != "" {
		strong++
		why = append(why, "bounce:failed_recipients")
	}
	subject := bounceSubjectRe.MatchString(m.Subject)
	if subject {
		medium++
		why = append(why, "bounce:subject")
	}
	if countMarkersFrom(a.notice, a.noticeAt, bounceMarkers) > 0 {
		medium++
		why = append(why, "bounce:body")
	}
	if m.ReturnPath != "" && strings.Trim(m.ReturnPath, "<> ") == "" {
		medium++
		why = append(why, "bounce:null_sender")
	}
	if strong > 0 || medium >= 2 && (subject || m.AutoSubmitted != "") {
		a.note(why...)
		return 0.8 + 0.05*float64(strong+medium), true
	}
	return 0, false
}

// autoReply says whether the message was sent by a machine in answer to another
// (Auto-Submitted, X-Autoreply, Precedence: auto_reply, a read receipt, or two weaker signs:
// Exchange's X-Auto-Response-Suppress, bulk precedence, an out-of-office subject or body).
// A web form's mail marked only "Auto-Submitted: auto-generated" that carries a request is
// not one: formRequest is set.
func (c *Classifier) autoReply(a *analysis) (conf float64, auto, formRequest bool) {
	m := a.m
	var why []string
	strong, medium := 0, 0
	generatedOnly := false
	if as := strings.ToLower(m.AutoSubmitted); as != "" && as != "no" {
		strong++
		switch {
		case strings.HasPrefix(as, "auto-replied"):
			why = append(why, "auto:auto_submitted_replied")
		case strings.HasPrefix(as, "auto-generated"):
			why = append(why, "auto:auto_submitted_generated")
			generatedOnly = true
		default:
			why = append(why, "auto:auto_submitted")
		}
	}
	if x := strings.ToLower(m.XAutoreply); x != "" && x != "no" && x != "false" {
		strong++
		why = append(why, "auto:x_autoreply")
	}
	switch p := strings.ToLower(m.Precedence); p {
	case "auto_reply":
		strong++
		why = append(why, "auto:precedence")
	case "bulk", "junk":
		medium++
	}
	if m.ReportType == "disposition-notification" || hasPart(m, "message/disposition-notification") {
		strong++
		why = append(why, "auto:read_receipt")
	}
	if s := strings.ToLower(m.XAutoResponseSuppress); strings.Contains(s, "oof") || s == "all" {
		medium++
		why = append(why, "auto:x_auto_response_suppress")
	}
	if autoSubjectRe.MatchString(m.Subject) {
		medium++
		why = append(why, "auto:subject")
	}
	if countMarkersFrom(a.notice, a.noticeAt, autoMarkers) > 0 {
		medium++
		why = append(why, "auto:body")
	}
	if strong == 0 && medium < 2 {
		return 0, false, false
	}
	a.note(why...)
	if generatedOnly && strong == 1 && medium == 0 && c.formLike(m, a.mainText) && len(a.rights.types()) > 0 {
		a.note("auto:generated_form_request")
		return 0, false, true
	}
	return 0.75 + 0.1*float64(strong+medium), true, false
}

// listMail says whether the message is list or bulk mail: List-Unsubscribe, List-Id or a
// bulk precedence (unless the list is the mailbox itself, as when privacy@ is a group), or
// two list footers ("unsubscribe", "view in browser") in a mail that asks nothing.
func (c *Classifier) listMail(a *analysis) (float64, bool) {
	m := a.m
	var why []string
	list := 0
	if m.ListUnsubscribe != "" {
		list++
		why = append(why, "list:unsubscribe")
	}
	if m.ListID != "" {
		list++
		why = append(why, "list:id")
	}
	if p := strings.ToLower(m.Precedence); p == "bulk" || p == "list" || p == "junk" {
		list++
		why = append(why, "list:precedence")
	}
	if list > 0 && c.ownList(m) {
		a.note("list:own_group")
		why, list = nil, 0
	}
	if list == 0 && len(a.rights.types()) > 0 {
		return 0, false // whatever the footers say
	}
	footer := a.text
	if len(footer) > 2*noticeBytes {
		footer = head(footer, noticeBytes) + "\n\n" + tail(footer, noticeBytes)
	}
	body := countMarkers(newDoc("", footer), newsletterMarkers)
	if list == 0 && body < 2 {
		return 0, false
	}
	if body > 0 {
		why = append(why, "list:body")
	}
	a.note(why...)
	return 0.8 + 0.05*float64(list+body), true
}

// requestConfidence rates a request: by its best right's score, less when whose data it
// is could not be told or was inferred, when the language is unknown, or when some
// phrases were set aside.
func (a *analysis) requestConfidence(out Classification, why string) float64 {
	for _, t := range out.Types {
		for _, tag := range a.rights.tags[t] {
			a.note("right:" + tag)
		}
	}
	for _, r := range a.rights.discarded {
		a.note("discard:" + r)
	}
	conf := 0.55 + 0.1*min(a.rights.max(), 4.5)
	if why != "subject:from" {
		conf -= 0.05
	}
	if out.Language == "" {
		conf -= 0.1
	}
	if len(a.rights.discarded) > 0 {
		conf -= 0.05
	}
	if out.SubjectEmail == "" {
		conf = min(conf, 0.5) // a human must find whose data it is
	}
	return conf
}

// content sorts a mail that asks for no right by its vocabulary: security, then sales
// (which includes questions about how rights are handled), then support, else other. A
// mail where a request was nearly found gets a confidence that sends it to a human.
func (a *analysis) content(security int) (string, float64) {
	for _, r := range a.rights.discarded {
		a.note("discard:" + r)
	}
	sales, support := countMarkers(a.d, salesMarkers), countMarkers(a.d, supportMarkers)
	near := a.rights.max() > 0
	for _, r := range a.rights.discarded {
		if r == "meta" {
			sales++ // talk about how rights are handled: a compliance question
		} else {
			near = true
		}
	}
	kind, n := KindOther, 0
	switch {
	case security > 0:
		kind, n = KindSecurity, security
	case sales > support:
		kind, n = KindSales, sales
	case support > 0:
		kind, n = KindSupport, support
	}
	conf := 0.3
	if kind != KindOther {
		a.note("content:" + kind)
		conf = 0.5 + 0.1*float64(min(n, 4))
	}
	if near && !(kind == KindSecurity && security >= 2) {
		conf = min(conf, 0.5)
		a.note("near_request")
	}
	return kind, conf
}

// reference finds the request a mail answers: the "[DSR-xxxx]" tag of the subject, or a
// "dsr-xxxx..." message id in In-Reply-To or References; a message id at one of
// OwnDomains makes a reply without a reference.
func (c *Classifier) reference(m *Message) (string, string) {
	if sm := subjectRefRe.FindStringSubmatch(m.Subject); sm != nil {
		return "DSR-" + strings.ToLower(sm[1]), "ref:subject"
	}
	ids := append(append([]string{}, m.InReplyTo...), m.References...)
	for _, id := range ids {
		if sm := msgIDRefRe.FindStringSubmatch(id); sm != nil {
			return "DSR-" + strings.ToLower(sm[1]), "ref:message_id"
		}
	}
	// A bounce or a forward carries dsr's own message: its id or tag names the request.
	for _, fw := range m.Forwarded {
		if sm := msgIDRefRe.FindStringSubmatch(fw.MessageID); sm != nil {
			return "DSR-" + strings.ToLower(sm[1]), "ref:returned_message"
		}
		if sm := subjectRefRe.FindStringSubmatch(fw.Subject); sm != nil {
			return "DSR-" + strings.ToLower(sm[1]), "ref:returned_message"
		}
	}
	for _, id := range ids {
		dom := strings.ToLower(domainOf(id))
		for _, own := range c.OwnDomains {
			if dom != "" && dom == strings.ToLower(own) {
				return "", "ref:own_domain"
			}
		}
	}
	return "", ""
}

// ownList says whether the list headers are those of the mailbox itself (a privacy@
// address run as a group adds them to every mail it receives).
func (c *Classifier) ownList(m *Message) bool {
	candidates := append([]string{}, c.OwnAddresses...)
	for _, a := range append(append([]Address{}, m.To...), m.Cc...) {
		candidates = append(candidates, a.Email)
	}
	post := strings.ToLower(m.ListPost)
	id := strings.ToLower(m.ListID)
	for _, a := range candidates {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" {
			continue
		}
		if strings.Contains(post, a) || strings.Contains(id, strings.Replace(a, "@", ".", 1)) {
			return true
		}
	}
	return false
}

func hasPart(m *Message, types ...string) bool {
	for _, p := range m.PartTypes {
		for _, t := range types {
			if p == t {
				return true
			}
		}
	}
	return false
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// clamp01 bounds x to [0, 1], rounded to two decimals.
func clamp01(x float64) float64 {
	switch {
	case x < 0 || math.IsNaN(x):
		return 0
	case x > 1:
		return 1
	}
	return math.Round(x*100) / 100
}
