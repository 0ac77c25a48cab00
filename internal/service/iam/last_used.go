// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/logkey"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/reqctx"
	"github.com/berthdev/berth/internal/store"
)

// lastUsedBuffer holds access key, role and service use in memory until
// Flush writes it, so recording a use on the request path never waits for
// the store. Reads merge it with what is stored.
type lastUsedBuffer struct {
	mu     sync.Mutex
	keys   map[string]lastUsedRec    // access key id → latest use
	roles  map[string]lastUsedRec    // role name key → latest use
	access map[accessKey]lastUsedRec // entity × action → latest attempt
}

func newLastUsedBuffer() *lastUsedBuffer {
	return &lastUsedBuffer{keys: map[string]lastUsedRec{}, roles: map[string]lastUsedRec{}, access: map[accessKey]lastUsedRec{}}
}

// newer returns the later of a pending use and a stored one.
func newer(pending lastUsedRec, ok bool, stored *lastUsedRec) *lastUsedRec {
	switch {
	case ok && (stored == nil || pending.Date.After(stored.Date)):
		return &pending
	default:
		return stored
	}
}

func (b *lastUsedBuffer) key(id string, stored *lastUsedRec) *lastUsedRec {
	b.mu.Lock()
	p, ok := b.keys[id]
	b.mu.Unlock()
	return newer(p, ok, stored)
}

func (b *lastUsedBuffer) role(name string, stored *lastUsedRec) *lastUsedRec {
	b.mu.Lock()
	p, ok := b.roles[nameKey(name)]
	b.mu.Unlock()
	return newer(p, ok, stored)
}

func (b *lastUsedBuffer) forgetKey(id string) {
	b.mu.Lock()
	delete(b.keys, id)
	b.mu.Unlock()
}

func (b *lastUsedBuffer) forgetRole(name string) {
	b.mu.Lock()
	delete(b.roles, nameKey(name))
	b.mu.Unlock()
}

// take returns the pending uses and empties the buffer.
func (b *lastUsedBuffer) take() (keys, roles map[string]lastUsedRec, access map[accessKey]lastUsedRec) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keys, roles, access = b.keys, b.roles, b.access
	b.keys, b.roles, b.access = map[string]lastUsedRec{}, map[string]lastUsedRec{}, map[accessKey]lastUsedRec{}
	return keys, roles, access
}

// RecordAccessKeyUse notes that accessKeyID signed a request to service
// (the IAM service prefix, e.g. "ecs") in region, for GetAccessKeyLastUsed.
// It only updates memory: Run writes the latest use to the store
// periodically. Safe for concurrent use; cheap enough for every request.
func (s *Service) RecordAccessKeyUse(_ context.Context, accessKeyID, service, region string) {
	s.lastUsed.mu.Lock()
	s.lastUsed.keys[accessKeyID] = lastUsedRec{Date: s.now(), Service: service, Region: region}
	s.lastUsed.mu.Unlock()
}

// RecordRoleUse notes that a session of the role roleARN made a request in
// region, for GetRole's RoleLastUsed. Like RecordAccessKeyUse it only
// updates memory.
func (s *Service) RecordRoleUse(_ context.Context, roleARN, region string) {
	a, err := arn.Parse(roleARN)
	if err != nil || !strings.HasPrefix(a.Resource, "role/") {
		return
	}
	name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	s.lastUsed.mu.Lock()
	s.lastUsed.roles[nameKey(name)] = lastUsedRec{Date: s.now(), Region: region}
	s.lastUsed.mu.Unlock()
}

