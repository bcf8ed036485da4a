package smtp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/mail/smtp"
	"dsr/internal/testkit/smtptest"
)

func TestSendThroughRealSMTP(t *testing.T) {
	t.Parallel()
	sink := smtptest.New(t)
	m, err := smtp.New(sink.URL, "privacy@dsr.example")
	require.NoError(t, err)

	body := "Bonjour,\n.a line that starts with a dot\nDélai légal: 2026-12-30"
	require.NoError(t, m.Send(context.Background(), smtp.Message{To: "dpo@vendor.example", Subject: "Délai: demande à risque", Body: body, ID: "req-1-at-risk"}))

	got := sink.Wait(t, 1, 5*time.Second)
	require.Equal(t, "privacy@dsr.example", got[0].From)
	require.Equal(t, []string{"dpo@vendor.example"}, got[0].To)
	require.Equal(t, "Délai: demande à risque", got[0].Subject)
	require.Equal(t, body+"\n", got[0].Body)
	require.Contains(t, got[0].Header.Get("Message-Id"), "req-1-at-risk@dsr.example")
	require.Equal(t, "auto-generated", got[0].Header.Get("Auto-Submitted"))
}

func TestConfigAndSendErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		from string
		want string
	}{
		{name: "bad scheme", url: "http://localhost:25", from: "a@b.eu", want: "scheme"},
		{name: "bad sender", url: "smtp://localhost:25", from: "nobody", want: "sender"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := smtp.New(tt.url, tt.from)
			require.ErrorContains(t, err, tt.want)
		})
	}
	m, err := smtp.New("smtp://127.0.0.1:1", "a@b.eu")
	require.NoError(t, err)
	err = m.Send(context.Background(), smtp.Message{To: "x@y.eu", Subject: "s", Body: "b"})
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "connect"), err.Error())
	err = m.Send(context.Background(), smtp.Message{To: "not an address", Subject: "s", Body: "b"})
	require.ErrorContains(t, err, "recipient")
}

func TestAttachments(t *testing.T) {
	t.Parallel()
	sink := smtptest.New(t)
	m, err := smtp.New(sink.URL, "privacy@dsr.example")
	require.NoError(t, err)
	pdf := append([]byte("%PDF-1.3\n"), make([]byte, 300)...)
	require.NoError(t, m.Send(context.Background(), smtp.Message{To: "dpo@vendor.example", Subject: "Weekly SLA report",
		Body: "Attached.", Attachments: []smtp.Attachment{{Name: "sla.pdf", ContentType: "application/pdf", Data: pdf}}}))
	got := sink.Wait(t, 1, 5*time.Second)
	require.Equal(t, "Attached.\n", got[0].Body)
	require.Equal(t, pdf, got[0].Attachments["sla.pdf"])
}
