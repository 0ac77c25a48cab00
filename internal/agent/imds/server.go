// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package imds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/logkey"
)

// Header names of the IMDSv2 session protocol.
const (
	HeaderToken    = "X-Aws-Ec2-Metadata-Token"
	HeaderTokenTTL = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"
)

// Instance describes the instance the service speaks for.
type Instance struct {
	InstanceID       string
	ImageID          string // ami-id
	InstanceType     string
	LocalIPv4        string
	Hostname         string
	MAC              string
	VPCID, SubnetID  string // optional: network/interfaces/macs/<mac>/{vpc-id,subnet-id}
	Region           string
	AvailabilityZone string
	AccountID        string
	Architecture     string // x86_64, arm64
	PendingTime      time.Time
	// InstanceProfileARN and InstanceProfileID fill iam/info when the
	// credentials do not name their instance profile.
	InstanceProfileARN string
	InstanceProfileID  string
}

// Config configures a Server.
type Config struct {
	Instance Instance
	// AllowIMDSv1 serves GETs without a session token; false refuses them
	// with 401, like an instance with HttpTokens=required.
	AllowIMDSv1 bool
}

// Deps are a Server's collaborators.
type Deps struct {
	// Credentials serves iam/; nil means the instance has no role.
	Credentials CredentialGetter
	// Identity signs the identity document; nil serves an unsigned one.
	Identity IdentitySource
	Clock    Clock
	Logger   *slog.Logger
}

// Server is the instance metadata service, an http.Handler safe for
// concurrent use.
type Server struct {
	cfg    Config
	deps   Deps
	log    *slog.Logger
	tokens *tokens
	static map[string]string // path under meta-data/ → leaf value

	idMu sync.Mutex
	id   *Identity
}

var _ http.Handler = (*Server)(nil)

// New returns a Server.
func New(cfg Config, deps Deps) (*Server, error) {
	tk, err := newTokens()
	if err != nil {
		return nil, err
	}
	if deps.Clock == nil {
		deps.Clock = realClock{}
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, deps: deps, log: log.With(logkey.Service, "imds"), tokens: tk}
	s.static = staticLeaves(cfg.Instance)
	return s, nil
}

// Serve serves s on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("imds: serve: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		<-errc
		return nil
	}
}

var versionRE = regexp.MustCompile(`^(latest|\d{4}-\d{2}-\d{2}|1\.0)$`)

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "EC2ws")
	if r.URL.Path == "/latest/api/token" {
		s.token(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		text(w, http.StatusMethodNotAllowed, "405 - Method Not Allowed")
		return
	}
	if !s.authorized(r) {
		text(w, http.StatusUnauthorized, "401 - Unauthorized")
		return
	}
	p := strings.Trim(r.URL.Path, "/")
	if p == "" {
		text(w, http.StatusOK, "latest")
		return
	}
	version, rest, _ := strings.Cut(p, "/")
	if !versionRE.MatchString(version) {
		notFound(w)
		return
	}
	body, status := s.lookup(r.Context(), rest)
	if status != http.StatusOK {
		if status == http.StatusNotFound {
			notFound(w)
		} else {
			text(w, status, strconv.Itoa(status)+" - "+http.StatusText(status))
		}
		return
	}
	text(w, http.StatusOK, body)
}

// token answers PUT /latest/api/token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		text(w, http.StatusMethodNotAllowed, "405 - Method Not Allowed")
		return
	}
	// EC2 refuses token requests that went through a proxy.
	if r.Header.Get("X-Forwarded-For") != "" {
		text(w, http.StatusForbidden, "403 - Forbidden")
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get(HeaderTokenTTL))
	if err != nil || ttl < 1 || time.Duration(ttl)*time.Second > MaxTokenTTL {
		text(w, http.StatusBadRequest, "400 - Bad Request")
		return
	}
	tok := s.tokens.mint(s.deps.Clock.Now(), time.Duration(ttl)*time.Second)
	w.Header().Set(HeaderTokenTTL, strconv.Itoa(ttl))
	text(w, http.StatusOK, tok)
}

// authorized applies the token rule to a GET.
func (s *Server) authorized(r *http.Request) bool {
	tok, present := r.Header[http.CanonicalHeaderKey(HeaderToken)]
	if !present {
		return s.cfg.AllowIMDSv1
	}
	return len(tok) == 1 && s.tokens.valid(tok[0], s.deps.Clock.Now())
}

func text(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func notFound(w http.ResponseWriter) { text(w, http.StatusNotFound, "404 - Not Found") }

// credentials returns the instance credentials, or ok=false when there is
// no role; status is 503 when they cannot be had.
func (s *Server) credentials(ctx context.Context) (c Credentials, ok bool, status int) {
	if s.deps.Credentials == nil {
		return Credentials{}, false, http.StatusNotFound
	}
	c, err := s.deps.Credentials.Get(ctx)
	switch {
	case errors.Is(err, ErrNoRole):
		return Credentials{}, false, http.StatusNotFound
	case err != nil:
		s.log.Warn("no instance credentials to serve", logkey.Err, err)
		return Credentials{}, false, http.StatusServiceUnavailable
	}
	return c, true, http.StatusOK
}
