// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"errors"
	"hash/maphash"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/iam/authz"
)

// Credentials are temporary credentials a RoleAssumer minted.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// RoleAssumer mints a role's credentials on behalf of an AWS service
// principal (here always ecs-tasks.amazonaws.com). The role's trust policy
// decides; a denial is an error. The control plane wires it to STS.
type RoleAssumer interface {
	AssumeRoleAsService(ctx context.Context, servicePrincipal, roleARN, sessionName string, duration time.Duration) (*Credentials, error)
}

// KeySource supplies the secret key credentials ids are derived from. Every
// replica must get the same key, and the key must survive restarts, since
// running containers keep the id they were started with.
type KeySource interface {
	CredentialsIDKey(ctx context.Context) ([]byte, error)
}

// TaskRolePrincipal is the service principal task roles are assumed as.
const TaskRolePrincipal = "ecs-tasks.amazonaws.com"

// Config tunes the ACS and TCS servers. Zero values take the defaults
// noted; tests shorten the intervals.
type Config struct {
	// HeartbeatInterval and HeartbeatJitter space HeartbeatMessages:
	// each waits HeartbeatInterval plus up to HeartbeatJitter (20 s, and
	// half the interval; negative for none).
	HeartbeatInterval time.Duration
	HeartbeatJitter   time.Duration
	// ResendInterval is how long an unacknowledged message waits before it
	// is sent again (15 s).
	ResendInterval time.Duration
	// InactivityTimeout closes a session whose agent sent nothing, not even
	// a heartbeat acknowledgement, for this long (2 min).
	InactivityTimeout time.Duration
	// ManifestInterval spaces TaskManifestMessages (5 min); negative
	// disables them.
	ManifestInterval time.Duration
	// SyncInterval is how often a session compares the instance's tasks
	// with what it delivered even without a WatchInstance notification
	// (1 min), so a missed notification delays a task, never loses it;
	// negative disables it.
	SyncInterval time.Duration
	// CredentialsDuration is the lifetime of minted task-role credentials
	// (1 h); they are refreshed once less than CredentialsRefreshBefore
	// remains (30 min), and a denied role is retried after
	// CredentialsRetryInterval (1 min).
	CredentialsDuration      time.Duration
	CredentialsRefreshBefore time.Duration
	CredentialsRetryInterval time.Duration
	// MaxTasksPerPayload bounds the tasks of one PayloadMessage (10).
	MaxTasksPerPayload int
	// LogsEndpoint is put in awslogs-endpoint; empty means the URL the
	// agent reached this server at.
	LogsEndpoint string
	// RegistryHosts are registry hosts (host[:port]) served by this
	// control plane's ECR, whose images are pulled with an ECR token.
	RegistryHosts []string
	// WriteTimeout bounds one websocket write (30 s).
	WriteTimeout time.Duration
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.HeartbeatInterval, 20*time.Second)
	def(&c.HeartbeatJitter, c.HeartbeatInterval/2)
	def(&c.ResendInterval, 15*time.Second)
	def(&c.InactivityTimeout, 2*time.Minute)
	def(&c.ManifestInterval, 5*time.Minute)
	def(&c.SyncInterval, time.Minute)
	def(&c.CredentialsDuration, time.Hour)
	def(&c.CredentialsRefreshBefore, c.CredentialsDuration/2)
	def(&c.CredentialsRetryInterval, time.Minute)
	def(&c.WriteTimeout, 30*time.Second)
	if c.MaxTasksPerPayload <= 0 {
		c.MaxTasksPerPayload = 10
	}
	return c
}

// Deps are the servers' collaborators.
type Deps struct {
	Backend agentapi.Backend
	Authz   authz.Authorizer
	// Roles mints task-role credentials; nil gives tasks none.
	Roles RoleAssumer
	// Keys supplies the credentials-id key; nil uses a random key per
	// process (ids then change when the process restarts).
	Keys   KeySource
	Logger *slog.Logger
	// Clock stamps messages; time.Now when nil.
	Clock func() time.Time
}

// Server serves ACS (ACS()) and TCS (TCS()). It is safe for concurrent use.
type Server struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	creds *credCache
	tel   *telemetryStore

	seed    maphash.Seed
	stripes [256]sync.Mutex // serialize Connect/DisconnectAgent per instance

	mu       sync.Mutex
	sessions map[string]*session // ACS, by container-instance ARN
	tcs      map[*tcsSession]struct{}
	closed   bool
	wg       sync.WaitGroup
}

// New returns a Server.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Backend == nil || deps.Authz == nil {
		return nil, errors.New("acs: Backend and Authz are required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	cfg = cfg.withDefaults()
	if cfg.CredentialsRefreshBefore >= cfg.CredentialsDuration {
		return nil, errors.New("acs: CredentialsRefreshBefore must be shorter than CredentialsDuration")
	}
	s := &Server{
		cfg:      cfg,
		deps:     deps,
		log:      deps.Logger,
		seed:     maphash.MakeSeed(),
		sessions: map[string]*session{},
		tcs:      map[*tcsSession]struct{}{},
		tel:      newTelemetryStore(),
	}
	s.creds = newCredCache(cfg, deps.Roles, deps.Keys, deps.Logger)
	return s, nil
}

// ACS returns the handler of the ACS websocket (GET <prefix>/ws?...).
func (s *Server) ACS() http.Handler { return http.HandlerFunc(s.serveACS) }

// TCS returns the handler of the TCS websocket (GET <prefix>/ws?...).
func (s *Server) TCS() http.Handler { return http.HandlerFunc(s.serveTCS) }

// Connected returns the number of ACS sessions this replica serves.
func (s *Server) Connected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close ends every session (close code 1001, so agents reconnect at once,
// to another replica if there is one), refuses new ones and waits until
// the sessions have finished or ctx ends.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for _, ss := range s.sessions {
		ss.cancel(errShutdown)
	}
	for ts := range s.tcs {
		ts.cancel(errShutdown)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var errShutdown = errors.New("acs: server shutting down")

// stripe returns the lock serializing an instance's connect and
// disconnect, so a late DisconnectAgent of an old session can never undo
// the ConnectAgent of its successor on this replica.
func (s *Server) stripe(instanceARN string) *sync.Mutex {
	return &s.stripes[maphash.String(s.seed, instanceARN)%uint64(len(s.stripes))]
}
