// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/logkey"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
)

// SessionTable is the store table holding sessions, keyed by access key id.
const SessionTable = "sts-sessions"

// sweepPage bounds the records one sweep step reads at a time.
const sweepPage = 1000

// ErrSessionNotFound means no session has the access key id: it was never
// issued, or it expired and was garbage-collected. It wraps
// store.ErrNotFound, so callers may test for either.
var ErrSessionNotFound = fmt.Errorf("sts: session not found: %w", store.ErrNotFound)

// Session is one issued temporary credential and everything it stands for.
// Values returned by SessionCredential are shared with the store's cache
// and must not be mutated.
type Session struct {
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Expiration      time.Time `json:"expiration"`
	// Principal is the identity requests signed with the key carry: an
	// assumed-role session (AssumeRole, AssumeRoleAsService) or the user or
	// root that called GetSessionToken. Its AccessKeyID is this key and its
	// TokenIssueTime the issue time; session policies were resolved at
	// issue time.
	Principal *principal.Principal `json:"principal"`
	// TransitiveTagKeys are the keys of Principal.Tags that pass to
	// sessions this session assumes (role chaining).
	TransitiveTagKeys []string `json:"transitiveTagKeys,omitempty"`
}

// Expired reports whether s has expired at now. The authenticator answers
// ExpiredToken for an expired session.
func (s *Session) Expired(now time.Time) bool { return !now.Before(s.Expiration) }

// TokenMatches reports, in constant time, whether token is s's session
// token.
func (s *Session) TokenMatches(token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.SessionToken)) == 1
}

// transitiveTags returns the tags s passes on to sessions it assumes; nil
// for a nil s.
func (s *Session) transitiveTags() map[string]string {
	if s == nil || s.Principal == nil || len(s.TransitiveTagKeys) == 0 {
		return nil
	}
	out := make(map[string]string, len(s.TransitiveTagKeys))
	for _, k := range s.TransitiveTagKeys {
		for tk, v := range s.Principal.Tags {
			if strings.EqualFold(tk, k) {
				out[tk] = v
			}
		}
	}
	return out
}

func (s *Session) apiCredentials() *stsapi.Credentials {
	return &stsapi.Credentials{
		AccessKeyId:     ptr(s.AccessKeyID),
		SecretAccessKey: ptr(s.SecretAccessKey),
		SessionToken:    ptr(s.SessionToken),
		Expiration:      ptr(s.Expiration),
	}
}

// SessionCredential returns the session of a temporary access key id, for
// the authenticator: it verifies the signature with SecretAccessKey, the
// X-Amz-Security-Token with TokenMatches, answers ExpiredToken when
// Expired, and attaches Principal to the request. The session is returned
// whether or not it has expired; sessions are kept
// Config.SessionRetention past expiry. A key never issued or already
// collected returns an error wrapping ErrSessionNotFound (the authenticator
// answers InvalidClientTokenId). Reads come from this replica's cache.
func (s *Service) SessionCredential(ctx context.Context, accessKeyID string) (*Session, error) {
	return s.sessions.get(ctx, accessKeyID)
}

// issue mints credentials for p, valid for d from now, and persists the
// session. It sets p's AccessKeyID and TokenIssueTime; p must not be
// shared.
func (s *Service) issue(ctx context.Context, p *principal.Principal, d time.Duration, transitive []string) (*Session, error) {
	now := s.now()
	p.TokenIssueTime = now
	for attempt := 0; ; attempt++ {
		p.AccessKeyID = newAccessKeyID()
		sess := &Session{
			AccessKeyID:       p.AccessKeyID,
			SecretAccessKey:   newSecretAccessKey(),
			SessionToken:      newSessionToken(),
			Expiration:        now.Add(d),
			Principal:         p,
			TransitiveTagKeys: transitive,
		}
		err := s.sessions.create(ctx, sess)
		if err == nil {
			return sess, nil
		}
		// 80 random bits make a collision all but impossible; retry anyway.
		if !errors.Is(err, store.ErrExists) || attempt == 2 {
			return nil, awserr.InternalFailure(err)
		}
	}
}

// SweepExpired deletes the sessions that expired more than
// Config.SessionRetention ago and returns how many it deleted. Replicas
// may sweep concurrently: a session another replica deleted first is
// skipped.
func (s *Service) SweepExpired(ctx context.Context) (int, error) {
	cutoff := s.cfg.Clock().Add(-s.cfg.SessionRetention)
	deleted := 0
	after := ""
	for {
		recs, next, err := s.sessions.t.List(ctx, store.Page{After: after, Limit: sweepPage})
		if err != nil {
			return deleted, fmt.Errorf("sts: sweep sessions: %w", err)
		}
		for _, r := range recs {
			if r.Value.Expiration.After(cutoff) {
				continue
			}
			_, err := s.sessions.t.Delete(ctx, r.ID, r.Revision)
			switch {
			case err == nil:
				deleted++
			case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
			default:
				return deleted, fmt.Errorf("sts: sweep sessions: %w", err)
			}
		}
		if next == "" {
			return deleted, nil
		}
		after = next
	}
}

// Run sweeps expired sessions every Config.SweepInterval until ctx is
// done, then returns nil. Sweep failures are logged and retried at the
// next tick. The control plane runs it on every replica.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		n, err := s.SweepExpired(ctx)
		if err != nil && ctx.Err() == nil {
			s.deps.Logger.Warn("sts: session sweep failed", logkey.Err, err)
		}
		if n > 0 {
			s.deps.Logger.Debug("sts: swept expired sessions", slog.Int("count", n))
		}
	}
}

// sessionTable is the typed store table of sessions.
type sessionTable struct {
	t *store.Table[Session]
}

// newSessionTable registers the session table on st. Sessions are cached
// on every replica: the authenticator reads one per request signed with
// temporary credentials.
func newSessionTable(ctx context.Context, st *store.Store) (*sessionTable, error) {
	t, err := store.NewTable[Session](ctx, st, SessionTable, store.TableConfig{})
	if err != nil {
		return nil, fmt.Errorf("sts: open session table: %w", err)
	}
	return &sessionTable{t: t}, nil
}

func (st *sessionTable) create(ctx context.Context, sess *Session) error {
	if _, err := st.t.Create(ctx, sess.AccessKeyID, sess); err != nil {
		return fmt.Errorf("sts: store session: %w", err)
	}
	return nil
}

func (st *sessionTable) get(ctx context.Context, accessKeyID string) (*Session, error) {
	if accessKeyID == "" || strings.ContainsAny(accessKeyID, "/\x00") {
		return nil, ErrSessionNotFound
	}
	r, err := st.t.Get(ctx, accessKeyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrSessionNotFound, accessKeyID)
	}
	if err != nil {
		return nil, fmt.Errorf("sts: read session: %w", err)
	}
	return r.Value, nil
}
