package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUserCreateAndSignIn makes a dashboard user with `dsr user create` and signs in to
// the dashboard that `dsr serve` serves.
func TestUserCreateAndSignIn(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dsr serve; skipped in -short mode")
	}
	t.Parallel()
	in := newInstall(t)
	pw := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(pw, []byte("a long enough passphrase\n"), 0o600))

	var u struct{ ID, Email, Role string }
	require.NoError(t, json.Unmarshal(in.run("user", "create", "--email", "dpo@vendor.example", "--role", "dpo", "--password-file", pw), &u))
	require.Equal(t, "dpo@vendor.example", u.Email)
	require.Equal(t, "dpo", u.Role)
	require.NotEmpty(t, u.ID)

	for name, args := range map[string][]string{
		"exists":      {"--email", "DPO@vendor.example", "--role", "viewer", "--password-file", pw},
		"bad role":    {"--email", "x@vendor.example", "--role", "owner", "--password-file", pw},
		"no password": {"--email", "x@vendor.example", "--role", "dpo"},
		"no file":     {"--email", "x@vendor.example", "--role", "dpo", "--password-file", pw + ".missing"},
	} {
		cmd := exec.Command(binary, append([]string{"user", "create"}, args...)...)
		cmd.Env = in.env
		out, err := cmd.CombinedOutput()
		require.Error(t, err, name)
		require.NotEmpty(t, out, name)
	}
	short := exec.Command(binary, "user", "create", "--email", "x@vendor.example", "--role", "dpo", "--password-file", "-")
	short.Env, short.Stdin = in.env, strings.NewReader("short\n")
	out, err := short.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "at least 12 characters")

	in.serve()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}
	base := "http://" + in.http
	resp, err := c.Get(base + "/")
	require.NoError(t, err)
	page := readAll(t, resp)
	require.Equal(t, base+"/login", resp.Request.URL.String(), "the queue sends a stranger to sign in")
	token := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	require.NotNil(t, token)
	resp, err = c.PostForm(base+"/login", url.Values{"email": {"dpo@vendor.example"}, "password": {"a long enough passphrase"}, "csrf_token": {token[1]}})
	require.NoError(t, err)
	page = readAll(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "<h1>Queue</h1>")
	require.Contains(t, page, "dpo@vendor.example")
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}
