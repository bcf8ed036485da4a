package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/textproto"
	"regexp"
	"strings"

	"dsr/internal/deadline"
	"dsr/internal/domain"
	"dsr/internal/mail/classify"
	"dsr/internal/mail/letters"
	"dsr/internal/platform/seal"
	"dsr/internal/store"
)

// Kinds of mail that could not be read, beside the classifier's.
const (
	KindMalformed = "malformed"
	KindTooLarge  = "too_large"
)

// prepared is a mail read and classified, with the case it opens, before anything is
// recorded.
type prepared struct {
	m   store.Mail
	msg *classify.Message
	cls classify.Classification
	// c and out are the case a request opens and the mail it queues.
	c   *store.Case
	out []store.Outgoing
	// joined, when set, is the sender's open case the mail asks again for (some of) the
	// rights of.
	joined *joining
}

// reply tells a mail that answers one of dsr's: where it goes depends on what is recorded.
func (p *prepared) reply() bool { return p.msg != nil && p.cls.Kind == classify.KindReply }

// prepare does the work of a take that needs no database: it seals the mail, reads and
// classifies it, says where it goes and opens the case of a request.
func (r *Room) prepare(raw []byte) (prepared, error) {
	m := store.Mail{Size: int64(len(raw)), SHA256: Digest(raw)}
	m.MessageKey = messageKey(raw, m.SHA256)
	id, err := store.NewID()
	if err != nil {
		return prepared{}, err
	}
	m.ID = id
	if m.RawSealed, err = r.Keys.Seal(raw, []byte(m.ID)); err != nil {
		return prepared{}, fmt.Errorf("seal mail: %w", err)
	}

	if int64(len(raw)) > r.maxSize() {
		m.Folder, m.Kind, m.Note = store.FolderQuarantine, KindTooLarge, fmt.Sprintf("larger than %d bytes", r.maxSize())
		return prepared{m: m}, nil
	}
	msg, err := classify.Parse(bytes.NewReader(raw), r.maxSize())
	if err != nil {
		m.Folder, m.Kind = store.FolderQuarantine, KindMalformed
		if errors.Is(err, classify.ErrTooLarge) {
			m.Kind = KindTooLarge
		}
		m.Note = "could not be read as mail: " + defectOf(err)
		return prepared{m: m}, nil
	}
	cls := r.Classifier.Classify(msg)
	m.Kind, m.Language, m.Types, m.Confidence, m.Reasons = cls.Kind, cls.Language, cls.Types, cls.Confidence, cls.Reasons
	p := prepared{msg: msg, cls: cls}

	switch cls.Kind {
	case classify.KindRequest:
		switch {
		case cls.SubjectEmail == "":
			m.Folder, m.Note = store.FolderTriage, "a request, but whose data it is cannot be told"
		case cls.Language == "":
			m.Folder, m.Note = store.FolderTriage, "a request in a language that could not be told"
		case cls.Confidence < classify.ReviewBelow:
			m.Folder, m.Note = store.FolderTriage, fmt.Sprintf("a request, with low confidence (%.2f)", cls.Confidence)
		default:
			m.Folder = store.FolderProcessed
			if p.c, p.out, err = r.openCase(m, cls); err != nil {
				return prepared{}, err
			}
		}
	case classify.KindReply:
		// Filed by reply, once the reference is looked up.
	case classify.KindAutoReply, classify.KindBounce, classify.KindNewsletter:
		m.Folder, m.Note = store.FolderProcessed, "not a request: "+strings.ReplaceAll(cls.Kind, "_", " ")
	case classify.KindSupport, classify.KindSales, classify.KindSecurity:
		m.Folder, m.Note = store.FolderTriage, "not a data-subject request ("+cls.Kind+"): for the team that answers it"
	default:
		m.Folder, m.Note = store.FolderTriage, "not recognised: a person should read it"
	}
	p.m = m
	return p, nil
}

// takeOne records a prepared mail on its own.
func (r *Room) takeOne(ctx context.Context, p prepared) (store.Mail, error) {
	if p.reply() {
		return r.reply(ctx, p.m, p.msg, p.cls)
	}
	return r.record(ctx, p.m, p.c, p.out)
}

// record takes the mail with its case, then routes the case; a mail taken before finishes
// what its earlier take left undone.
func (r *Room) record(ctx context.Context, m store.Mail, c *store.Case, out []store.Outgoing) (store.Mail, error) {
	got, created, err := r.Store.TakeMail(ctx, m, c, out)
	if err != nil {
		return store.Mail{}, err
	}
	if !created {
		return got, r.finish(ctx, got)
	}
	r.log().Info("mail taken", "mail_id", got.ID, "kind", got.Kind, "folder", got.Folder, "language", got.Language)
	if c == nil {
		return got, nil
	}
	return got, r.route(ctx, *c)
}

