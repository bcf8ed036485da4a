// Package engine runs the Temporal server inside the dsr process: the four services on
// loopback with static hosts, persisted in one SQLite file (WAL, synchronous=normal, one
// connection), so that a single binary is a complete, durable installation. Set
// TEMPORAL_ADDRESS to use an external cluster instead; then this package is not used.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"dsr/internal/temporal/dispatch"

	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Options configure the embedded server.
type Options struct {
	// DataDir holds the SQLite file temporal.db; it is created if missing.
	DataDir string
	// Port is the frontend's gRPC port on 127.0.0.1. The history, matching and worker
	// services take the next three ports, and their membership ports are Port+100 to
	// Port+103. Zero picks free ports.
	Port int
	// Namespace is registered at first start.
	Namespace string
	// Retention is how long closed workflows are kept; raised on every boot.
	Retention time.Duration
	// SearchAttributes are added to the namespace on every boot.
	SearchAttributes map[string]enumspb.IndexedValueType
	// LogLevel of the server's own logger: debug, info, warn or error (default warn).
	LogLevel string
}

// Server is a running embedded Temporal server.
type Server struct {
	srv      temporal.Server
	hostPort string
	opts     Options
}

// Start creates the store if needed, starts all services and waits until the frontend
// answers and the namespace is set up.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.Retention == 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.LogLevel == "" {
		o.LogLevel = "warn"
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded temporal: create data dir: %w", err)
	}
	ports, err := choosePorts(o.Port)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: %w", err)
	}
	dbPath := filepath.Join(o.DataDir, "temporal.db")
	sqlCfg := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: dbPath,
		MaxConns:     1,
		MaxIdleConns: 1,
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "1", // NORMAL: durable with WAL, far fewer fsyncs than FULL
			"busy_timeout": "10000",
		},
	}
	if _, err := os.Stat(dbPath); errors.Is(err, os.ErrNotExist) {
		if err := sqliteschema.SetupSchema(sqlCfg); err != nil {
			// Leave no half-made store behind: the next start makes it again.
			for _, f := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
				_ = os.Remove(f)
			}
			return nil, fmt.Errorf("embedded temporal: create schema in %s: %w", dbPath, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("embedded temporal: %w", err)
	}

	cfg := serverConfig(sqlCfg, ports)
	ns, err := sqliteschema.NewNamespaceConfig(cfg.ClusterMetadata.CurrentClusterName, o.Namespace, false, o.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: namespace config: %w", err)
	}
	ns.Detail.Config.Retention = durationpb.New(o.Retention)
	if err := sqliteschema.CreateNamespaces(sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("embedded temporal: register namespace %s: %w", o.Namespace, err)
	}

	logger := log.NewZapLogger(log.BuildZapLogger(log.Config{Level: o.LogLevel, Format: "json"}))
	hosts := map[primitives.ServiceName]static.Hosts{}
	for i, name := range []primitives.ServiceName{primitives.FrontendService, primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		hosts[name] = static.SingleLocalHost(net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i])))
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
	)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: build server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("embedded temporal: start: %w", err)
	}
	s := &Server{srv: srv, hostPort: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])), opts: o}
	if err := s.setup(ctx); err != nil {
		_ = srv.Stop()
		return nil, err
	}
	return s, nil
}

// HostPort is the frontend's address, for client.Dial.
func (s *Server) HostPort() string { return s.hostPort }

// Stop stops every service.
func (s *Server) Stop() error {
	if err := s.srv.Stop(); err != nil {
		return fmt.Errorf("embedded temporal: stop: %w", err)
	}
	return nil
}

// setup waits for the frontend, then raises retention and adds the search attributes; both
// are idempotent and run on every boot so that an older data directory catches up.
func (s *Server) setup(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var c client.Client
	var err error
	for {
		c, err = client.Dial(client.Options{HostPort: s.hostPort, Namespace: s.opts.Namespace, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
		if err == nil {
			_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
			if err == nil {
				break
			}
			c.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("embedded temporal: frontend did not answer: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	defer c.Close()

	_, err = c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: s.opts.Namespace,
		Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(s.opts.Retention)},
	})
	if err != nil {
		return fmt.Errorf("embedded temporal: set retention: %w", err)
	}
	return dispatch.EnsureSearchAttributes(ctx, c, s.opts.Namespace, s.opts.SearchAttributes)
}

func serverConfig(sqlCfg *config.SQL, ports [4]int) *config.Config {
	const clusterName = "active"
	frontend := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	svc := func(i int) config.Service {
		return config.Service{RPC: config.RPC{
			GRPCPort:        ports[i],
			MembershipPort:  ports[i] + 100,
			BindOnLocalHost: true,
		}}
	}
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: "127.0.0.1"},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": svc(0),
			"history":  svc(1),
			"matching": svc(2),
			"worker":   svc(3),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: frontend},
	}
}

// choosePorts returns the four services' gRPC ports: from base on (each, and its membership
// port 100 above, must be free), or free ones.
func choosePorts(base int) ([4]int, error) {
	var ports [4]int
	if base != 0 {
		for i := range ports {
			ports[i] = base + i
		}
		for _, p := range []int{ports[0], ports[1], ports[2], ports[3], ports[0] + 100, ports[1] + 100, ports[2] + 100, ports[3] + 100} {
			if err := portFree(p); err != nil {
				return ports, fmt.Errorf("port %d is taken (set DSR_TEMPORAL_PORT to another port): %w", p, err)
			}
		}
		return ports, nil
	}
	// Below the kernel's ephemeral range (32768 and up), where outgoing connections take
	// their local ports, so a port found free stays free until the server binds it; and
	// never one this process handed out before. (The command's tests take 26000-32000 for
	// the dsr processes they start.)
	pickMu.Lock()
	defer pickMu.Unlock()
	for try := 0; try < 1000; try++ {
		base := 20000 + rand.IntN(6000-110)
		ok := true
		for i := range ports {
			for _, p := range []int{base + i, base + i + 100} {
				if picked[p] || portFree(p) != nil {
					ok = false
				}
			}
		}
		if !ok {
			continue
		}
		for i := range ports {
			ports[i] = base + i
			picked[base+i], picked[base+i+100] = true, true
		}
		return ports, nil
	}
	return ports, errors.New("no free range of ports found between 20000 and 26000")
}

var (
	pickMu sync.Mutex
	picked = map[int]bool{}
)

func portFree(p int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return err
	}
	return l.Close()
}
