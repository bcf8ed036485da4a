package temporalserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver, to drop the databases
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"dsr/internal/testkit"
	"dsr/internal/testkit/pgtest"
)

// module is the Go module the binaries are built from, at the version go.mod pins.
const module = "go.temporal.io/server"

// Binaries are the official server and its SQL schema tool, built from the pinned module.
type Binaries struct {
	// Server is temporal-server (cmd/server), SQL the schema tool (cmd/tools/sql).
	Server, SQL string
	// ModuleDir is the module's directory in the module cache: its schemas and configs.
	ModuleDir string
	// Version is the module's version.
	Version string
}

// Build builds the binaries once per version into the user's cache directory
// (dsr-testkit/temporal-<version>, beside Go's build cache) and reuses them afterwards; the
// first build takes minutes. Concurrent builds wait for each other (a file lock).
func Build(t testing.TB) Binaries {
	t.Helper()
	root := testkit.RepoRoot(t)
	out, err := goCmd(root, "list", "-m", "-f", "{{.Version}} {{.Dir}}", module).Output()
	require.NoError(t, err, "go list -m %s", module)
	version, dir, ok := strings.Cut(strings.TrimSpace(string(out)), " ")
	require.True(t, ok && dir != "", "module %s is not in the module cache: %s", module, out)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	binDir := filepath.Join(cache, "dsr-testkit", "temporal-"+version)
	b := Binaries{Server: filepath.Join(binDir, "server"), SQL: filepath.Join(binDir, "sql"), ModuleDir: dir, Version: version}
	require.NoError(t, os.MkdirAll(binDir, 0o755))

	lock, err := os.OpenFile(filepath.Join(binDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	defer lock.Close()
	require.NoError(t, syscall.Flock(int(lock.Fd()), syscall.LOCK_EX))
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	if exists(b.Server) && exists(b.SQL) {
		return b
	}
	tmp, err := os.MkdirTemp(binDir, "build-")
	require.NoError(t, err)
	defer os.RemoveAll(tmp)
	start := time.Now()
	t.Logf("building temporal-server and its SQL tool %s (minutes the first time)", version)
	build := goCmd(root, "build", "-o", tmp+string(filepath.Separator), module+"/cmd/server", module+"/cmd/tools/sql")
	msg, err := build.CombinedOutput()
	require.NoError(t, err, "go build %s/cmd/server and cmd/tools/sql: %s", module, msg)
	require.NoError(t, os.Rename(filepath.Join(tmp, "sql"), b.SQL))
	require.NoError(t, os.Rename(filepath.Join(tmp, "server"), b.Server))
	t.Logf("built in %s", time.Since(start).Round(time.Second))
	return b
}

func goCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	return cmd
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Options shape the cluster.
type Options struct {
	// Certs, when set, serve the frontend with TLS and require client certificates that
	// their CA issued (mutual TLS); the server's own workers use the client certificate.
	Certs *Certs
	// Issuer, when set, turns authorization on: the default JWT claim mapper and
	// authorizer, with the issuer's keys; callers need its tokens (API keys).
	Issuer *Issuer
}

// Server is a running Temporal cluster of one node on PostgreSQL.
type Server struct {
	// Address is the frontend's host:port on loopback.
	Address string
	// Certs are the TLS certificates, when the frontend uses TLS.
	Certs *Certs
	// LogFile holds the server's output.
	LogFile string
}

// Start builds the binaries (Build), creates two fresh PostgreSQL databases (default and
// visibility stores) with the module's schemas applied by its SQL tool, writes a config
// with free loopback ports, starts temporal-server and waits until the frontend answers.
// Everything is stopped and dropped when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bins := Build(t)
	dir := t.TempDir()
	pg, err := url.Parse(pgtest.BaseURL())
	require.NoError(t, err)
	suffix := make([]byte, 5)
	_, err = rand.Read(suffix)
	require.NoError(t, err)
	dbs := [2]string{"temporal_" + hex.EncodeToString(suffix), "temporal_" + hex.EncodeToString(suffix) + "_vis"}
	t.Cleanup(func() { dropDatabases(t, pg, dbs[:]) })
	for i, kind := range []string{"temporal", "visibility"} {
		setupSchema(t, bins, pg, dbs[i], kind)
	}

	// frontend, history, matching, worker gRPC; their membership ports; the frontend's
	// HTTP port, pprof, metrics; the internal frontend's gRPC and membership ports.
	ports := freePorts(t, 13)
	// The membership table keeps ports as smallint: those must be below 32768 (and above
	// the ranges the engine's and the command's tests take, 20000-32000).
	members := membershipPorts(t, 5)
	copy(ports[4:8], members)
	ports[12] = members[4]
	s := &Server{Address: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])), Certs: o.Certs, LogFile: filepath.Join(dir, "server.log")}
	cfgFile := filepath.Join(dir, "config.yaml")
	dynFile := filepath.Join(dir, "dynamic.yaml")
	require.NoError(t, os.WriteFile(dynFile, []byte(dynamicConfig), 0o600))
	writeConfig(t, cfgFile, configData{
		Ports: ports, Databases: dbs, Host: pg.Hostname(), Port: pg.Port(), User: pg.User.Username(), Password: password(pg),
		Certs: o.Certs, DynamicConfig: dynFile, Issuer: o.Issuer,
	})

	logf, err := os.Create(s.LogFile)
	require.NoError(t, err)
	args := []string{"--config-file", cfgFile, "--allow-no-auth", "start"}
	if o.Issuer != nil {
		// With an authorizer, the server's own workers reach the frontend through the
		// internal frontend, which trusts the cluster's nodes.
		for _, svc := range []string{"frontend", "internal-frontend", "history", "matching", "worker"} {
			args = append(args, "--service", svc)
		}
	}
	cmd := exec.Command(bins.Server, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	// exited is closed when the process has ended; waitErr is then its exit.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); logf.Close(); close(exited) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
	}
	t.Cleanup(stop)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("temporal-server's last lines:\n%s", s.logTail())
		}
	})
	if err := s.waitReady(exited, &waitErr); err != nil {
		stop()
		t.Fatalf("temporal-server did not come up: %v\n%s", err, s.logTail())
	}
	return s
}

