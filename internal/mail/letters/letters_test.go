package letters

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/mail/smtp"
	"dsr/internal/testkit/smtptest"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// data is a request as the workflow would describe it: received on 29 December 2026,
// verified the same day.
func data() Data {
	return Data{
		Reference:         "DSR-1a2b3c4d",
		Types:             []domain.RequestType{domain.Access, domain.Erasure},
		ReceivedAt:        time.Date(2026, 12, 29, 10, 15, 0, 0, time.UTC),
		TargetDue:         day(2027, 1, 5),
		LegalDue:          day(2027, 2, 1),
		ExtendedDue:       day(2027, 4, 29),
		Code:              "482913",
		VerifyURL:         "https://privacy.chatvendor.example/verify/9f3c2a7d1b0e",
		ExpiresAt:         time.Date(2027, 1, 5, 9, 7, 0, 0, time.UTC),
		PackageURL:        "https://privacy.chatvendor.example/packages/7d1b9f3c",
		PackageExpires:    day(2027, 3, 8),
		Reason:            "The account owner's data is kept while the account exists (Art. 17(3)(b) GDPR).",
		LastBackupExpires: day(2027, 9, 30),
		Controllers:       []string{"Acme Retail Ltd"},
		SearchedEmail:     "maria.rossi@example.org",
	}
}

// expect is how each language must write the test data, spelled out here rather than
// computed, and the words each mail must use.
type expect struct {
	received, target, legal, extended, expires, pkg, backup string
	erasure, authority, signature, keepRef                  string
}

var expected = map[string]expect{
	"en": {
		received: "29 December 2026", target: "5 January 2027", legal: "1 February 2027", extended: "29 April 2027",
		expires: "5 January 2027, 09:07 UTC", pkg: "8 March 2027", backup: "30 September 2027",
		erasure: "erasure", authority: "supervisory authority", signature: "Privacy team",
		keepRef: "Please keep the reference in the subject when you reply.",
	},
	"fr": {
		received: "29 décembre 2026", target: "5 janvier 2027", legal: "1er février 2027", extended: "29 avril 2027",
		expires: "5 janvier 2027 à 9 h 07 UTC", pkg: "8 mars 2027", backup: "30 septembre 2027",
		erasure: "effacement", authority: "autorité de contrôle", signature: "L'équipe Protection des données",
		keepRef: "Merci de conserver la référence dans l'objet",
	},
	"de": {
		received: "29. Dezember 2026", target: "5. Januar 2027", legal: "1. Februar 2027", extended: "29. April 2027",
		expires: "5. Januar 2027, 09:07 Uhr UTC", pkg: "8. März 2027", backup: "30. September 2027",
		erasure: "Löschung", authority: "Aufsichtsbehörde", signature: "Ihr Datenschutz-Team",
		keepRef: "Vorgangsnummer im Betreff",
	},
	"es": {
		received: "29 de diciembre de 2026", target: "5 de enero de 2027", legal: "1 de febrero de 2027", extended: "29 de abril de 2027",
		expires: "5 de enero de 2027, 09:07 UTC", pkg: "8 de marzo de 2027", backup: "30 de septiembre de 2027",
		erasure: "supresión", authority: "autoridad de control", signature: "El equipo de privacidad",
		keepRef: "mantenga la referencia en el asunto",
	},
	"it": {
		received: "29 dicembre 2026", target: "5 gennaio 2027", legal: "1 febbraio 2027", extended: "29 aprile 2027",
		expires: "5 gennaio 2027, ore 09:07 UTC", pkg: "8 marzo 2027", backup: "30 settembre 2027",
		erasure: "cancellazione", authority: "autorità di controllo", signature: "Il team Privacy",
		keepRef: "mantenga il riferimento nell'oggetto",
	},
	"nl": {
		received: "29 december 2026", target: "5 januari 2027", legal: "1 februari 2027", extended: "29 april 2027",
		expires: "5 januari 2027 om 09:07 uur UTC", pkg: "8 maart 2027", backup: "30 september 2027",
		erasure: "verwijdering", authority: "toezichthoud", signature: "Het privacyteam",
		keepRef: "referentie in het onderwerp",
	},
	"pt": {
		received: "29 de dezembro de 2026", target: "5 de janeiro de 2027", legal: "1 de fevereiro de 2027", extended: "29 de abril de 2027",
		expires: "5 de janeiro de 2027, 9h07 UTC", pkg: "8 de março de 2027", backup: "30 de setembro de 2027",
		erasure: "apagamento", authority: "autoridade de controlo", signature: "A equipa de privacidade",
		keepRef: "mantenha a referência no assunto",
	},
}

