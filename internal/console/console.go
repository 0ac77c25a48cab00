// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Prefix is the path the console is served under.
const Prefix = "/console/"

// Defaults of Config.
const (
	DefaultSessionTTL = 12 * time.Hour
	DefaultPageSize   = 20
)

// Config configures the console.
type Config struct {
	// AccountID is the account the console signs in to; the sign-in form
	// refuses any other.
	AccountID string
	// Region is the region API calls are signed for.
	Region string
	// SessionTTL is how long a console session lasts from sign-in,
	// whatever its activity. DefaultSessionTTL when zero.
	SessionTTL time.Duration
	// PageSize is the number of rows of a paginated list.
	// DefaultPageSize when zero.
	PageSize int
}

// Deps are the console's collaborators. API, Identity and Sessions are
// required.
type Deps struct {
	// API serves the AWS APIs: the gateway. Every console action is a
	// SigV4-signed request to it, made in process.
	API http.Handler
	// Identity checks console passwords and mints the signed-in
	// principal's temporary credentials.
	Identity Identity
	// Sessions holds console sessions (and their credentials) server-side.
	Sessions SessionStore
	Logger   *slog.Logger
	// Clock is the time source; time.Now when nil.
	Clock func() time.Time
}

// Console is the web console's http.Handler. It is safe for concurrent
// use.
type Console struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	mux   *http.ServeMux
	pages *pages
	api   http.RoundTripper
	// throttle slows password guessing.
	throttle throttle
}

// New returns a Console.
func New(cfg Config, deps Deps) (*Console, error) {
	if deps.API == nil || deps.Identity == nil || deps.Sessions == nil {
		return nil, errors.New("console: Deps.API, Identity and Sessions are required")
	}
	if cfg.AccountID == "" || cfg.Region == "" {
		return nil, errors.New("console: Config.AccountID and Region are required")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, deps: deps, log: deps.Logger, pages: p, api: inProcess{h: deps.API}}
	c.routes()
	return c, nil
}

// Handles reports whether r is for the console rather than the AWS APIs
// served on the same port: a path under /console/ and no SigV4 signature.
// Browsers never sign, so a signed request (say, S3 path-style for a
// bucket named "console") still reaches the APIs.
func Handles(r *http.Request) bool {
	if r.URL.Path != "/console" && !strings.HasPrefix(r.URL.Path, Prefix) {
		return false
	}
	q := r.URL.Query()
	return !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-") && q.Get("X-Amz-Signature") == "" && q.Get("Signature") == ""
}

// ServeHTTP implements http.Handler. Every response carries the security
// headers; pages are never cached.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if r.URL.Path == "/console" {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	if !strings.HasPrefix(r.URL.Path, Prefix+"static/") {
		h.Set("Cache-Control", "no-store")
	}
	c.mux.ServeHTTP(w, r)
}

// routes registers every page. Handlers behind c.auth run only for a
// signed-in session; POST handlers behind it also pass the CSRF check.
func (c *Console) routes() {
	m := http.NewServeMux()
	files := http.StripPrefix(Prefix, http.FileServerFS(staticFS))
	m.HandleFunc("GET /console/static/{file}", files.ServeHTTP)
	m.HandleFunc("GET /console/signin", c.signInPage)
	m.HandleFunc("POST /console/signin", c.signIn)
	m.HandleFunc("GET /console/{$}", c.auth(c.home))
	m.HandleFunc("POST /console/signout", c.auth(c.signOut))
	m.HandleFunc("GET /console/password", c.auth(c.passwordPage))
	m.HandleFunc("POST /console/password", c.auth(c.changePassword))

	m.HandleFunc("GET /console/iam/roles", c.auth(c.roles))
	m.HandleFunc("GET /console/iam/roles/create", c.auth(c.createRolePage))
	m.HandleFunc("POST /console/iam/roles/create", c.auth(c.createRole))
	m.HandleFunc("GET /console/iam/roles/{name}", c.auth(c.role))
	m.HandleFunc("GET /console/iam/roles/{name}/attach", c.auth(c.attachPage))
	m.HandleFunc("POST /console/iam/roles/{name}/attach", c.auth(c.attach))
	m.HandleFunc("POST /console/iam/roles/{name}/detach", c.auth(c.detach))
	m.HandleFunc("GET /console/iam/roles/{name}/trust", c.auth(c.trustPage))
	m.HandleFunc("POST /console/iam/roles/{name}/trust", c.auth(c.updateTrust))
	m.HandleFunc("GET /console/iam/policies", c.auth(c.policies))
	m.HandleFunc("GET /console/iam/policy", c.auth(c.policy))
	m.HandleFunc("GET /console/iam/users", c.auth(c.users))
	m.HandleFunc("GET /console/iam/users/{name}", c.auth(c.user))
	m.HandleFunc("POST /console/iam/users/{name}/password", c.auth(c.setUserPassword))
	m.HandleFunc("POST /console/iam/users/{name}/keys", c.auth(c.createAccessKey))
	m.HandleFunc("POST /console/iam/users/{name}/keys/{id}", c.auth(c.updateAccessKey))

	m.HandleFunc("GET /console/ecs/first-run", c.auth(c.firstRunPage))
	m.HandleFunc("POST /console/ecs/first-run", c.auth(c.firstRun))
	m.HandleFunc("GET /console/ecs/clusters", c.auth(c.clusters))
	m.HandleFunc("GET /console/ecs/clusters/{cluster}", c.auth(c.cluster))
	m.HandleFunc("GET /console/ecs/clusters/{cluster}/tasks/{task}", c.auth(c.task))
	m.HandleFunc("POST /console/ecs/clusters/{cluster}/tasks/{task}/stop", c.auth(c.stopTask))
	m.HandleFunc("GET /console/ecs/clusters/{cluster}/tasks/{task}/logs/{container}", c.auth(c.taskLogs))
	m.HandleFunc("GET /console/ecs/clusters/{cluster}/services/{service}", c.auth(c.service))
	m.HandleFunc("GET /console/ecs/task-definitions", c.auth(c.taskDefinitions))
	m.HandleFunc("GET /console/ecs/task-definitions/register", c.auth(c.registerPage))
	m.HandleFunc("POST /console/ecs/task-definitions/register", c.auth(c.register))
	m.HandleFunc("GET /console/ecs/task-definitions/{family}", c.auth(c.taskDefinitionFamily))
	m.HandleFunc("GET /console/ecs/task-definitions/{family}/{revision}", c.auth(c.taskDefinition))

	m.HandleFunc("GET /console/api/clusters/{cluster}", c.auth(c.apiCluster))
	m.HandleFunc("GET /console/api/clusters/{cluster}/tasks/{task}", c.auth(c.apiTask))
	m.HandleFunc("GET /console/api/logs", c.auth(c.apiLogs))
	m.HandleFunc("/console/", c.notFound)
	c.mux = m
}

func (c *Console) now() time.Time { return c.deps.Clock() }
