// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Cookie names. The session cookie is scoped to the console's path.
const (
	SessionCookie = "berth_console"
	signInCookie  = "berth_console_signin"
)

// refreshBefore is how long before its credentials expire a session gets
// fresh ones.
const refreshBefore = 5 * time.Minute

// ErrNoSession is returned by SessionStore.Get for an unknown session.
var ErrNoSession = errors.New("console: no such session")

// Who is the principal a console session acts as.
type Who struct {
	// Root is true for the account root.
	Root bool `json:"root,omitempty"`
	// UserName is the IAM user's name (empty for the root).
	UserName string `json:"userName,omitempty"`
	// ARN is the principal's ARN.
	ARN       string `json:"arn"`
	AccountID string `json:"accountId"`
	// ResetRequired is set when the user's login profile demands a new
	// password: the console offers nothing but the change-password page
	// until it is changed.
	ResetRequired bool `json:"resetRequired,omitempty"`
}

// Display is how the console names the signed-in principal.
func (w Who) Display() string {
	if w.Root {
		return "root (" + w.AccountID + ")"
	}
	return w.UserName + " @ " + w.AccountID
}

// Credentials are temporary AWS credentials standing for a Who.
type Credentials struct {
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Expires         time.Time `json:"expires"`
}

// Session is one signed-in browser. It is kept server-side only; the
// browser holds a random token whose SHA-256 is ID.
type Session struct {
	ID      string      `json:"id"`
	Who     Who         `json:"who"`
	CSRF    string      `json:"csrf"`
	Created time.Time   `json:"created"`
	Expires time.Time   `json:"expires"`
	Creds   Credentials `json:"creds"`
}

// SessionStore keeps sessions. Implementations are safe for concurrent use;
// a store shared by every replica (the control plane's) makes sign-in and
// sign-out hold across them.
type SessionStore interface {
	// Get returns the session with id, or an error wrapping ErrNoSession.
	Get(ctx context.Context, id string) (*Session, error)
	// Put creates or replaces a session.
	Put(ctx context.Context, s *Session) error
	// Delete removes a session; deleting an unknown one is not an error.
	Delete(ctx context.Context, id string) error
}

// MemorySessions is a SessionStore in this process's memory, for tests
// and single-process servers.
type MemorySessions struct {
	mu sync.Mutex
	m  map[string]Session
}

var _ SessionStore = (*MemorySessions)(nil)

// Get implements SessionStore.
func (m *MemorySessions) Get(_ context.Context, id string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.m[id]
	if !ok {
		return nil, ErrNoSession
	}
	return &s, nil
}

// Put implements SessionStore.
func (m *MemorySessions) Put(_ context.Context, s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]Session{}
	}
	m.m[s.ID] = *s
	return nil
}

// Delete implements SessionStore.
func (m *MemorySessions) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, id)
	return nil
}

// newToken returns 256 random bits, URL-safe.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// sessionID is the store key of a cookie token: its SHA-256, so a leaked
// store dump does not hold usable cookies.
func sessionID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// setSessionCookie sends the session token: HttpOnly, SameSite=Lax,
// Secure over TLS, expiring with the session.
func (c *Console) setSessionCookie(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: Prefix, Expires: expires,
		MaxAge: int(expires.Sub(c.now()).Seconds()), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

func clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// session returns the live session of r, or nil.
func (c *Console) session(r *http.Request) *Session {
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	s, err := c.deps.Sessions.Get(r.Context(), sessionID(ck.Value))
	if err != nil {
		if !errors.Is(err, ErrNoSession) {
			c.log.Warn("console: reading session failed", "err", err)
		}
		return nil
	}
	if !c.now().Before(s.Expires) {
		_ = c.deps.Sessions.Delete(r.Context(), s.ID)
		return nil
	}
	return s
}

// sameOrigin refuses cross-site form posts, beside the CSRF token: a
// browser's Origin (or Sec-Fetch-Site) must name this console's origin.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == ""
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// handler is a console page with its request context; it returns an error
// for the console to render (AccessDenied as the denied page).
type handler func(w http.ResponseWriter, r *http.Request, rq *request) error

// request is one signed-in request.
type request struct {
	sess *Session
	api  *clients
}

// auth runs h for a signed-in session, after the CSRF check of a POST;
// others go to the sign-in page. A session whose user must reset the
// password may only do that, or sign out.
func (c *Console) auth(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.session(r)
		if s == nil {
			if isAPI(r) {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "signed out"})
				return
			}
			next := ""
			if r.Method == http.MethodGet {
				next = "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, Prefix+"signin"+next, http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && (!sameOrigin(r) || !tokensEqual(r.PostFormValue("csrf"), s.CSRF)) {
			c.render(w, r, http.StatusForbidden, "error", &view{Session: s, Title: "Request refused",
				Error: &apiError{Code: "InvalidCSRFToken", Message: "This form was not submitted from this console session (missing or wrong CSRF token). Reload the page and try again."}})
			return
		}
		if s.Who.ResetRequired && r.URL.Path != Prefix+"password" && r.URL.Path != Prefix+"signout" {
			http.Redirect(w, r, Prefix+"password", http.StatusSeeOther)
			return
		}
		if s.Creds.Expires.Sub(c.now()) < refreshBefore {
			if err := c.refresh(r.Context(), s); err != nil {
				c.log.Info("console: session credentials could not be renewed; signing out", "principal", s.Who.ARN, "err", err)
				_ = c.deps.Sessions.Delete(r.Context(), s.ID)
				http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
				return
			}
		}
		rq := &request{sess: s, api: c.clientsFor(r, s)}
		if err := h(w, r, rq); err != nil {
			c.fail(w, r, rq, err)
		}
	}
}

// refresh mints new credentials for s and saves it.
func (c *Console) refresh(ctx context.Context, s *Session) error {
	cr, err := c.deps.Identity.Credentials(ctx, s.Who)
	if err != nil {
		return err
	}
	s.Creds = cr
	return c.deps.Sessions.Put(ctx, s)
}