// flat joins a text's words with single spaces, so that a phrase matches across a line
// break.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// requireTidy checks what every mail must be: no template debris, lines of at most 78
// characters except those that hold a link, and the signature last.
func requireTidy(t *testing.T, m Mail) {
	t.Helper()
	for _, bad := range []string{"<no value>", "{{", "}}", "%!", "0001"} {
		require.NotContains(t, m.Subject+m.Body, bad)
	}
	require.True(t, utf8.ValidString(m.Body))
	for _, l := range strings.Split(m.Body, "\n") {
		if !strings.Contains(l, "https://") {
			require.LessOrEqual(t, utf8.RuneCountInString(l), 78, "line too long: %q", l)
		}
	}
	require.True(t, strings.HasSuffix(m.Body, "\n"+expected[m.Language].signature), "signature missing:\n%s", m.Body)
}

func TestEveryKindInEveryLanguage(t *testing.T) {
	t.Parallel()
	require.Len(t, Languages, len(expected))
	english := map[string]string{}
	for _, kind := range Kinds {
		m, err := Render(kind, "en", data())
		require.NoError(t, err)
		english[kind] = m.Body
	}
	for _, lang := range Languages {
		for _, kind := range Kinds {
			t.Run(kind+"/"+lang, func(t *testing.T) {
				t.Parallel()
				d := data()
				m, err := Render(kind, lang, d)
				require.NoError(t, err)
				require.Equal(t, lang, m.Language)
				require.Contains(t, m.Subject, "[DSR-1a2b3c4d]")
				requireTidy(t, m)
				if lang != "en" {
					require.NotEqual(t, english[kind], m.Body, "not translated")
				}
				x, body := expected[lang], flat(m.Body)
				if kind != KindExpired {
					require.Contains(t, body, x.keepRef)
				}
				var must []string
				switch kind {
				case KindAck:
					must = []string{d.Reference, x.received, x.target, x.legal, x.erasure}
				case KindVerify, KindReminder:
					must = []string{d.Code, d.VerifyURL, x.expires}
				case KindVerified:
					must = []string{x.target, x.legal, "Acme Retail Ltd", x.erasure}
				case KindNoData:
					must = []string{d.SearchedEmail, x.authority}
				case KindCompleted:
					must = []string{d.PackageURL, x.pkg, x.backup}
				case KindDenied:
					must = []string{x.authority, "Art. 17(3)(b) GDPR", "79"}
				case KindExtended:
					must = []string{x.extended, "Art. 17(3)(b) GDPR"}
				case KindExpired:
					must = []string{d.Reference}
				}
				for _, s := range must {
					require.Contains(t, body, s, "%s mail in %s:\n%s", kind, lang, m.Body)
				}
			})
		}
	}
}

