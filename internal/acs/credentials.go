// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/logkey"
)

// credKey names the credentials of one role of one task.
type credKey struct {
	taskARN  string
	roleType string // wire.RoleTypeTaskApplication or wire.RoleTypeTaskExecution
}

// errNoRoles means the server was built without a RoleAssumer.
var errNoRoles = errors.New("acs: no role assumer configured")

// credCache mints task-role credentials and keeps them per replica until
// they near expiry, so reconnecting agents and several sessions do not
// mint again. Safe for concurrent use.
type credCache struct {
	cfg   Config
	roles RoleAssumer
	keys  KeySource
	log   *slog.Logger

	keyMu sync.Mutex
	key   []byte

	mu      sync.Mutex
	entries map[credKey]*credEntry
	gets    int
}

type credEntry struct {
	mu       sync.Mutex // serializes minting for one key
	roleARN  string
	creds    *Credentials
	err      error
	failedAt time.Time
}

func newCredCache(cfg Config, roles RoleAssumer, keys KeySource, log *slog.Logger) *credCache {
	return &credCache{cfg: cfg, roles: roles, keys: keys, log: log, entries: map[credKey]*credEntry{}}
}

// idKey returns the credentials-id key, loading it once.
func (c *credCache) idKey(ctx context.Context) ([]byte, error) {
	c.keyMu.Lock()
	defer c.keyMu.Unlock()
	if c.key != nil {
		return c.key, nil
	}
	if c.keys == nil {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		c.log.Warn("no credentials-id key source: ids of task credentials change when this process restarts")
		c.key = k
		return k, nil
	}
	k, err := c.keys.CredentialsIDKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("acs: credentials-id key: %w", err)
	}
	if len(k) < 16 {
		return nil, errors.New("acs: credentials-id key is shorter than 16 bytes")
	}
	c.key = k
	return k, nil
}

// CredentialsID derives the credentials id of a task's role: a keyed hash
// of the task ARN and role type, formatted as a UUID. It is the same on
// every replica and across restarts for as long as the key is, and cannot
// be guessed from the task ARN without the key.
func CredentialsID(key []byte, taskARN, roleType string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(taskARN))
	m.Write([]byte{0})
	m.Write([]byte(roleType))
	var b [16]byte
	copy(b[:], m.Sum(nil))
	return wire.FormatUUID(b)
}

// get returns the credentials of k's role roleARN, minting them if none are
// cached or the cached ones expire within CredentialsRefreshBefore. A
// recent failure is returned again until CredentialsRetryInterval passes.
func (c *credCache) get(ctx context.Context, k credKey, roleARN string, now time.Time) (*wire.IAMRoleCredentials, time.Time, error) {
	if c.roles == nil {
		return nil, time.Time{}, errNoRoles
	}
	id, err := c.idKey(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	e := c.entry(k, now)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.roleARN != roleARN {
		e.roleARN, e.creds, e.err = roleARN, nil, nil
	}
	if e.creds != nil && e.creds.Expiration.Sub(now) > c.cfg.CredentialsRefreshBefore {
		return toWire(id, k, roleARN, e.creds), e.creds.Expiration, nil
	}
	if e.err != nil && now.Sub(e.failedAt) < c.cfg.CredentialsRetryInterval {
		return nil, time.Time{}, e.err
	}
	cr, err := c.roles.AssumeRoleAsService(ctx, TaskRolePrincipal, roleARN, sessionName(k.taskARN), c.cfg.CredentialsDuration)
	if err != nil {
		e.err, e.failedAt = err, now
		c.log.Warn("task role credentials refused; the task runs without them",
			logkey.TaskARN, k.taskARN, "role_arn", roleARN, "role_type", k.roleType, logkey.Err, err)
		return nil, time.Time{}, err
	}
	e.creds, e.err = cr, nil
	c.log.Debug("minted task role credentials", logkey.TaskARN, k.taskARN, "role_arn", roleARN,
		"role_type", k.roleType, logkey.AccessKey, logkey.Redact(cr.AccessKeyID), "expiration", cr.Expiration)
	return toWire(id, k, roleARN, cr), cr.Expiration, nil
}

// entry returns k's entry, creating it; every 1024 calls it drops entries
// whose credentials have expired or whose failure is old.
func (c *credCache) entry(k credKey, now time.Time) *credEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gets++; c.gets%1024 == 0 {
		for key, e := range c.entries {
			if e.mu.TryLock() {
				stale := (e.creds == nil || now.After(e.creds.Expiration)) && now.Sub(e.failedAt) > c.cfg.CredentialsRetryInterval
				e.mu.Unlock()
				if stale && key != k {
					delete(c.entries, key)
				}
			}
		}
	}
	e := c.entries[k]
	if e == nil {
		e = &credEntry{}
		c.entries[k] = e
	}
	return e
}

// forget drops the credentials of a task that has stopped.
func (c *credCache) forget(taskARN string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, credKey{taskARN, wire.RoleTypeTaskApplication})
	delete(c.entries, credKey{taskARN, wire.RoleTypeTaskExecution})
}

func toWire(key []byte, k credKey, roleARN string, c *Credentials) *wire.IAMRoleCredentials {
	return &wire.IAMRoleCredentials{
		CredentialsID:   CredentialsID(key, k.taskARN, k.roleType),
		RoleARN:         roleARN,
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		Expiration:      c.Expiration.UTC().Format(time.RFC3339),
	}
}

// sessionName is the role session name of a task: its id, as ECS uses.
func sessionName(taskARN string) string {
	id := taskARN[strings.LastIndexByte(taskARN, '/')+1:]
	if len(id) > 64 {
		id = id[:64]
	}
	if len(id) < 2 {
		id = "ecs-task"
	}
	return id
}
