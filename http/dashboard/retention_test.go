package dashboard_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dsr/internal/domain"
	"dsr/internal/store"
)

// TestMinimisedRequest shows a request whose subject was replaced by a keyed hash after
// the retention period: the page, the queue, a reveal and the evidence pack answer, and
// say the address was removed.
func TestMinimisedRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	tn := h.tenant("Acme Chat")
	req := h.request(tn, "erasure", "visitor7@example.com", domain.StatusCompleted)
	_, err := h.Store.Minimise(ctx, store.MinimiseOptions{Before: time.Now().Add(time.Hour),
		Hash: func(string, string) string { return "00ff" }})
	require.NoError(t, err)

	b := h.browser()
	token := b.login(h.user(domain.RoleDPO))
	path := "/requests/" + req.ID
	for _, p := range []page{
		b.get(path),
		b.get("/?status=all"),
		b.post(path+"/reveal", url.Values{"csrf_token": {token}}),
	} {
		require.Equal(t, http.StatusOK, p.Status, p.Body)
		require.Contains(t, p.Body, "(removed after retention)")
		require.NotContains(t, p.Body, "visitor7")
		require.NotContains(t, p.Body, store.MinimisedPrefix)
	}
	require.Contains(t, b.get(path).Body, "replaced by a keyed hash", "the minimised event is on the timeline")
	p := b.get(path + "/evidence")
	require.Equal(t, http.StatusOK, p.Status)
}
