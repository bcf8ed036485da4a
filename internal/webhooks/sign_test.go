package webhooks_test

import (
	"context"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/webhooks"
)

func TestSignVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"e1","type":"request.status_changed"}`)
	now := time.Unix(1_700_000_000, 0)
	oldSecret, err := webhooks.NewSecret()
	require.NoError(t, err)
	newSecret, err := webhooks.NewSecret()
	require.NoError(t, err)
	require.NotEqual(t, oldSecret, newSecret)

	h := http.Header{}
	webhooks.Sign(h, "e1", now, body, []string{newSecret, oldSecret})
	require.Equal(t, "e1", h.Get(webhooks.HeaderID))
	require.Equal(t, "1700000000", h.Get(webhooks.HeaderTimestamp))
	require.Regexp(t, `^t=1700000000,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$`, h.Get(webhooks.HeaderSignature))

	tests := []struct {
		name   string
		secret string
		body   []byte
		at     time.Time
		want   error
	}{
		{"current secret", newSecret, body, now, nil},
		{"secret in its overlap", oldSecret, body, now.Add(4 * time.Minute), nil},
		{"wrong secret", "whsec_wrong", body, now, webhooks.ErrBadSignature},
		{"altered body", newSecret, append([]byte{}, append(body, ' ')...), now, webhooks.ErrBadSignature},
		{"old timestamp", newSecret, body, now.Add(6 * time.Minute), webhooks.ErrStale},
		{"future timestamp", newSecret, body, now.Add(-6 * time.Minute), webhooks.ErrStale},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := webhooks.Verify(h, tc.body, tc.secret, tc.at, 0)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}

	// A timestamp header that the signature does not cover is refused.
	forged := h.Clone()
	forged.Set(webhooks.HeaderTimestamp, "1700000100")
	require.ErrorIs(t, webhooks.Verify(forged, body, newSecret, now.Add(100*time.Second), 0), webhooks.ErrNoSignature)
	require.ErrorIs(t, webhooks.Verify(http.Header{}, body, newSecret, now, 0), webhooks.ErrNoSignature)
}

func TestGuard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	strict := &webhooks.Guard{}
	for _, u := range []string{
		"https://10.1.2.3/hook", "https://192.168.1.10/hook", "https://169.254.169.254/latest/meta-data",
		"https://[::1]/hook", "https://127.0.0.1/hook", "https://100.64.0.1/hook", "https://[fd00::1]/hook",
		"https://[::ffff:10.0.0.1]/hook", "https://0.0.0.0/hook", "https://224.0.0.1/hook", "https://[fe80::1]/hook",
		"https://172.16.0.1/hook", "https://localhost/hook",
	} {
		require.Error(t, strict.CheckURL(ctx, u), u)
	}
	for _, u := range []string{"http://93.184.216.34/hook", "ftp://93.184.216.34/", "https://user:pw@93.184.216.34/", "/relative", "https://"} {
		require.Error(t, strict.CheckURL(ctx, u), u)
	}
	require.NoError(t, strict.CheckURL(ctx, "https://93.184.216.34/hook"))

	nets, err := webhooks.ParseNets("127.0.0.0/8, ::1/128")
	require.NoError(t, err)
	loop := &webhooks.Guard{Allow: nets}
	require.NoError(t, loop.CheckURL(ctx, "https://127.0.0.1:8443/hook"))
	require.NoError(t, loop.CheckURL(ctx, "http://127.0.0.1:8080/hook"), "http to loopback")
	require.NoError(t, loop.CheckURL(ctx, "https://[::1]:8443/hook"))
	require.Error(t, loop.CheckURL(ctx, "https://10.0.0.1/hook"), "only the allowed nets")
	require.Error(t, loop.CheckAddr(netip.MustParseAddr("192.168.0.1")))
	_, err = webhooks.ParseNets("10.0.0.0/33")
	require.Error(t, err)
}

func TestPolicyWait(t *testing.T) {
	t.Parallel()
	p := webhooks.DefaultPolicy
	require.Equal(t, 30*time.Second, p.Wait(1))
	require.Equal(t, time.Minute, p.Wait(2))
	require.Equal(t, 4*time.Minute, p.Wait(4))
	require.Equal(t, 6*time.Hour, p.Wait(20))
	require.Equal(t, 6*time.Hour, p.Wait(1000))
}
