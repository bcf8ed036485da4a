package classify

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
)

// mailTo builds a message to the privacy mailbox.
func mailTo(from, subject, text string) *Message {
	return &Message{
		From:    Address{Email: from},
		To:      []Address{{Name: "Privacy", Email: "privacy@slaask.example"}},
		Subject: subject,
		Text:    text,
	}
}

// checkInvariants holds for every classification.
func checkInvariants(t testing.TB, c Classification) {
	t.Helper()
	require.NotNil(t, c.Types)
	for _, r := range c.Types {
		require.Contains(t, Rights, r)
	}
	require.True(t, slices.IsSortedFunc(c.Types, func(a, b domain.RequestType) int { return rank(a) - rank(b) }), "types %v", c.Types)
	require.Equal(t, len(c.Types) > 0, c.IsRequest)
	require.Equal(t, c.IsRequest, c.Kind == KindRequest)
	if c.Language != "" {
		require.Contains(t, Languages, c.Language)
	}
	require.Contains(t, []string{KindRequest, KindAutoReply, KindBounce, KindNewsletter, KindReply, KindSupport, KindSales, KindSecurity, KindOther}, c.Kind)
	require.GreaterOrEqual(t, c.Confidence, 0.0)
	require.LessOrEqual(t, c.Confidence, 1.0)
	require.Equal(t, strings.ToLower(c.SubjectEmail), c.SubjectEmail)
	for _, r := range c.Reasons {
		require.NotContains(t, r, "@", "reasons carry no addresses")
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	with := func(m *Message, f func(m *Message)) *Message { f(m); return m }
	tests := []struct {
		name       string
		classifier Classifier
		m          *Message
		kind       string
		types      []domain.RequestType
		subject    string
		reference  string
		lowConf    bool // a human should look
	}{
		// Headers decide before the text.
		{
			name: "auto-reply quoting a request is an auto-reply",
			m: with(mailTo("a@example.org", "Re: Delete my account", "Please delete my account."), func(m *Message) {
				m.AutoSubmitted = "auto-replied"
			}),
			kind: KindAutoReply,
		},
		{
			name: "Precedence auto_reply",
			m:    with(mailTo("a@example.org", "Thanks", "We got your mail."), func(m *Message) { m.Precedence = "auto_reply" }),
			kind: KindAutoReply,
		},
		{
			name: "X-Failed-Recipients",
			m:    with(mailTo("relay@example.org", "Failure", "See below."), func(m *Message) { m.XFailedRecipients = "x@example.net" }),
			kind: KindBounce,
		},
		{
			name: "bounce by subject and null sender",
			m: with(mailTo("mail@relay.example", "Undeliverable: your mail", "Delivery has failed to these recipients."), func(m *Message) {
				m.ReturnPath = "<>"
			}),
			kind: KindBounce,
		},
		{
			name: "List-Id alone makes list mail",
			m:    with(mailTo("list@l.example", "Weekly digest", "Please delete my data, someone wrote."), func(m *Message) { m.ListID = "<digest.l.example>" }),
			kind: KindNewsletter,
		},
		{
			name: "the mailbox's own group adds list headers to real requests",
			m: with(mailTo("p@example.org", "Erase", "Please erase my account."), func(m *Message) {
				m.ListID = "<privacy.slaask.example>"
				m.ListUnsubscribe = "<mailto:privacy+unsubscribe@slaask.example>"
			}),
			kind: KindRequest, types: []domain.RequestType{domain.Erasure}, subject: "p@example.org",
		},
		{
			name:      "reply by subject tag, id lower-cased",
			m:         mailTo("Bob@Example.NET", "AW: [DSR-0A1B2C3D] Ihre Anfrage", "Danke, bitte löschen Sie auch mein Konto."),
			kind:      KindReply,
			subject:   "bob@example.net",
			reference: "DSR-0a1b2c3d",
		},
		{
			name:      "reply by References only",
			m:         with(mailTo("b@example.net", "Re: your mail", "ok"), func(m *Message) { m.References = []string{"x@y.example", "dsr-0a1b2c3d-aaaa-extended@slaask.example"} }),
			kind:      KindReply,
			subject:   "b@example.net",
			reference: "DSR-0a1b2c3d",
		},
		{
			name:       "reply to a message id at an own domain",
			classifier: Classifier{OwnDomains: []string{"slaask.example"}},
			m:          with(mailTo("b@example.net", "Re: hello", "ok"), func(m *Message) { m.InReplyTo = []string{"123.456@slaask.example"} }),
			kind:       KindReply,
			subject:    "b@example.net",
		},
		{
			name:    "In-Reply-To someone else's mail is not a reply to dsr",
			m:       with(mailTo("b@example.net", "Re: hello", "Please delete my account."), func(m *Message) { m.InReplyTo = []string{"abc@elsewhere.example"} }),
			kind:    KindRequest,
			types:   []domain.RequestType{domain.Erasure},
			subject: "b@example.net",
		},
		{
			name: "web form marked auto-generated still carries a request",
			m: with(mailTo("no-reply@forms.example", "Form", "Name: X\nEmail: x@mail.example\nMessage: Please delete my data."), func(m *Message) {
				m.AutoSubmitted = "auto-generated"
			}),
			kind: KindRequest, types: []domain.RequestType{domain.Erasure}, subject: "x@mail.example",
		},
		{
			name: "auto-generated notification is automatic",
			m: with(mailTo("alerts@monitor.example", "Disk usage", "Disk usage is at 91%."), func(m *Message) {
				m.AutoSubmitted = "auto-generated"
			}),
			kind: KindAutoReply,
		},

		// Whose data.
		{
			name:    "Reply-To of a person is not used",
			m:       with(mailTo("anna@example.org", "Delete", "Please delete my account."), func(m *Message) { m.ReplyTo = []Address{{Email: "anna.work@example.com"}} }),
			kind:    KindRequest,
			types:   []domain.RequestType{domain.Erasure},
			subject: "anna@example.org",
		},
		{
			name:    "web form without any address",
			m:       mailTo("noreply@forms.example", "Form", "Name: X\nMessage: Please delete my data."),
			kind:    KindRequest,
			types:   []domain.RequestType{domain.Erasure},
			lowConf: true,
		},
		{
			name:    "on behalf without the visitor's address",
			m:       mailTo("dpo@shop.example", "Erasure", "One of our visitors, Jane Doe, asked us to erase her data. Please erase her conversations."),
			kind:    KindRequest,
			types:   []domain.RequestType{domain.Erasure},
			lowConf: true,
		},
		{
			name:    "on behalf skips role addresses",
			m:       mailTo("dpo@shop.example", "Erasure", "Please write to privacy@shop.example with questions. One of our users (jd@mail.example) asked for erasure: please delete her chat history."),
			kind:    KindRequest,
			types:   []domain.RequestType{domain.Erasure},
			subject: "jd@mail.example",
		},
		{
			name:    "a data subject calling themselves a customer is not writing on behalf",
			m:       mailTo("c@example.org", "Account", "I am one of your customers. Please delete my account; my old address was old@example.org."),
			kind:    KindRequest,
			types:   []domain.RequestType{domain.Erasure},
			subject: "c@example.org",
		},
		{
			name:       "the mailbox's own address is never the data subject",
			classifier: Classifier{OwnAddresses: []string{"privacy@slaask.example"}},
			m:          with(mailTo("privacy@slaask.example", "note", "Please delete my account."), func(m *Message) { m.To = []Address{{Email: "team@slaask.example"}} }),
			kind:       KindRequest,
			types:      []domain.RequestType{domain.Erasure},
			lowConf:    true,
		},
		{
			name:    "forwarded block whose sender is the mailbox falls back to the forwarder",
			m:       mailTo("kim@example.org", "Fwd: my request", "Please delete my data, as below.\n\n---------- Forwarded message ---------\nFrom: Privacy <privacy@slaask.example>\nSubject: hello\n\nWe received your mail."),
			kind:    KindRequest,
			types:   []domain.RequestType{domain.Erasure},
			subject: "kim@example.org",
		},
		{
			name:    "Outlook forward with mailto brackets",
			m:       mailTo("agent@shop.example", "TR: Suppression", "Pour traitement.\n\n-----Original Message-----\nDe : Luc Morel [mailto:luc.morel@exemple.fr]\nEnvoyé : lundi 9 novembre 2026 10:00\nObjet : Suppression\n\nMerci de supprimer mon compte et mes données."),
			kind:    KindRequest,
			types:   []domain.RequestType{domain.Erasure},
			subject: "luc.morel@exemple.fr",
		},

		// What the text asks.
		{
			name:    "several rights in order",
			m:       mailTo("a@example.org", "Requests", "Please correct my address, then export my data to another provider. Afterwards delete my account and stop sending me newsletters."),
			kind:    KindRequest,
			types:   []domain.RequestType{domain.Portability, domain.Rectification, domain.Objection, domain.Erasure},
			subject: "a@example.org",
		},
		{
			name:    "articles without words",
			m:       mailTo("a@example.org", "GDPR", "Requests under Art. 15, 16 and 18 GDPR."),
			kind:    KindRequest,
			types:   []domain.RequestType{domain.Access, domain.Rectification, domain.Restriction},
			subject: "a@example.org",
		},
		{
			name:    "article paragraph is not an article",
			m:       mailTo("a@example.org", "GDPR", "I request erasure under Article 17(3) GDPR."),
			kind:    KindRequest,
			types:   []domain.RequestType{domain.Erasure},
			subject: "a@example.org",
		},
		{
			name:    "self-service question",
			m:       mailTo("a@example.org", "Help", "How do I delete my account?"),
			kind:    KindSupport,
			lowConf: true,
		},
		{
			name: "product question about deleting messages",
			m:    mailTo("a@agency.example", "Messages", "How can I delete a message in the dashboard?"),
			kind: KindSupport,
		},
		{
			name: "sales question naming rights",
			m:    mailTo("buyer@corp.example", "Compliance", "Is your widget GDPR compliant? How do you handle the right to be forgotten and data portability for our customers?"),
			kind: KindSales,
		},
		{
			name: "security report mentioning accounts",
			m:    mailTo("r@sec.example", "Vulnerability", "An IDOR vulnerability lets anyone delete my account and every other account. Proof of concept attached."),
			kind: KindSecurity,
		},
		{
			name: "negated request",
			m:    mailTo("a@example.org", "Account", "Please don't delete my account, I still need it."),
			kind: KindOther,
		},
		{
			name: "request in quoted text of a reply is not a new request",
			m:    mailTo("a@example.org", "Re: question", "Thanks, all good now.\n\n> Please delete my account.\n"),
			kind: KindOther,
		},
		{
			name: "legal disclaimer in a signature",
			m:    mailTo("a@example.org", "Meeting", "See you on Monday.\n-- \nIf you are not the intended recipient, please delete this email and all copies."),
			kind: KindOther,
		},
		{
			name:    "mixed languages",
			m:       mailTo("a@example.org", "Datenauskunft / data access", "Sehr geehrte Damen und Herren, bitte senden Sie mir eine Kopie meiner Daten. Please also delete my account afterwards."),
			kind:    KindRequest,
			types:   []domain.RequestType{domain.Access, domain.Erasure},
			subject: "a@example.org",
		},
		{
			name: "nothing recognisable",
			m:    mailTo("a@example.org", "hi", "Hello there."),
			kind: KindOther, lowConf: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := tc.classifier.Classify(tc.m)
			checkInvariants(t, c)
			require.Equal(t, tc.kind, c.Kind, "reasons %v", c.Reasons)
			if tc.types == nil {
				tc.types = []domain.RequestType{}
			}
			require.Equal(t, tc.types, c.Types, "reasons %v", c.Reasons)
			require.Equal(t, tc.subject, c.SubjectEmail, "reasons %v", c.Reasons)
			require.Equal(t, tc.reference, c.Reference)
			if tc.lowConf {
				require.Less(t, c.Confidence, ReviewBelow, "reasons %v", c.Reasons)
			} else if tc.kind != KindOther {
				require.GreaterOrEqual(t, c.Confidence, ReviewBelow, "reasons %v", c.Reasons)
			}
		})
	}
}