// FlushLastUsed writes the buffered uses (access keys, roles, services and
// actions) to the store. Uses of keys or roles deleted meanwhile are
// dropped; a failed write is logged and the
// use kept for the next flush unless a newer one arrived.
func (s *Service) FlushLastUsed(ctx context.Context) error {
	keys, roles, access := s.lastUsed.take()
	firstErr := s.flushAccess(ctx, access)
	for id, lu := range keys {
		err := s.update(ctx, func(tx *txn) error {
			k, err := getRec[accessKeyRec](tx, key(tableKeys, id))
			if err != nil || k == nil || (k.LastUsed != nil && !lu.Date.After(k.LastUsed.Date)) {
				return err
			}
			k.LastUsed = &lu
			tx.put(key(tableKeys, id), k)
			return nil
		})
		if err != nil {
			s.log.Warn("iam: flush access key last used", logkey.AccessKey, logkey.Redact(id), logkey.Err, err)
			s.lastUsed.requeue(false, id, lu)
			firstErr = cmpErr(firstErr, err)
		}
	}
	for name, lu := range roles {
		err := s.update(ctx, func(tx *txn) error {
			r, err := getRec[roleRec](tx, key(tableRoles, name))
			if err != nil || r == nil || (r.LastUsed != nil && !lu.Date.After(r.LastUsed.Date)) {
				return err
			}
			r.LastUsed = &lu
			tx.put(key(tableRoles, name), r)
			return nil
		})
		if err != nil {
			s.log.Warn("iam: flush role last used", "role", name, logkey.Err, err)
			s.lastUsed.requeue(true, name, lu)
			firstErr = cmpErr(firstErr, err)
		}
	}
	return firstErr
}

// requeue puts a key's (or a role's) use back unless a newer one was
// recorded meanwhile.
func (b *lastUsedBuffer) requeue(role bool, k string, lu lastUsedRec) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.keys
	if role {
		m = b.roles
	}
	if cur, ok := m[k]; !ok || cur.Date.Before(lu.Date) {
		m[k] = lu
	}
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// Run flushes buffered last-used data every Config.LastUsedFlush until ctx
// ends, then flushes once more (bounded by a few seconds) and returns nil.
// The control plane runs it for the service's lifetime.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.LastUsedFlush)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = s.FlushLastUsed(ctx)
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = s.FlushLastUsed(fctx)
			cancel()
			return nil
		}
	}
}

// Service last accessed data: for every IAM user and role, the latest
// attempt to use each service and each action, as
// GenerateServiceLastAccessedDetails reports it. The gateway's authorizer
// reports every decided attempt (RecordAccess); the attempts wait in the
// last-used buffer and Run writes them, one record per entity.

// accessKey is one entity's use of one action, as buffered.
type accessKey struct {
	id     string // the entity's unique id (AIDA…, AROA…): the record key
	entity string // its ARN
	action string // "prefix:Action" as authorized
}

// accessRec is an entity's service last accessed data, keyed by the
// entity's id, so a user or role re-created under the same name starts
// with none.
type accessRec struct {
	Entity   string                 `json:"entity"`             // ARN at the last flush
	Services map[string]lastUsedRec `json:"services,omitempty"` // service namespace → latest attempt
	Actions  map[string]lastUsedRec `json:"actions,omitempty"`  // "prefix:Action" → latest attempt
}

// accessEntity returns the IAM entity whose permissions an attempt by p
// exercised: the user, or the role of a role session. ok is false for the
// root user and other callers that IAM does not track.
func accessEntity(p *principal.Principal) (id, entityARN string, ok bool) {
	switch p.Kind {
	case principal.User:
		return p.UserID, p.ARN, p.UserID != ""
	case principal.AssumedRole:
		id, _, _ = strings.Cut(p.UserID, ":")
		return id, p.RoleARN, id != "" && p.RoleARN != ""
	}
	return "", "", false
}

// RecordAccess notes that p attempted action ("prefix:Action"), allowed or
// not, for the service last accessed data. It implements
// authz.AccessRecorder: it only updates memory (no allocation once an
// entity's actions are known), and Run writes the data periodically.
func (s *Service) RecordAccess(ctx context.Context, p *principal.Principal, action string) {
	id, entity, ok := accessEntity(p)
	if !ok || action == "" {
		return
	}
	info := reqctx.From(ctx)
	t := info.Time
	if t.IsZero() {
		t = s.cfg.Clock()
	}
	lu := lastUsedRec{Date: t.UTC(), Region: info.Region}
	b := s.lastUsed
	b.mu.Lock()
	b.access[accessKey{id: id, entity: entity, action: action}] = lu
	b.mu.Unlock()
}

