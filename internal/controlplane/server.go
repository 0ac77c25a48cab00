// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/logkey"
	"github.com/berthdev/berth/internal/logstore"
	"github.com/berthdev/berth/internal/registry"
	ecrsvc "github.com/berthdev/berth/internal/service/ecr"
	ecssvc "github.com/berthdev/berth/internal/service/ecs"
	iamsvc "github.com/berthdev/berth/internal/service/iam"
	logssvc "github.com/berthdev/berth/internal/service/logs"
	s3svc "github.com/berthdev/berth/internal/service/s3"
	stssvc "github.com/berthdev/berth/internal/service/sts"
	"github.com/berthdev/berth/internal/store"
)

// Config configures the control plane; see `berth server --help`.
type Config struct {
	Listen        string
	DataDir       string
	Region        string
	AccountID     string
	EtcdEndpoints []string
	// AuthMode is "sigv4" (default) or "open".
	AuthMode string
	// TestMode enables the reset endpoints.
	TestMode bool
	// RegistryHost is the host[:port] docker reaches the registry at, in
	// ECR repository URIs and proxy endpoints; empty means the listen
	// address.
	RegistryHost string
	// RegistryStorage is where the registry keeps images: empty is
	// DATA_DIR/registry, s3://bucket/prefix?… an S3-compatible bucket (see
	// registry.Config.Storage). It may hold a secret key: never logged.
	RegistryStorage string
	// RequireIdentityDocument makes RegisterContainerInstance refuse
	// registrations without a signed instance identity document (the
	// default accepts them, as ECS does for an agent run with ECS_NO_IID;
	// simulated agents register that way).
	RequireIdentityDocument bool
}

// Deps are the control plane's collaborators.
type Deps struct {
	Logger *slog.Logger
	// Clock is the time source of every service; time.Now when nil.
	Clock func() time.Time
}

// Server is a running control plane.
type Server struct {
	cfg  Config
	deps Deps
	log  *slog.Logger

	store *store.Store
	iam   *iamsvc.Service
	sts   *stssvc.Service
	s3    *s3svc.Service
	ecs   *ecssvc.Service
	ecr   *ecrsvc.Service
	// registry is the OCI registry behind ECR, served under /v2/.
	registry *registry.Registry
	logs     *logssvc.Service
	// logEvents is the event store under DATA_DIR/logs.
	logEvents *logstore.Store
	authz     *authz.Engine
	gw        *gateway.Gateway

	ln       net.Listener
	http     *http.Server
	ready    atomic.Bool
	rootID   string
	rootKey  string
	credFile string

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New validates cfg and returns an unstarted Server.
func New(cfg Config, deps Deps) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:4566"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if !arn.IsAccountID(cfg.AccountID) {
		return nil, fmt.Errorf("controlplane: --account-id %q must be 12 digits", cfg.AccountID)
	}
	switch cfg.AuthMode {
	case "":
		cfg.AuthMode = "sigv4"
	case "sigv4", "open":
	default:
		return nil, fmt.Errorf("controlplane: --auth %q: want sigv4 or open", cfg.AuthMode)
	}
	if cfg.DataDir == "" {
		return nil, errors.New("controlplane: a data dir is required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	return &Server{cfg: cfg, deps: deps, log: deps.Logger}, nil
}

// Start opens the store, builds the services, bootstraps the root key and
// starts serving. It returns once the server answers requests.
func (s *Server) Start(ctx context.Context) error {
	if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("controlplane: data dir: %w", err)
	}
	s.log.Info("opening store", logkey.DataDir, s.cfg.DataDir, "external", len(s.cfg.EtcdEndpoints) > 0)
	st, err := store.Open(ctx, store.Config{DataDir: s.cfg.DataDir, Endpoints: s.cfg.EtcdEndpoints, Logger: s.log})
	if err != nil {
		return err
	}
	s.store = st
	if err := s.build(); err != nil {
		st.Close()
		return err
	}
	if err := s.bootstrapRoot(ctx); err != nil {
		st.Close()
		return err
	}
	handler, err := s.withConsole(ctx, s.gw)
	if err != nil {
		st.Close()
		return err
	}
	handler = s.withRegistry(handler)
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		st.Close()
		return fmt.Errorf("controlplane: listen: %w", err)
	}
	s.ln = ln
	s.http = &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.goRun(func() error { return s.iam.Run(runCtx) })
	s.goRun(func() error { return s.sts.Run(runCtx) })
	s.goRun(func() error { return s.ecs.Run(runCtx) })
	s.goRun(func() error { return s.s3.Run(runCtx) })
	s.goRun(func() error { return s.logs.Run(runCtx) })
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", logkey.Err, err)
		}
	}()
	s.ready.Store(true)
	return nil
}

// goRun runs a background loop until Close.
func (s *Server) goRun(fn func() error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := fn(); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("background loop stopped", logkey.Err, err)
		}
	}()
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// CredentialsFile returns the path of the root credentials file.
func (s *Server) CredentialsFile() string { return s.credFile }

// RootCredentials returns the account root's access key.
func (s *Server) RootCredentials() (id, secret string) { return s.rootID, s.rootKey }

// Handler returns the gateway, for in-process tests and benchmarks.
func (s *Server) Handler() http.Handler { return s.gw }

// Close stops serving, waits for in-flight requests (until ctx ends) and
// closes the store. Every acknowledged write is already durable.
func (s *Server) Close(ctx context.Context) error {
	s.ready.Store(false)
	var errs []error
	if s.http != nil {
		if err := s.http.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	if s.registry != nil {
		if err := s.registry.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.logEvents != nil {
		if err := s.logEvents.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// bootstrapRoot makes sure the account root has an access key and that the
// credentials file holds it. The key lives in the store, so replicas and
// restarts agree; the environment supplies it only on first start.
func (s *Server) bootstrapRoot(ctx context.Context) error {
	s.credFile = filepath.Join(s.cfg.DataDir, "credentials")
	k, err := s.iam.RootAccessKey(ctx)
	switch {
	case err == nil:
		s.rootID, s.rootKey = k.AccessKeyID, k.Secret
	case errors.Is(err, iamsvc.ErrNotFound):
		id, secret, err := rootKeyFromEnv()
		if err != nil {
			return err
		}
		if _, err := s.iam.EnsureRootAccessKey(ctx, id, secret); err != nil {
			return err
		}
		if k, err = s.iam.RootAccessKey(ctx); err != nil {
			return err
		}
		s.rootID, s.rootKey = k.AccessKeyID, k.Secret
		s.log.Info("created the account root's access key", logkey.AccessKey, logkey.Redact(s.rootID))
	default:
		return err
	}
	return writeCredentialsFile(s.credFile, s.rootID, s.rootKey, s.cfg.Region)
}