// finish does what follows the take: routing the case it opened.
func (r *Room) finish(ctx context.Context, m store.Mail) error {
	if m.CaseID == nil || m.Kind != classify.KindRequest {
		return nil
	}
	c, err := r.Store.GetCase(ctx, *m.CaseID)
	if err != nil {
		return err
	}
	if j := joinedEarlier(m, c); j != nil {
		// A mail that joined an open case: its events, in case the take that recorded it
		// stopped before them.
		return r.noteJoined(ctx, m.ID, *j)
	}
	if c.RoutedAt != nil {
		return nil
	}
	return r.route(ctx, c)
}

// openCase builds a case for a request mail, with its acknowledgement and the mail that
// asks the subject to verify.
func (r *Room) openCase(m store.Mail, cls classify.Classification) (*store.Case, []store.Outgoing, error) {
	id, err := store.NewID()
	if err != nil {
		return nil, nil, err
	}
	token, err := seal.NewToken()
	if err != nil {
		return nil, nil, err
	}
	code, err := seal.NewCode()
	if err != nil {
		return nil, nil, err
	}
	now := r.now()
	c := &store.Case{
		ID: id, Reference: domain.Ref(id), SubjectEmail: cls.SubjectEmail, Language: cls.Language,
		Types: domain.InExecutionOrder(cls.Types), ReceivedAt: now,
		TokenHash: r.Keys.Hash(token), CodeHash: r.Keys.Hash(code), ExpiresAt: now.Add(VerifyFor),
	}
	secrets, err := r.sealSecrets(c.ID, secrets{Code: code, Token: token})
	if err != nil {
		return nil, nil, err
	}
	ack := letters.Data{Reference: c.Reference, Types: c.Types, ReceivedAt: now}
	country, tz := r.Country, r.TZ
	if country == "" {
		country, tz = DefaultCountry, DefaultTZ
	}
	if due, err := deadline.Compute(now, deadline.Policy{Country: country, TZ: tz, TargetDays: 4}); err == nil {
		ack.TargetDue, ack.LegalDue = due.Target.Time(), due.Legal.Time()
	}
	ackData, err := json.Marshal(ack)
	if err != nil {
		return nil, nil, fmt.Errorf("encode acknowledgement: %w", err)
	}
	out := []store.Outgoing{
		{DedupeKey: "case:" + c.ID + ":ack", CaseID: &c.ID, Kind: letters.KindAck, Language: c.Language,
			Recipient: c.SubjectEmail, Data: store.JSON(ackData)},
		{DedupeKey: "case:" + c.ID + ":verify", CaseID: &c.ID, Kind: letters.KindVerify, Language: c.Language,
			Recipient: c.SubjectEmail, SecretsSealed: secrets},
	}
	return c, out, nil
}

// secrets are what a verification mail says and the database keeps only hashed.
type secrets struct {
	Code  string `json:"code"`
	Token string `json:"token"`
}

func (r *Room) sealSecrets(caseID string, s secrets) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode secrets: %w", err)
	}
	sealed, err := r.Keys.Seal(b, []byte("case:"+caseID))
	if err != nil {
		return nil, fmt.Errorf("seal secrets: %w", err)
	}
	return sealed, nil
}

func (r *Room) openSecrets(caseID string, sealed []byte) (secrets, error) {
	var s secrets
	b, err := r.Keys.Open(sealed, []byte("case:"+caseID))
	if err != nil {
		return s, fmt.Errorf("open secrets of case %s: %w", caseID, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("decode secrets of case %s: %w", caseID, err)
	}
	return s, nil
}

// Digest is the hex SHA-256 of a raw mail, as recorded.
func Digest(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// messageKey is the mail's Message-ID, or its digest when it has none.
func messageKey(raw []byte, digest string) string {
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return "sha256:" + digest
	}
	id := strings.TrimSpace(h.Get("Message-Id"))
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if id == "" || len(id) > 900 {
		return "sha256:" + digest
	}
	return "id:" + id
}

var defectWord = regexp.MustCompile(`^[a-z_ ]+`)

// defectOf names why a mail could not be read, without its content.
func defectOf(err error) string {
	switch {
	case errors.Is(err, classify.ErrTooLarge):
		return "too large"
	case errors.Is(err, classify.ErrMalformed):
		return "malformed"
	}
	if w := defectWord.FindString(err.Error()); w != "" {
		return strings.TrimSpace(w)
	}
	return "unreadable"
}