// forgetAccess drops the buffered attempts of a deleted entity.
func (b *lastUsedBuffer) forgetAccess(id string) {
	b.mu.Lock()
	for k := range b.access {
		if k.id == id {
			delete(b.access, k)
		}
	}
	b.mu.Unlock()
}

// pendingAccess returns the buffered attempts of the entity id.
func (b *lastUsedBuffer) pendingAccess(id string) map[accessKey]lastUsedRec {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[accessKey]lastUsedRec{}
	for k, lu := range b.access {
		if k.id == id {
			out[k] = lu
		}
	}
	return out
}

// merge folds attempts of one entity into r, keeping the latest per
// service and per action; it reports whether r changed.
func (r *accessRec) merge(attempts map[accessKey]lastUsedRec) bool {
	changed := false
	keep := func(m *map[string]lastUsedRec, k string, lu lastUsedRec) {
		if cur, ok := (*m)[k]; ok && !lu.Date.After(cur.Date) {
			return
		}
		if *m == nil {
			*m = map[string]lastUsedRec{}
		}
		(*m)[k] = lu
		changed = true
	}
	for k, lu := range attempts {
		if r.Entity != k.entity {
			r.Entity, changed = k.entity, true
		}
		ns, _, _ := strings.Cut(k.action, ":")
		keep(&r.Services, strings.ToLower(ns), lu)
		keep(&r.Actions, k.action, lu)
	}
	return changed
}

// accessOf returns the entity's service last accessed data: the stored
// record merged with this replica's unflushed attempts. The result is the
// caller's.
func (s *Service) accessOf(ctx context.Context, id string) (*accessRec, error) {
	out := &accessRec{}
	rec, err := s.t.access.Get(ctx, id)
	switch {
	case err == nil:
		out.Entity = rec.Value.Entity
		out.Services = maps.Clone(rec.Value.Services)
		out.Actions = maps.Clone(rec.Value.Actions)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	out.merge(s.lastUsed.pendingAccess(id))
	return out, nil
}

// flushAccess writes buffered attempts, one transaction per entity; an
// entity whose write fails keeps its attempts for the next flush unless
// newer ones arrived.
func (s *Service) flushAccess(ctx context.Context, access map[accessKey]lastUsedRec) error {
	byEntity := map[string]map[accessKey]lastUsedRec{}
	for k, lu := range access {
		m := byEntity[k.id]
		if m == nil {
			m = map[accessKey]lastUsedRec{}
			byEntity[k.id] = m
		}
		m[k] = lu
	}
	var firstErr error
	for id, attempts := range byEntity {
		k := key(tableAccess, id)
		err := s.update(ctx, func(tx *txn) error {
			r, err := getRec[accessRec](tx, k)
			if err != nil {
				return err
			}
			if r == nil {
				r = &accessRec{}
			}
			if r.merge(attempts) {
				tx.put(k, r)
			}
			return nil
		})
		if err != nil {
			s.log.Warn("iam: flush service last accessed", "entity", id, logkey.Err, err)
			s.lastUsed.requeueAccess(attempts)
			firstErr = cmpErr(firstErr, err)
		}
	}
	return firstErr
}

// requeueAccess puts attempts back unless newer ones were recorded.
func (b *lastUsedBuffer) requeueAccess(attempts map[accessKey]lastUsedRec) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, lu := range attempts {
		if cur, ok := b.access[k]; !ok || cur.Date.Before(lu.Date) {
			b.access[k] = lu
		}
	}
}

// dropAccess deletes the entity's record in tx, as IAM forgets a deleted
// user's or role's activity.
func dropAccess(tx *txn, id string) error {
	k := key(tableAccess, id)
	r, err := getRec[accessRec](tx, k)
	if err != nil || r == nil {
		return err
	}
	tx.del(k)
	return nil
}
