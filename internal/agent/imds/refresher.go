// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package imds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/logkey"
)

// MinRefreshMargin is the least time before expiry at which credentials
// are refreshed.
const MinRefreshMargin = 5 * time.Minute

// RefresherConfig configures a Refresher.
type RefresherConfig struct {
	// Margin is how long before expiry credentials are refreshed; values
	// under MinRefreshMargin (and 0) mean MinRefreshMargin.
	Margin time.Duration
	// RetryMin and RetryMax bound the backoff after a failed fetch;
	// 0 means 5s and 1m.
	RetryMin, RetryMax time.Duration
}

// Refresher caches credentials from a Source and refreshes them before
// they expire. It is safe for concurrent use.
type Refresher struct {
	cfg   RefresherConfig
	src   Source
	clock Clock
	log   *slog.Logger

	fetchMu sync.Mutex // serialises fetches

	mu          sync.Mutex
	cur         *Credentials
	noRoleUntil time.Time
	failedAt    time.Time
	fetches     int
}

var _ CredentialGetter = (*Refresher)(nil)

// RefresherDeps are a Refresher's collaborators.
type RefresherDeps struct {
	Source Source // required
	Clock  Clock  // nil means the real clock
	Logger *slog.Logger
}

// NewRefresher returns a Refresher over deps.Source.
func NewRefresher(cfg RefresherConfig, deps RefresherDeps) (*Refresher, error) {
	if deps.Source == nil {
		return nil, errors.New("imds: NewRefresher needs a Source")
	}
	if cfg.Margin < MinRefreshMargin {
		cfg.Margin = MinRefreshMargin
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 5 * time.Second
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(time.Minute, cfg.RetryMin)
	}
	if deps.Clock == nil {
		deps.Clock = realClock{}
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Refresher{cfg: cfg, src: deps.Source, clock: deps.Clock, log: log.With(logkey.Service, "imds")}, nil
}

// Fetches returns how many times the Source was asked.
func (r *Refresher) Fetches() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fetches
}

// due reports whether c must be refreshed at now.
func (r *Refresher) due(c *Credentials, now time.Time) bool {
	return c == nil || !now.Before(c.Expiration.Add(-r.cfg.Margin))
}

// Get returns the cached credentials, fetching new ones when none are
// cached or the cached ones are within the refresh margin. When a fetch
// fails it returns the cached credentials while they are still valid, and
// does not ask the Source again before RetryMin has passed.
func (r *Refresher) Get(ctx context.Context) (Credentials, error) {
	now := r.clock.Now()
	r.mu.Lock()
	cur, noRole, failedAt := r.cur, now.Before(r.noRoleUntil), r.failedAt
	r.mu.Unlock()
	if noRole {
		return Credentials{}, ErrNoRole
	}
	if !r.due(cur, now) {
		return *cur, nil
	}
	if cur != nil && now.Before(cur.Expiration) && now.Sub(failedAt) < r.cfg.RetryMin {
		return *cur, nil
	}
	return r.refresh(ctx)
}

func (r *Refresher) refresh(ctx context.Context) (Credentials, error) {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	now := r.clock.Now()
	r.mu.Lock()
	cur := r.cur
	r.mu.Unlock()
	if !r.due(cur, now) {
		return *cur, nil // another caller refreshed meanwhile
	}
	c, err := r.src.RoleCredentials(ctx)
	if err == nil {
		err = validate(c, now)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fetches++
	switch {
	case errors.Is(err, ErrNoRole):
		r.cur, r.noRoleUntil = nil, now.Add(r.cfg.RetryMin)
		return Credentials{}, ErrNoRole
	case err != nil:
		r.failedAt = now
		if cur != nil && now.Before(cur.Expiration) {
			r.log.Warn("refreshing instance credentials failed; serving the cached ones",
				logkey.Err, err, logkey.AccessKey, logkey.Redact(cur.AccessKeyID), "expiration", cur.Expiration)
			return *cur, nil
		}
		return Credentials{}, fmt.Errorf("imds: instance credentials: %w", err)
	}
	if c.LastUpdated.IsZero() {
		c.LastUpdated = now
	}
	r.cur, r.failedAt, r.noRoleUntil = &c, time.Time{}, time.Time{}
	r.log.Info("instance credentials refreshed", logkey.AccessKey, logkey.Redact(c.AccessKeyID), "expiration", c.Expiration)
	return c, nil
}

func validate(c Credentials, now time.Time) error {
	switch {
	case c.RoleARN == "" || c.AccessKeyID == "" || c.SecretAccessKey == "":
		return errors.New("source returned incomplete credentials")
	case !now.Before(c.Expiration):
		return fmt.Errorf("source returned credentials that expired at %s", c.Expiration.Format(time.RFC3339))
	}
	return nil
}

// NextRefresh returns when the cached credentials become due, or the zero
// time if none are cached.
func (r *Refresher) NextRefresh() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur == nil {
		return time.Time{}
	}
	return r.cur.Expiration.Add(-r.cfg.Margin)
}

// Run refreshes proactively until ctx ends: it sleeps until the cached
// credentials are due, refreshes them, and backs off (RetryMin doubling to
// RetryMax) while the Source fails.
func (r *Refresher) Run(ctx context.Context) {
	backoff := r.cfg.RetryMin
	for {
		_, err := r.Get(ctx)
		now := r.clock.Now()
		r.mu.Lock()
		cur := r.cur
		r.mu.Unlock()
		var wait time.Duration
		if err != nil || r.due(cur, now) {
			wait = backoff
			backoff = min(2*backoff, r.cfg.RetryMax)
		} else {
			backoff = r.cfg.RetryMin
			wait = cur.Expiration.Add(-r.cfg.Margin).Sub(now)
		}
		select {
		case <-ctx.Done():
			return
		case <-r.clock.After(wait):
		}
	}
}
