// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/console"
	"github.com/berthdev/berth/internal/logkey"
	"github.com/berthdev/berth/internal/principal"
	iamsvc "github.com/berthdev/berth/internal/service/iam"
	stssvc "github.com/berthdev/berth/internal/service/sts"
	"github.com/berthdev/berth/internal/store"
)

// Store tables of the console. Both are read from etcd, not a replica
// cache, so a sign-in or sign-out holds at once on every replica.
const (
	consoleRootTable     = "console-root"
	consoleSessionsTable = "console-sessions"
	rootPasswordID       = "root-password"
)

// consoleCredentialSeconds is the lifetime of the STS session a console
// session acts with; the console renews it before it expires.
const consoleCredentialSeconds = 3600

// withConsole ensures the account root's console password (first start:
// BERTH_ROOT_PASSWORD or generated, written to DATA_DIR/root-password with
// mode 0600), builds the web console over api (the gateway) and returns
// the handler serving /console/ beside api.
func (s *Server) withConsole(ctx context.Context, api http.Handler) (http.Handler, error) {
	root, err := store.NewTable[rootPasswordRec](ctx, s.store, consoleRootTable, store.TableConfig{NoCache: true})
	if err != nil {
		return nil, err
	}
	rp := console.NewRootPassword(rootHashes{root})
	created, err := rp.Ensure(ctx, s.cfg.DataDir, os.Getenv(console.RootPasswordEnv))
	if err != nil {
		return nil, fmt.Errorf("controlplane: root console password: %w", err)
	}
	if created {
		s.log.Info("set the account root's console password", "file", filepath.Join(s.cfg.DataDir, console.RootPasswordFile))
	}
	sessions, err := store.NewTable[console.Session](ctx, s.store, consoleSessionsTable, store.TableConfig{NoCache: true})
	if err != nil {
		return nil, err
	}
	c, err := console.New(console.Config{AccountID: s.cfg.AccountID, Region: s.cfg.Region}, console.Deps{
		API:      api,
		Identity: consoleIdentity{iam: s.iam, sts: s.sts, root: rp, account: s.cfg.AccountID},
		Sessions: &consoleSessions{t: sessions, clock: s.deps.Clock},
		Logger:   s.log.With(logkey.Service, "console"),
		Clock:    s.deps.Clock,
	})
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if console.Handles(r) {
			c.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	}), nil
}

// rootPasswordRec is the stored hash of the root's console password.
type rootPasswordRec struct {
	Hash string `json:"hash"`
}

// rootHashes keeps the root password hash in the store.
type rootHashes struct{ t *store.Table[rootPasswordRec] }

var _ console.HashStore = rootHashes{}

func (h rootHashes) RootPasswordHash(ctx context.Context) (string, error) {
	r, err := h.t.Get(ctx, rootPasswordID)
	if errors.Is(err, store.ErrNotFound) {
		return "", console.ErrNoRootPassword
	}
	if err != nil {
		return "", err
	}
	return r.Value.Hash, nil
}

func (h rootHashes) CreateRootPasswordHash(ctx context.Context, hash string) (bool, error) {
	_, err := h.t.Create(ctx, rootPasswordID, &rootPasswordRec{Hash: hash})
	if errors.Is(err, store.ErrExists) {
		return false, nil
	}
	return err == nil, err
}

// consoleSessions keeps console sessions in the store, so every replica
// knows them and a sign-out ends them everywhere.
type consoleSessions struct {
	t     *store.Table[console.Session]
	clock func() time.Time

	mu        sync.Mutex
	lastSweep time.Time
}

var _ console.SessionStore = (*consoleSessions)(nil)

func (s *consoleSessions) Get(ctx context.Context, id string) (*console.Session, error) {
	r, err := s.t.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, console.ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	return r.Value, nil
}

func (s *consoleSessions) Put(ctx context.Context, sess *console.Session) error {
	if _, err := s.t.Put(ctx, sess.ID, sess, 0); err != nil {
		return err
	}
	s.sweep(ctx)
	return nil
}

