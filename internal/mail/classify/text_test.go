package classify

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{name: "french", in: "Données PERSONNELLES, accès, œuvre", want: "donnees personnelles, acces, oeuvre"},
		{name: "german", in: "Löschung Grüße ÄRGER", want: "loschung grusse arger"},
		{name: "spanish and portuguese", in: "supresión, limitação, ¿Qué?", want: "supresion, limitacao, ¿que?"},
		{name: "ordinal", in: "18.º", want: "18.o"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, fold(tc.in))
		})
	}
}

// words lists the folded tokens of each sentence of d.
func words(d *doc) [][]string {
	var out [][]string
	for _, s := range d.sents {
		var ws []string
		for _, t := range d.toks[s.start:s.end] {
			ws = append(ws, t.w)
		}
		out = append(out, ws)
	}
	return out
}

func TestSentences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		subject   string
		body      string
		want      []string
		questions []bool
	}{
		{
			name:      "subject is its own sentence; full stops end sentences",
			subject:   "Delete my account",
			body:      "Hi. Please delete it! Is that ok? Thanks",
			want:      []string{"delete my account", "hi", "please delete it", "is that ok", "thanks"},
			questions: []bool{false, false, false, true, false},
		},
		{
			name: "abbreviations, numbers and addresses do not end sentences",
			body: "Under Art. 15 DSGVO, e.g. z.B. for carla.gomez@mail.example. Next one.",
			want: []string{"under art 15 dsgvo e g z b for carla gomez mail example", "next one"},
		},
		{
			name: "wrapped lines join, short lines and blank lines break",
			body: "Under Article 15 of the GDPR I am requesting a copy of all personal data you\nhold about me,\nincluding chats.\n\nRegards,\nAlice",
			want: []string{"under article 15 of the gdpr i am requesting a copy of all personal data you hold about me", "including chats", "regards", "alice"},
		},
		{
			name: "form fields and list items start sentences",
			body: "Nombre: Pablo Ortega\nCorreo: p@e.example\nMensaje: Quiero ejercer mi derecho de supresión y pido que borren todo lo que tengan\n- uno\n- dos",
			want: []string{"nombre pablo ortega", "correo p e example", "mensaje quiero ejercer mi derecho de supresion y pido que borren todo lo que tengan", "uno", "dos"},
		},
		{
			name:      "inverted question mark",
			body:      "¿Qué datos tienen sobre mí",
			want:      []string{"que datos tienen sobre mi"},
			questions: []bool{true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := newDoc(tc.subject, tc.body)
			var got []string
			for _, ws := range words(d) {
				got = append(got, strings.Join(ws, " "))
			}
			require.Equal(t, tc.want, got)
			if tc.questions != nil {
				for i, q := range tc.questions {
					require.Equal(t, q, d.sents[i].question, "sentence %d", i)
				}
			}
			if tc.subject != "" {
				require.True(t, d.sents[0].subject)
			}
		})
	}
}

func TestTokenSeparators(t *testing.T) {
	t.Parallel()
	d := newDoc("", "Article 15(3), 17 and 18.º")
	var seps []rune
	for _, tok := range d.toks {
		seps = append(seps, tok.sep)
	}
	require.Equal(t, []string{"article", "15", "3", "17", "and", "18", "o"}, words(d)[0])
	require.Equal(t, []rune{0, 0, '(', ',', 0, 0, '.'}, seps)
}

func TestSplitBody(t *testing.T) {
	t.Parallel()
	body := "Yes, I confirm.\n\nOn Mon, 9 Nov 2026 at 10:00, Privacy <privacy@x.example> wrote:\n> We received your request.\n>> older\n-- \nAlice\n+33 1 23"
	p := splitBody(body)
	require.Equal(t, "Yes, I confirm.\n", p.own)
	require.Equal(t, "We received your request.\nolder", p.quoted)
	require.Equal(t, "Alice\n+33 1 23", p.signature)
}

func TestDetectLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text, want string }{
		{name: "en", text: "Please send me a copy of the data you hold about me.", want: "en"},
		{name: "fr", text: "Je vous demande de supprimer mes données, merci.", want: "fr"},
		{name: "de", text: "Bitte löschen Sie mein Konto und alle meine Daten.", want: "de"},
		{name: "es", text: "¿Podrían borrar mi cuenta? Gracias.", want: "es"},
		{name: "it", text: "Vi chiedo di cancellare il mio account e tutti i miei dati.", want: "it"},
		{name: "nl", text: "Ik wil graag dat mijn gegevens worden verwijderd.", want: "nl"},
		{name: "pt", text: "Gostaria que apagassem os meus dados pessoais, obrigado.", want: "pt"},
		{name: "pt and es told apart", text: "Solicito a limitação do tratamento dos meus dados.", want: "pt"},
		{name: "it and es told apart", text: "Quali dati personali avete su di me?", want: "it"},
		{name: "too short", text: "Ok", want: ""},
		{name: "numbers only", text: "12345 678", want: ""},
		{name: "other language", text: "Пожалуйста, удалите мои данные.", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, detectLanguage(newDoc("", tc.text)))
		})
	}
}

func TestPatterns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pattern, text string
		match               bool
	}{
		{name: "literal", pattern: "right of access", text: "my right of access", match: true},
		{name: "folded literal", pattern: "droit d'accès", text: "Droit d’accès", match: true},
		{name: "prefix", pattern: "losch*", text: "Löschung", match: true},
		{name: "alternatives", pattern: "delete|erase my", text: "erase my", match: true},
		{name: "set", pattern: "delete @my @obj", text: "delete mein Konto", match: true},
		{name: "fillers", pattern: "delete ~ @my ~ @obj", text: "delete all of my old chat history", match: true},
		{name: "fillers only", pattern: "delete ~ @my ~ @obj", text: "delete a message from my chat", match: false},
		{name: "any gap", pattern: "copy of ~ data ... about me", text: "copy of all personal data you hold about me", match: true},
		{name: "any gap is bounded", pattern: "copy ... me", text: "copy one two three four five me", match: false},
		{name: "no match across sentences", pattern: "delete my", text: "delete. My", match: false},
		{name: "end anchor at end", pattern: "send me ~ copy $", text: "send me a copy", match: true},
		{name: "end anchor at a comma", pattern: "send me ~ copy $", text: "send me a copy, thanks", match: true},
		{name: "end anchor fails mid-clause", pattern: "send me ~ copy $", text: "send me a copy of the invoice", match: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := compilePattern(tc.pattern)
			d := newDoc("", tc.text)
			found := false
			for i := range d.toks {
				found = found || p.matchAt(d.toks, i) >= 0
			}
			require.Equal(t, tc.match, found)
		})
	}
}

func TestBadPatternsPanic(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"", "~ delete", "delete ~", "@nosuchset", "a $ b", "x|y z|w'q"} {
		require.Panics(t, func() { compilePattern(src) }, src)
	}
}

func TestLexiconIsWellFormed(t *testing.T) {
	t.Parallel()
	langs := append([]string{"all"}, Languages...)
	for _, e := range lexicon {
		require.Contains(t, Rights, e.right)
		require.Contains(t, langs, e.lang)
		require.Greater(t, e.weight, 0.0)
		require.NotEmpty(t, e.pats)
		if e.yield != "" {
			require.Contains(t, Rights, e.yield)
		}
	}
	require.NotEmpty(t, rules)
}