// waitReady waits for up to three minutes until the frontend answers a health check.
func (s *Server) waitReady(exited <-chan struct{}, waitErr *error) error {
	o := client.Options{HostPort: s.Address, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}
	if s.Certs != nil {
		cfg, err := s.Certs.ClientTLS()
		if err != nil {
			return err
		}
		o.ConnectionOptions.TLS = cfg
	}
	deadline := time.Now().Add(3 * time.Minute)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("it exited: %v", *waitErr)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := client.DialContext(ctx, o)
		if err == nil {
			_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
			c.Close()
		}
		cancel()
		if err == nil {
			return nil
		}
		last = err
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("no answer within 3 minutes: %w", last)
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.LogFile)
	if len(b) > 8000 {
		b = b[len(b)-8000:]
	}
	return string(b)
}

// ClientTLS is a client's TLS configuration for these certificates: the CA and the client
// certificate.
func (c Certs) ClientTLS() (*tls.Config, error) {
	pemCA, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCA) {
		return nil, errors.New("no CA certificate in " + c.CAFile)
	}
	pair, err := tls.LoadX509KeyPair(c.ClientCertFile, c.ClientKey)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

// setupSchema creates database db and applies the module's schema kind ("temporal" or
// "visibility") with the SQL tool, as the official set-up does: the versioning tables,
// then every versioned step.
func setupSchema(t testing.TB, bins Binaries, pg *url.URL, db, kind string) {
	t.Helper()
	base := []string{"--plugin", "postgres12", "--ep", pg.Hostname(), "--port", pg.Port(), "--user", pg.User.Username(), "--db", db}
	if p := password(pg); p != "" {
		base = append(base, "--password", p)
	}
	for _, step := range [][]string{
		{"create-database"},
		{"setup-schema", "-v", "0.0"},
		{"update-schema", "-d", filepath.Join(bins.ModuleDir, "schema", "postgresql", "v12", kind, "versioned")},
	} {
		cmd := exec.Command(bins.SQL, append(append([]string{}, base...), step...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "temporal sql tool %s on %s: %s", step[0], db, out)
	}
}

func dropDatabases(t testing.TB, pg *url.URL, dbs []string) {
	admin := *pg
	admin.Path = "/postgres"
	db, err := sql.Open("postgres", admin.String())
	if err != nil {
		t.Logf("drop temporal databases: %v", err)
		return
	}
	defer db.Close()
	for _, name := range dbs {
		if _, err := db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	}
}

func password(u *url.URL) string {
	p, _ := u.User.Password()
	return p
}

// freePorts returns n distinct free ports on loopback.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

var (
	pickMu sync.Mutex
	picked = map[int]bool{}
)

// membershipPorts returns n free ports between 32000 and 32767 that this process has not
// handed out before.
func membershipPorts(t testing.TB, n int) []int {
	t.Helper()
	pickMu.Lock()
	defer pickMu.Unlock()
	var ports []int
	for try := 0; try < 2000 && len(ports) < n; try++ {
		p := 32000 + mrand.IntN(768)
		if picked[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		l.Close()
		picked[p] = true
		ports = append(ports, p)
	}
	require.Len(t, ports, n, "free ports between 32000 and 32767")
	return ports
}

type configData struct {
	// Ports: frontend, history, matching, worker gRPC; their membership ports; the
	// frontend's HTTP port, pprof, metrics.
	Ports            []int
	Databases        [2]string
	Host, Port, User string
	Password         string
	Certs            *Certs
	DynamicConfig    string
	Issuer           *Issuer
}

func writeConfig(t testing.TB, path string, d configData) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, configTemplate.Execute(&buf, d))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
}