// TestLongValues renders the longest dates (30 September) and every right, and checks the
// lines still fit.
func TestLongValues(t *testing.T) {
	t.Parallel()
	sep := day(2027, 9, 30)
	d := data()
	d.Types = domain.RequestTypes
	d.ReceivedAt, d.TargetDue, d.LegalDue, d.ExtendedDue, d.PackageExpires = sep, sep, sep, sep, sep
	d.ExpiresAt = sep.Add(23*time.Hour + 59*time.Minute)
	d.Controllers = []string{"Acme Retail Ltd", "Hotel Iberia SL"}
	d.Reason = "Your account is the owner account of a customer.\nIts data is kept as long as the customer has a contract with us, because invoices and contract records must be kept for ten years."
	for _, lang := range Languages {
		for _, kind := range Kinds {
			m, err := Render(kind, lang, d)
			require.NoError(t, err, "%s/%s", kind, lang)
			requireTidy(t, m)
			if kind == KindCompleted {
				require.Equal(t, len(domain.RequestTypes), strings.Count(m.Body, "\n- "), "one line per right in %s:\n%s", lang, m.Body)
			}
		}
	}
}

func TestControllers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		controllers []string
	}{
		{name: "none"},
		{name: "one", controllers: []string{"Acme Retail Ltd"}},
		{name: "two", controllers: []string{"Acme Retail Ltd", "Beta Bikes GmbH"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, lang := range Languages {
				d := data()
				d.Controllers = tt.controllers
				d.PackageURL = "" // the controller delivers the data
				for _, kind := range []string{KindVerified, KindCompleted} {
					m, err := Render(kind, lang, d)
					require.NoError(t, err)
					requireTidy(t, m)
					for _, c := range tt.controllers {
						require.Contains(t, flat(m.Body), c, "%s in %s", kind, lang)
					}
					require.NotContains(t, m.Body, "https://")
				}
			}
		})
	}
}

func TestOptionalParts(t *testing.T) {
	t.Parallel()
	d := data()
	d.Types = nil
	m, err := Render(KindAck, "en", d)
	require.NoError(t, err)
	require.NotContains(t, m.Body, "Rights:")

	d = data()
	d.Types = []domain.RequestType{domain.Objection}
	d.LastBackupExpires = time.Time{}
	m, err = Render(KindCompleted, "fr", d)
	require.NoError(t, err)
	require.Contains(t, m.Body, "Opposition")
	require.NotContains(t, m.Body, d.PackageURL, "no package for an objection")
	require.NotContains(t, m.Body, "sauvegardes")
	require.NotContains(t, m.Body, "article 19")

	d = data()
	d.PackageExpires = time.Time{}
	m, err = Render(KindCompleted, "de", d)
	require.NoError(t, err)
	require.Contains(t, m.Body, d.PackageURL)
	require.NotContains(t, m.Body, "gültig bis")
	require.Contains(t, m.Body, "Art. 19 DSGVO")
}

