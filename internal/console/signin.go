// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// ErrSignInFailed is what Identity.SignIn returns for a wrong password, an
// unknown user or a user without a console password: the console tells
// them apart to nobody.
var ErrSignInFailed = errors.New("console: sign-in failed")

// Identity checks console passwords and mints the temporary credentials
// a signed-in principal acts with. The control plane implements it over
// IAM and STS.
type Identity interface {
	// SignIn checks password for userName, or for the account root when
	// userName is empty, and returns who signed in; ErrSignInFailed
	// (wrapped) when the password does not match.
	SignIn(ctx context.Context, userName, password string) (Who, error)
	// Credentials mints temporary credentials for who, standing for that
	// principal and no other (an STS GetSessionToken session): every
	// console action is authorized as who. An error means who may no
	// longer act (the user was deleted).
	Credentials(ctx context.Context, who Who) (Credentials, error)
}

// signInView is the sign-in form's state.
type signInView struct {
	AccountID string
	Root      bool
	UserName  string
	Next      string
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if s := c.session(r); s != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.renderSignIn(w, r, http.StatusOK, signInView{AccountID: c.cfg.AccountID, Next: r.URL.Query().Get("next")}, "")
}

// renderSignIn shows the form with a fresh pre-session CSRF token, set as
// a cookie and posted back in the form (double submit).
func (c *Console) renderSignIn(w http.ResponseWriter, r *http.Request, status int, f signInView, msg string) {
	tok := newToken()
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: tok, Path: Prefix + "signin", MaxAge: 3600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	v := &view{Title: "Sign in", CSRF: tok, Form: f}
	if msg != "" {
		v.Error = &apiError{Message: msg}
	}
	c.render(w, r, status, "signin", v)
}

// signIn checks the password and starts a session with the principal's own
// temporary credentials.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(signInCookie)
	if !sameOrigin(r) || err != nil || !tokensEqual(r.PostFormValue("csrf"), ck.Value) {
		c.renderSignIn(w, r, http.StatusForbidden, signInView{AccountID: c.cfg.AccountID},
			"Your sign-in form expired or did not come from this console (CSRF check). Please try again.")
		return
	}
	f := signInView{
		AccountID: strings.TrimSpace(r.PostFormValue("account")),
		Root:      r.PostFormValue("kind") == "root",
		UserName:  strings.TrimSpace(r.PostFormValue("username")),
		Next:      r.PostFormValue("next"),
	}
	password := r.PostFormValue("password")
	user := f.UserName
	if f.Root {
		user = ""
	}
	const failed = "Your authentication information is incorrect. Please try again."
	if f.AccountID != c.cfg.AccountID || (!f.Root && user == "") || password == "" {
		c.renderSignIn(w, r, http.StatusUnauthorized, f, failed)
		return
	}
	key := "#root"
	if user != "" {
		key = strings.ToLower(user)
	}
	if c.throttle.blocked(key, c.now()) {
		c.renderSignIn(w, r, http.StatusTooManyRequests, f, "Too many failed sign-in attempts. Wait a few minutes and try again.")
		return
	}
	who, err := c.deps.Identity.SignIn(r.Context(), user, password)
	if err != nil {
		if !errors.Is(err, ErrSignInFailed) {
			c.log.Error("console: sign-in failed", "err", err)
		}
		c.throttle.fail(key, c.now())
		c.renderSignIn(w, r, http.StatusUnauthorized, f, failed)
		return
	}
	c.throttle.reset(key)
	creds, err := c.deps.Identity.Credentials(r.Context(), who)
	if err != nil {
		c.log.Error("console: minting session credentials failed", "principal", who.ARN, "err", err)
		c.renderSignIn(w, r, http.StatusInternalServerError, f, "Signing in failed on the server; see its log.")
		return
	}
	now := c.now()
	token := newToken()
	s := &Session{ID: sessionID(token), Who: who, CSRF: newToken(), Created: now, Expires: now.Add(c.cfg.SessionTTL), Creds: creds}
	if err := c.deps.Sessions.Put(r.Context(), s); err != nil {
		c.log.Error("console: saving session failed", "err", err)
		c.renderSignIn(w, r, http.StatusInternalServerError, f, "Signing in failed on the server; see its log.")
		return
	}
	clearCookie(w, r, signInCookie, Prefix+"signin")
	c.setSessionCookie(w, r, token, s.Expires)
	c.log.Info("console: signed in", "principal", who.ARN)
	http.Redirect(w, r, safeNext(f.Next), http.StatusSeeOther)
}

// safeNext keeps post-sign-in redirects inside the console.
func safeNext(next string) string {
	if strings.HasPrefix(next, Prefix) && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return Prefix
}

// signOut deletes the session server-side, so the cookie is worthless
// even if it was copied, and clears it.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := c.deps.Sessions.Delete(r.Context(), rq.sess.ID); err != nil {
		return err
	}
	clearCookie(w, r, SessionCookie, Prefix)
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
	return nil
}

func (c *Console) passwordPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	c.render(w, r, http.StatusOK, "password", c.newView(rq, "Change password"))
	return nil
}

// changePassword is iam:ChangePassword as the signed-in user.
func (c *Console) changePassword(w http.ResponseWriter, r *http.Request, rq *request) error {
	v := c.newView(rq, "Change password")
	if rq.sess.Who.Root {
		v.Error = &apiError{Message: "The root password is set when the server first starts (BERTH_ROOT_PASSWORD); it cannot be changed here."}
		c.render(w, r, http.StatusBadRequest, "password", v)
		return nil
	}
	if r.PostFormValue("new") != r.PostFormValue("confirm") {
		v.Error = &apiError{Message: "The new passwords do not match."}
		c.render(w, r, http.StatusBadRequest, "password", v)
		return nil
	}
	_, err := rq.api.iam.ChangePassword(r.Context(), &iam.ChangePasswordInput{
		OldPassword: aws.String(r.PostFormValue("old")), NewPassword: aws.String(r.PostFormValue("new")),
	})
	if err != nil {
		v.Error = asAPIError(err)
		c.render(w, r, statusOf(err), "password", v)
		return nil
	}
	rq.sess.Who.ResetRequired = false
	if err := c.deps.Sessions.Put(r.Context(), rq.sess); err != nil {
		return err
	}
	redirect(w, r, Prefix, "Your password was changed.")
	return nil
}

// Sign-in throttling: after maxFailures failed attempts for one user name
// within failureWindow, this replica refuses more until the window ends.
const (
	maxFailures   = 10
	failureWindow = 5 * time.Minute
	maxThrottled  = 10000 // names tracked before the table is reset
)

// throttle counts failed sign-ins per user name.
type throttle struct {
	mu sync.Mutex
	m  map[string]failures
}

type failures struct {
	n     int
	since time.Time
}

func (t *throttle) blocked(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.m[key]
	return ok && f.n >= maxFailures && now.Sub(f.since) < failureWindow
}

func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil || len(t.m) >= maxThrottled {
		t.m = map[string]failures{}
	}
	f := t.m[key]
	if now.Sub(f.since) >= failureWindow {
		f = failures{since: now}
	}
	f.n++
	t.m[key] = f
}

func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
}