// configTemplate follows the module's config/development-postgres12.yaml, with the ports
// and databases of this test, TLS on the frontend, and archival off.
var configTemplate = template.Must(template.New("config").Parse(`log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
{{- range $i, $name := .Databases}}
    {{if eq $i 0}}postgres-default{{else}}postgres-visibility{{end}}:
      sql:
        pluginName: "postgres12"
        databaseName: "{{$name}}"
        connectAddr: "{{$.Host}}:{{$.Port}}"
        connectProtocol: "tcp"
        user: "{{$.User}}"
        password: "{{$.Password}}"
        maxConns: {{if eq $i 0}}10{{else}}2{{end}}
        maxIdleConns: {{if eq $i 0}}10{{else}}2{{end}}
        maxConnLifetime: "1h"
{{- end}}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  pprof:
    port: {{index .Ports 9}}
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:{{index .Ports 10}}"
{{- with .Issuer}}
  authorization:
    jwtKeyProvider:
      keySourceURIs: ["{{.JWKSURL}}"]
      refreshInterval: 1m
    permissionsClaimName: permissions
    authorizer: default
    claimMapper: default
{{- end}}
{{- with .Certs}}
  tls:
    frontend:
      server:
        certFile: "{{.ServerCertFile}}"
        keyFile: "{{.ServerKey}}"
        requireClientAuth: true
        clientCaFiles: ["{{.CAFile}}"]
      client:
        serverName: "localhost"
        rootCaFiles: ["{{.CAFile}}"]
    systemWorker:
      certFile: "{{.ClientCertFile}}"
      keyFile: "{{.ClientKey}}"
      client:
        serverName: "localhost"
        rootCaFiles: ["{{.CAFile}}"]
{{- end}}

services:
  frontend:
    rpc:
      grpcPort: {{index .Ports 0}}
      membershipPort: {{index .Ports 4}}
      bindOnLocalHost: true
      httpPort: {{index .Ports 8}}
  history:
    rpc:
      grpcPort: {{index .Ports 1}}
      membershipPort: {{index .Ports 5}}
      bindOnLocalHost: true
  matching:
    rpc:
      grpcPort: {{index .Ports 2}}
      membershipPort: {{index .Ports 6}}
      bindOnLocalHost: true
  worker:
    rpc:
      grpcPort: {{index .Ports 3}}
      membershipPort: {{index .Ports 7}}
      bindOnLocalHost: true
{{- if .Issuer}}
  internal-frontend:
    rpc:
      grpcPort: {{index .Ports 11}}
      membershipPort: {{index .Ports 12}}
      bindOnLocalHost: true
{{- end}}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "localhost:{{index .Ports 0}}"

dcRedirectionPolicy:
  policy: "noop"

archival:
  history:
    state: "disabled"
  visibility:
    state: "disabled"

namespaceDefaults:
  archival:
    history:
      state: "disabled"
    visibility:
      state: "disabled"

{{- if not .Issuer}}

publicClient:
  hostPort: "localhost:{{index .Ports 0}}"
{{- end}}

dynamicConfigClient:
  filepath: "{{.DynamicConfig}}"
  pollInterval: "10s"
`))

// dynamicConfig: search attributes added are seen at once (as in the module's
// development config), so a namespace set up a moment ago is usable at once.
const dynamicConfig = `system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
    constraints: {}
limit.maxIDLength:
  - value: 255
    constraints: {}
`