func (s *consoleSessions) Delete(ctx context.Context, id string) error {
	_, err := s.t.Delete(ctx, id, 0)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// sweep deletes expired sessions, at most every ten minutes, piggybacking
// on sign-ins and renewals.
func (s *consoleSessions) sweep(ctx context.Context) {
	now := s.clock()
	s.mu.Lock()
	due := now.Sub(s.lastSweep) > 10*time.Minute
	if due {
		s.lastSweep = now
	}
	s.mu.Unlock()
	if !due {
		return
	}
	after := ""
	for {
		recs, next, err := s.t.List(ctx, store.Page{After: after, Limit: 500})
		if err != nil {
			return
		}
		for _, r := range recs {
			if !now.Before(r.Value.Expires) {
				_, _ = s.t.Delete(ctx, r.ID, r.Revision)
			}
		}
		if next == "" {
			return
		}
		after = next
	}
}

// consoleIdentity signs people in to the console: IAM users by their login
// profile's password, the root by its console password; and mints, with
// STS GetSessionToken, credentials that stand for that very principal.
type consoleIdentity struct {
	iam     *iamsvc.Service
	sts     *stssvc.Service
	root    *console.RootPassword
	account string
}

var _ console.Identity = consoleIdentity{}

func (c consoleIdentity) SignIn(ctx context.Context, userName, password string) (console.Who, error) {
	if userName == "" {
		ok, err := c.root.Check(ctx, password)
		if err != nil {
			return console.Who{}, err
		}
		if !ok {
			return console.Who{}, console.ErrSignInFailed
		}
		return console.Who{Root: true, ARN: arn.Root(c.account), AccountID: c.account}, nil
	}
	ok, err := c.iam.CheckPassword(ctx, userName, password)
	if errors.Is(err, iamsvc.ErrNotFound) || err == nil && !ok {
		return console.Who{}, console.ErrSignInFailed
	}
	if err != nil {
		return console.Who{}, err
	}
	u, err := c.iam.GetUser(ctx, &iamapi.GetUserInput{UserName: &userName})
	if err != nil {
		return console.Who{}, err
	}
	lp, err := c.iam.GetLoginProfile(ctx, &iamapi.GetLoginProfileInput{UserName: u.User.UserName})
	if err != nil {
		return console.Who{}, err
	}
	return console.Who{UserName: *u.User.UserName, ARN: *u.User.Arn, AccountID: c.account,
		ResetRequired: lp.LoginProfile.PasswordResetRequired != nil && *lp.LoginProfile.PasswordResetRequired}, nil
}

// Credentials calls STS GetSessionToken as who: the session's principal is
// the user (or root) itself, so IAM judges every console call exactly as
// it judges that principal's CLI calls. A user deleted, re-created or
// without a console password since sign-in gets none.
func (c consoleIdentity) Credentials(ctx context.Context, who console.Who) (console.Credentials, error) {
	p := &principal.Principal{Kind: principal.Root, AccountID: c.account, ARN: arn.Root(c.account), UserID: c.account}
	if !who.Root {
		u, err := c.iam.GetUser(ctx, &iamapi.GetUserInput{UserName: &who.UserName})
		if err != nil {
			return console.Credentials{}, err
		}
		if *u.User.Arn != who.ARN {
			return console.Credentials{}, fmt.Errorf("controlplane: console user %s was replaced", who.UserName)
		}
		if _, err := c.iam.GetLoginProfile(ctx, &iamapi.GetLoginProfileInput{UserName: u.User.UserName}); err != nil {
			return console.Credentials{}, err
		}
		tags := map[string]string{}
		for _, t := range u.User.Tags {
			tags[*t.Key] = *t.Value
		}
		p = &principal.Principal{Kind: principal.User, AccountID: c.account, ARN: *u.User.Arn, UserID: *u.User.UserId, Name: *u.User.UserName, Tags: tags}
	}
	d := int32(consoleCredentialSeconds)
	out, err := c.sts.GetSessionToken(principal.NewContext(ctx, p), &stsapi.GetSessionTokenInput{DurationSeconds: &d})
	if err != nil {
		return console.Credentials{}, err
	}
	cr := out.Credentials
	return console.Credentials{AccessKeyID: *cr.AccessKeyId, SecretAccessKey: *cr.SecretAccessKey, SessionToken: *cr.SessionToken, Expires: *cr.Expiration}, nil
}