func TestClassifyNil(t *testing.T) {
	t.Parallel()
	c := Classify(nil)
	checkInvariants(t, c)
	require.Equal(t, KindOther, c.Kind)
	require.Zero(t, c.Confidence)
}

// TestClassifyPhrases checks one-sentence mails in the seven languages: the rights asked
// for, or none. They are phrasings the corpora do not contain.
func TestClassifyPhrases(t *testing.T) {
	t.Parallel()
	const (
		acc = "access"
		por = "portability"
		rec = "rectification"
		res = "restriction"
		obj = "objection"
		era = "erasure"
	)
	tests := []struct {
		name  string
		text  string
		types []domain.RequestType // nil: not a request
	}{
		// English
		{name: "en request as a question", text: "Can you delete my account please?", types: []domain.RequestType{era}},
		{name: "en close and remove", text: "Please close my account and remove all my information.", types: []domain.RequestType{era}},
		{name: "en what you have about me", text: "I'd like to know what information you have about me.", types: []domain.RequestType{acc}},
		{name: "en provide what you have", text: "Please provide all information you have about me pursuant to the GDPR.", types: []domain.RequestType{acc}},
		{name: "en which data you process", text: "I want to know which personal data you process.", types: []domain.RequestType{acc}},
		{name: "en is it possible", text: "Is it possible to get a copy of all my data?", types: []domain.RequestType{acc}},
		{name: "en what data about me", text: "What personal data do you process about me and for what purpose?", types: []domain.RequestType{acc}},
		{name: "en remove my email", text: "Remove my email from your system.", types: []domain.RequestType{era}},
		{name: "en erase what you hold", text: "Kindly erase all the data you hold about me.", types: []domain.RequestType{era}},
		{name: "en forget me", text: "Please forget me.", types: []domain.RequestType{era}},
		{name: "en stop processing", text: "Please stop processing my data.", types: []domain.RequestType{obj}},
		{name: "en withdraw consent", text: "I want to withdraw my consent for marketing.", types: []domain.RequestType{obj}},
		{name: "en take me off", text: "Take me off your list.", types: []domain.RequestType{obj}},
		{name: "en no longer receive", text: "I no longer want to receive your newsletter.", types: []domain.RequestType{obj}},
		{name: "en correct address", text: "Please correct my email address, it should be john@example.com.", types: []domain.RequestType{rec}},
		{name: "en update address", text: "I want to update my email address to new@example.com", types: []domain.RequestType{rec}},
		{name: "en articles", text: "Hereby I request erasure of my personal data pursuant to Article 17 GDPR and access pursuant to Article 15 GDPR.", types: []domain.RequestType{acc, era}},
		{name: "en copy first, no deletion yet", text: "Don't delete my data yet, first send me a copy.", types: []domain.RequestType{acc}},
		{name: "en invoice copy", text: "Please send me a copy of the invoice for October."},
		{name: "en contract copy", text: "Could you send me a copy of our contract?"},
		{name: "en test account", text: "Can you delete the test account I created yesterday?"},
		{name: "en how do visitors", text: "How can our visitors request deletion of their data?"},
		{name: "en customer's question", text: "Our visitor asked us to delete her data. How can we do that in the dashboard?"},
		{name: "en export how-to", text: "How can I export all conversations from the dashboard to CSV?"},
		{name: "en API question", text: "Does your API support deleting end-user data for GDPR requests?"},
		{name: "en disclaimer", text: "If you received this email in error, please delete it and notify the sender."},
		{name: "en past deletion", text: "I deleted my account last week but I still receive your emails."},
		{name: "en not an objection", text: "I do not object to the processing of my data."},
		{name: "en talk about the right", text: "The right to be forgotten is an important part of the GDPR, says our newsletter."},
		{name: "en a number after article", text: "We're writing an article 17 times better than the competition."},
		// French
		{name: "fr question with pouvez-vous", text: "Pouvez-vous supprimer mon compte ?", types: []domain.RequestType{era}},
		{name: "fr no longer receive", text: "Je ne souhaite plus recevoir vos e-mails.", types: []domain.RequestType{obj}},
		{name: "fr right to erasure", text: "Je souhaite exercer mon droit à l'effacement.", types: []domain.RequestType{era}},
		{name: "fr how-to", text: "Comment supprimer un message dans le tableau de bord ?"},
		{name: "fr compliance", text: "Est-ce que votre outil est conforme au RGPD ?"},
		// German
		{name: "de passive erasure", text: "Ich möchte, dass meine Daten gelöscht werden.", types: []domain.RequestType{era}},
		{name: "de no advertising", text: "Bitte senden Sie mir keine Werbung mehr.", types: []domain.RequestType{obj}},
		{name: "de separable verb", text: "Bitte melden Sie mich vom Newsletter ab.", types: []domain.RequestType{obj}},
		{name: "de Auskunft", text: "Hiermit mache ich mein Recht auf Auskunft gemäß Art. 15 DSGVO geltend.", types: []domain.RequestType{acc}},
		{name: "de reminder", text: "Ich habe Ihnen vor einem Monat geschrieben und um Löschung meiner Daten gebeten. Warum ist noch nichts passiert?", types: []domain.RequestType{era}},
		{name: "de do not delete", text: "Ich bitte Sie, meine Daten nicht zu löschen."},
		{name: "de invoice", text: "Bitte senden Sie mir die Rechnung."},
		{name: "de self-service", text: "Wie kann ich meinen Account löschen?"},
		{name: "de sales", text: "Wir evaluieren Ihr Produkt. Haben Sie einen AV-Vertrag und ist das Tool DSGVO-konform?"},
		// Spanish
		{name: "es subjunctive", text: "Quiero que borren mi cuenta.", types: []domain.RequestType{era}},
		{name: "es access", text: "Quisiera ejercer mi derecho de acceso.", types: []domain.RequestType{acc}},
		{name: "es no advertising", text: "No quiero recibir más publicidad.", types: []domain.RequestType{obj}},
		{name: "es rectify name", text: "Por favor, corrijan mi nombre: es Pérez, no Peres.", types: []domain.RequestType{rec}},
		{name: "es how-to", text: "¿Cómo puedo borrar un mensaje del historial?"},
		// Italian
		{name: "it what you keep", text: "Vorrei sapere quali dati conservate su di me.", types: []domain.RequestType{acc}},
		{name: "it access", text: "Vorrei esercitare il mio diritto di accesso.", types: []domain.RequestType{acc}},
		{name: "it no promotions", text: "Vi prego di non inviarmi più email promozionali.", types: []domain.RequestType{obj}},
		{name: "it how-to", text: "Come posso cancellare un messaggio dalla chat?"},
		// Dutch
		{name: "nl question", text: "Kunnen jullie mijn gegevens verwijderen?", types: []domain.RequestType{era}},
		{name: "nl inzage", text: "Ik wil mijn recht op inzage uitoefenen.", types: []domain.RequestType{acc}},
		{name: "nl no more marketing use", text: "Graag wil ik dat u mijn gegevens niet meer gebruikt voor marketing.", types: []domain.RequestType{obj}},
		{name: "nl how-to", text: "Hoe kan ik de kleur van de widget aanpassen?"},
		// Portuguese
		{name: "pt subjunctive", text: "Gostaria que apagassem os meus dados.", types: []domain.RequestType{era}},
		{name: "pt access", text: "Gostaria de exercer o meu direito de acesso.", types: []domain.RequestType{acc}},
		{name: "pt elimination", text: "Solicito a eliminação de todos os meus dados pessoais.", types: []domain.RequestType{era}},
		{name: "pt how-to", text: "Como posso apagar uma conversa no painel?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Classify(mailTo("p@example.com", "", tc.text))
			checkInvariants(t, c)
			if tc.types == nil {
				require.False(t, c.IsRequest, "reasons %v", c.Reasons)
				return
			}
			require.Equal(t, tc.types, c.Types, "reasons %v", c.Reasons)
			require.Equal(t, "p@example.com", c.SubjectEmail)
		})
	}
}
