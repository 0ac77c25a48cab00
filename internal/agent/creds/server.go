// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package creds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/logkey"
)

// Config configures a Server.
type Config struct {
	// RateLimit is the steady request rate allowed per source address;
	// 0 means 40 per second (the ECS agent's default), < 0 disables.
	RateLimit float64
	// RateBurst is the burst above RateLimit; 0 means 60.
	RateBurst int
	// SettleTimeout bounds how long a request from an unknown source waits
	// while a container is starting (see the package doc); 0 means 3s.
	SettleTimeout time.Duration
}

// Deps are a Server's collaborators.
type Deps struct {
	Credentials Manager   // required
	Registry    *Registry // required
	// Stats serves the stats endpoints; nil answers them with {}.
	Stats docker.StatsReader
	// HostAddrs lists the host's own addresses (requests from them are
	// host-originated); nil means the addresses of every interface.
	HostAddrs func() ([]netip.Addr, error)
	Logger    *slog.Logger
}

// Server is the task credentials and metadata endpoint, an http.Handler.
// It is safe for concurrent use.
type Server struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	limit *limiter
	mux   *http.ServeMux

	hostMu    sync.Mutex
	hostAddrs map[netip.Addr]bool
	hostAt    time.Time
}

var _ http.Handler = (*Server)(nil)

// New returns a Server.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Credentials == nil || deps.Registry == nil {
		return nil, errors.New("creds: New needs Credentials and Registry")
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = 40
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = 60
	}
	if cfg.SettleTimeout <= 0 {
		cfg.SettleTimeout = 3 * time.Second
	}
	if deps.HostAddrs == nil {
		deps.HostAddrs = interfaceAddrs
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, deps: deps, log: log.With(logkey.Service, "task-metadata"), limit: newLimiter(cfg.RateLimit, cfg.RateBurst)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/credentials", s.credentialsV1)
	mux.HandleFunc("GET /v2/credentials", s.credentialsV2)
	mux.HandleFunc("GET /v2/credentials/{id...}", s.credentialsV2)
	for _, v := range []string{"v3", "v4"} {
		mux.HandleFunc("GET /"+v+"/{eid}", s.metadata(v, "container"))
		mux.HandleFunc("GET /"+v+"/{eid}/task", s.metadata(v, "task"))
		mux.HandleFunc("GET /"+v+"/{eid}/taskWithTags", s.metadata(v, "task"))
		mux.HandleFunc("GET /"+v+"/{eid}/stats", s.metadata(v, "stats"))
		mux.HandleFunc("GET /"+v+"/{eid}/task/stats", s.metadata(v, "task-stats"))
	}
	s.mux = mux
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	src, err := remoteAddr(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "unparseable source address")
		return
	}
	if !s.limit.allow(src, time.Now()) {
		writeError(w, http.StatusTooManyRequests, "TooManyRequests", "You have reached maximum request limit.")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Serve serves s on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, s)
}

func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("creds: serve: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		<-errc
		return nil
	}
}

func remoteAddr(r *http.Request) (netip.Addr, error) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("creds: remote address %q: %w", r.RemoteAddr, err)
	}
	return ap.Addr().Unmap(), nil
}

// isHost reports whether a is one of the host's own addresses.
func (s *Server) isHost(a netip.Addr) bool {
	if a.IsLoopback() {
		return true
	}
	s.hostMu.Lock()
	defer s.hostMu.Unlock()
	if s.hostAddrs == nil || time.Since(s.hostAt) > 10*time.Second || !s.hostAddrs[a] && time.Since(s.hostAt) > time.Second {
		addrs, err := s.deps.HostAddrs()
		if err != nil {
			s.log.Warn("listing host addresses", logkey.Err, err)
		} else {
			s.hostAddrs = map[netip.Addr]bool{}
			for _, h := range addrs {
				s.hostAddrs[h.Unmap()] = true
			}
			s.hostAt = time.Now()
		}
	}
	return s.hostAddrs[a]
}

func interfaceAddrs() ([]netip.Addr, error) {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("creds: interface addresses: %w", err)
	}
	out := make([]netip.Addr, 0, len(as))
	for _, a := range as {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out, nil
}

// mayRead decides whether a request from src may read what belongs to
// taskARN; role is the role type of the credentials read ("" for
// metadata).
func (s *Server) mayRead(ctx context.Context, src netip.Addr, taskARN string, role RoleType) bool {
	if s.isHost(src) {
		return s.deps.Registry.HostNetwork(taskARN) || role == RoleTaskExecution
	}
	owner, ok := s.deps.Registry.TaskForAddr(ctx, src, s.cfg.SettleTimeout)
	return ok && owner == taskARN
}

// errorBody is the ECS agent's error JSON.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":"InternalServerError","message":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