func TestLanguageFallback(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "en"}, {"en", "en"}, {"xx", "en"}, {"DE", "de"}, {"de-AT", "de"}, {"pt_BR", "pt"},
		{" nl ", "nl"}, {"zz-DE", "en"}, {"english", "en"},
	}
	for _, tt := range tests {
		m, err := Render(KindVerify, tt.in, data())
		require.NoError(t, err)
		require.Equal(t, tt.want, m.Language, "language %q", tt.in)
	}
	m, err := Render(KindVerify, "sv", data())
	require.NoError(t, err)
	require.Contains(t, m.Body, "Please confirm it in one of two ways")
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind string
		edit func(*Data)
		want string
	}{
		{name: "unknown kind", kind: "welcome", edit: func(*Data) {}, want: "unknown kind"},
		{name: "empty kind", kind: "", edit: func(*Data) {}, want: "unknown kind"},
		{name: "no reference", kind: KindAck, edit: func(d *Data) { d.Reference = "" }, want: "reference"},
		{name: "reference with a line break", kind: KindAck, edit: func(d *Data) { d.Reference = "DSR-1\nBcc: x" }, want: "reference"},
		{name: "unknown right", kind: KindAck, edit: func(d *Data) { d.Types = []domain.RequestType{"deletion"} }, want: "unknown right"},
		{name: "verify without code", kind: KindVerify, edit: func(d *Data) { d.Code = " " }, want: "Code"},
		{name: "reminder without link", kind: KindReminder, edit: func(d *Data) { d.VerifyURL = "" }, want: "VerifyURL"},
		{name: "verify without expiry", kind: KindVerify, edit: func(d *Data) { d.ExpiresAt = time.Time{} }, want: "datetime"},
		{name: "ack without target", kind: KindAck, edit: func(d *Data) { d.TargetDue = time.Time{} }, want: "date"},
		{name: "no_data without address", kind: KindNoData, edit: func(d *Data) { d.SearchedEmail = "" }, want: "SearchedEmail"},
		{name: "completed without rights", kind: KindCompleted, edit: func(d *Data) { d.Types = nil }, want: "Types"},
		{name: "denied without reason", kind: KindDenied, edit: func(d *Data) { d.Reason = "" }, want: "Reason"},
		{name: "extended without date", kind: KindExtended, edit: func(d *Data) { d.ExtendedDue = time.Time{} }, want: "date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := data()
			tt.edit(&d)
			_, err := Render(tt.kind, "it", d)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestDates(t *testing.T) {
	t.Parallel()
	at := time.Date(2027, 8, 1, 14, 30, 0, 0, time.UTC)
	tests := []struct{ lang, date, datetime string }{
		{"en", "1 August 2027", "1 August 2027, 14:30 UTC"},
		{"fr", "1er août 2027", "1er août 2027 à 14 h 30 UTC"},
		{"de", "1. August 2027", "1. August 2027, 14:30 Uhr UTC"},
		{"es", "1 de agosto de 2027", "1 de agosto de 2027, 14:30 UTC"},
		{"it", "1 agosto 2027", "1 agosto 2027, ore 14:30 UTC"},
		{"nl", "1 augustus 2027", "1 augustus 2027 om 14:30 uur UTC"},
		{"pt", "1 de agosto de 2027", "1 de agosto de 2027, 14h30 UTC"},
	}
	for _, tt := range tests {
		f := funcs(langs[tt.lang])
		got, err := f["date"].(func(time.Time) (string, error))(at)
		require.NoError(t, err)
		require.Equal(t, tt.date, got)
		got, err = f["datetime"].(func(time.Time) (string, error))(at.In(time.FixedZone("CEST", 2*3600)))
		require.NoError(t, err)
		require.Equal(t, tt.datetime, got, "datetime is written in UTC")
	}
	// A date is the calendar day of the time's own location.
	late := time.Date(2027, 1, 5, 23, 30, 0, 0, time.FixedZone("CET", 3600))
	require.Equal(t, "5. Januar 2027", langs["de"].date(late))
}

func TestRightsAndLists(t *testing.T) {
	t.Parallel()
	require.Equal(t, "Auskunft", langs["de"].right("access"))
	require.Equal(t, "effacement", langs["fr"].right("erasure"))
	require.Equal(t, "access, erasure and objection", langs["en"].join([]string{"access", "erasure", "objection"}))
	require.Equal(t, "Acme e Iberia", langs["es"].join([]string{"Acme", "Iberia"}))
	require.Equal(t, "Acme e Hilton", langs["es"].join([]string{"Acme", "Hilton"}))
	require.Equal(t, "Acme y Hielo SA", langs["es"].join([]string{"Acme", "Hielo SA"}))
	require.Equal(t, "Acme", langs["nl"].join([]string{"Acme"}))
	for _, lang := range Languages {
		for _, r := range domain.RequestTypes {
			_, ok := langs[lang].rights[r]
			require.True(t, ok, "%s has no name for %s", lang, r)
		}
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	got := langs["de"].quote("  Erste Zeile.\r\nZweite Zeile, die so lang ist, dass sie umbrochen werden muss, weil sie nicht in eine Zeile passt.  ")
	require.Equal(t, "  „Erste Zeile.\n  Zweite Zeile, die so lang ist, dass sie umbrochen werden muss, weil sie\n  nicht in eine Zeile passt.“", got)
}

func TestParseRejectsBadTemplates(t *testing.T) {
	t.Parallel()
	complete := func() fstest.MapFS {
		fsys := fstest.MapFS{"mail/subject/README.md": {Data: []byte("not a template")}}
		for _, lang := range Languages {
			for _, kind := range Kinds {
				fsys["mail/subject/"+fileName(kind, lang)] = &fstest.MapFile{Data: []byte("Subject: x [{{.Reference}}]\n\nbody {{date .TargetDue}}\n")}
			}
		}
		return fsys
	}
	_, err := parse(complete())
	require.NoError(t, err)

	missing := complete()
	delete(missing, "mail/subject/denied.nl.txt")
	_, err = parse(missing)
	require.ErrorContains(t, err, "denied.nl.txt")

	broken := complete()
	broken["mail/subject/ack.pt.txt"] = &fstest.MapFile{Data: []byte("Subject: {{.Reference}\n")}
	_, err = parse(broken)
	require.ErrorContains(t, err, "ack.pt.txt")

	unknownFunc := complete()
	unknownFunc["mail/subject/ack.fr.txt"] = &fstest.MapFile{Data: []byte("Subject: {{shout .Reference}}\n")}
	_, err = parse(unknownFunc)
	require.ErrorContains(t, err, "shout")

	stray := complete()
	stray["mail/subject/verfy.de.txt"] = &fstest.MapFile{Data: []byte("Subject: x\n")}
	_, err = parse(stray)
	require.ErrorContains(t, err, "verfy.de.txt")
}

func TestSplit(t *testing.T) {
	t.Parallel()
	subject, body, err := split("Subject: Hi [DSR-1]  \n\n\nHello,  \n\n\n\nbye\n\n")
	require.NoError(t, err)
	require.Equal(t, "Hi [DSR-1]", subject)
	require.Equal(t, "Hello,\n\nbye", body)
	for _, bad := range []string{"Hi\n\nbody", "Subject: \n\nbody", "Subject: x\nbody", "Subject: x\n\n \n"} {
		_, _, err := split(bad)
		require.Error(t, err, "%q", bad)
	}
}

// TestSendThroughSMTP sends a rendered German mail through the real mailer to the SMTP
// sink and reads it back as the recipient would.
func TestSendThroughSMTP(t *testing.T) {
	t.Parallel()
	sink := smtptest.New(t)
	m, err := smtp.New(sink.URL, "privacy@chatvendor.example")
	require.NoError(t, err)
	mail, err := Render(KindVerified, "de", data())
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, m.Send(ctx, smtp.Message{To: "maria.rossi@example.org", Subject: mail.Subject, Body: mail.Body, ID: "dsr-1a2b3c4d-verified"}))

	got := sink.Wait(t, 1, 5*time.Second)[0]
	require.Equal(t, []string{"maria.rossi@example.org"}, got.To)
	require.Equal(t, "Ihre Identität ist bestätigt [DSR-1a2b3c4d]", got.Subject)
	require.Equal(t, mail.Body+"\n", got.Body)
	require.Contains(t, got.Body, "bis zum 5. Januar 2027")
	require.Contains(t, got.Body, "am 1. Februar 2027")
	require.Contains(t, got.Body, "Ihr Datenschutz-Team")
}

func TestWrap(t *testing.T) {
	t.Parallel()
	long := "Rights:    access, rectification, erasure, restriction of processing, data portability and objection"
	require.Equal(t, []string{
		"Rights:    access, rectification, erasure, restriction of processing, data",
		"           portability and objection",
	}, wrap(long))
	require.Equal(t, []string{
		"- Erasure: " + strings.Repeat("word ", 12) + "word",
		"  " + strings.Repeat("word ", 5) + "end.",
	}, wrap("- Erasure: "+strings.Repeat("word ", 18)+"end."))
	link := "  https://privacy.chatvendor.example/" + strings.Repeat("x", 80)
	require.Equal(t, []string{link}, wrap(link))
	require.Equal(t, []string{"short line"}, wrap("short line"))
}
