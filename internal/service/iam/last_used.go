// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/logkey"
)

// lastUsedBuffer holds access key and role use in memory until Flush
// writes it, so recording a use on the request path never waits for the
// store. Reads merge it with what is stored.
type lastUsedBuffer struct {
	mu    sync.Mutex
	keys  map[string]lastUsedRec // access key id → latest use
	roles map[string]lastUsedRec // role name key → latest use
}

func newLastUsedBuffer() *lastUsedBuffer {
	return &lastUsedBuffer{keys: map[string]lastUsedRec{}, roles: map[string]lastUsedRec{}}
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
func (b *lastUsedBuffer) take() (keys, roles map[string]lastUsedRec) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keys, roles = b.keys, b.roles
	b.keys, b.roles = map[string]lastUsedRec{}, map[string]lastUsedRec{}
	return keys, roles
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

// FlushLastUsed writes the buffered uses to the store. Uses of keys or
// roles deleted meanwhile are dropped; a failed write is logged and the
// use kept for the next flush unless a newer one arrived.
func (s *Service) FlushLastUsed(ctx context.Context) error {
	keys, roles := s.lastUsed.take()
	var firstErr error
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
