// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/store"
)

// maxTxnAttempts bounds update's retries under contention.
const maxTxnAttempts = 64

// txn is one optimistic read-modify-write over IAM records (etcd's STM
// pattern): every read records the revision it saw, writes are buffered,
// and commit applies the writes only if none of the records read (or
// written) changed meanwhile. Service.update retries the whole function on
// a conflict, so functions passed to it must be free of side effects other
// than through the txn.
//
// Reads come from this replica's cache when cache is set, etcd otherwise.
// A cached record carries the revision it was written at, so the commit's
// guards are the same either way: a stale cached read makes the commit
// fail, never succeed wrongly.
type txn struct {
	ctx    context.Context
	kv     store.KV
	prefix string  // the store's key prefix
	cache  *tables // read from the replica cache; nil: from etcd
	// shared makes getRec return the cached values themselves, which the
	// caller must not change: read-only views.
	shared bool
	seen   map[string]int64  // key → ModRevision read (0: absent)
	vals   map[string][]byte // key → value as read or as written (nil: absent)
	writes []string          // keys written, in order
	dirty  map[string]bool
}

func newTxn(ctx context.Context, kv store.KV, prefix string) *txn {
	return &txn{ctx: ctx, kv: kv, prefix: prefix, seen: map[string]int64{}, vals: map[string][]byte{}, dirty: map[string]bool{}}
}

// raw returns the value of key as this transaction sees it; nil if absent.
func (tx *txn) raw(key string) ([]byte, error) {
	if v, ok := tx.vals[key]; ok {
		return v, nil
	}
	if tx.cache != nil {
		v, rev, ok, err := tx.cache.get(tx.ctx, key)
		if err != nil || !ok {
			tx.seen[key], tx.vals[key] = 0, nil
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("iam: encode %s: %w", key, err)
		}
		tx.seen[key], tx.vals[key] = rev, b
		return b, nil
	}
	kv, _, err := tx.kv.Get(tx.ctx, tx.prefix+key, 0)
	switch {
	case errors.Is(err, store.ErrNotFound):
		tx.seen[key], tx.vals[key] = 0, nil
		return nil, nil
	case err != nil:
		return nil, err
	}
	tx.seen[key], tx.vals[key] = kv.ModRevision, kv.Value
	return kv.Value, nil
}

// getRec reads the record at key into a new T, or in a shared view returns
// the cached T; nil when absent.
func getRec[T any](tx *txn, key string) (*T, error) {
	if tx.shared {
		if _, written := tx.vals[key]; !written {
			v, _, ok, err := tx.cache.get(tx.ctx, key)
			if err != nil || !ok {
				return nil, err
			}
			p, isT := v.(*T)
			if !isT {
				return nil, fmt.Errorf("iam: record %s is a %T, not a %T", key, v, p)
			}
			return p, nil
		}
	}
	b, err := tx.raw(key)
	if err != nil || b == nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("iam: decode %s: %w", key, err)
	}
	return v, nil
}

// put buffers a write of v at key.
func (tx *txn) put(key string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("iam: encode %s: %v", key, err)) // records always encode
	}
	tx.set(key, b)
}

// del buffers the deletion of key.
func (tx *txn) del(key string) { tx.set(key, nil) }

func (tx *txn) set(key string, b []byte) {
	if !tx.dirty[key] {
		tx.dirty[key] = true
		tx.writes = append(tx.writes, key)
	}
	tx.vals[key] = b
}

// commit writes the buffered changes if every key read or written still has
// the revision this transaction saw (keys written without being read must
// not exist). It returns a wrapped store.ErrConflict when a guard fails.
func (tx *txn) commit() (int64, error) {
	if len(tx.writes) == 0 {
		return 0, nil
	}
	var req store.TxnRequest
	guard := func(key string, rev int64) {
		key = tx.prefix + key
		if rev == 0 {
			req.If = append(req.If, store.Cmp{Key: key, Target: store.CmpCreateRevision, Op: store.CmpEqual, Rev: 0})
			return
		}
		req.If = append(req.If, store.Cmp{Key: key, Target: store.CmpModRevision, Op: store.CmpEqual, Rev: rev})
	}
	for key, rev := range tx.seen {
		guard(key, rev)
	}
	for _, key := range tx.writes {
		if _, read := tx.seen[key]; !read {
			guard(key, 0)
		}
		if b := tx.vals[key]; b != nil {
			req.Then = append(req.Then, store.TxnOp{Type: store.TxnPut, Key: tx.prefix + key, Value: b})
		} else if tx.seen[key] != 0 {
			req.Then = append(req.Then, store.TxnOp{Type: store.TxnDelete, Key: tx.prefix + key})
		}
	}
	if len(req.Then) == 0 {
		return 0, nil
	}
	resp, err := tx.kv.Txn(tx.ctx, req)
	if err != nil {
		return 0, fmt.Errorf("iam: commit: %w", err)
	}
	if !resp.Succeeded {
		return 0, fmt.Errorf("iam: commit: %w", store.ErrConflict)
	}
	return resp.Revision, nil
}

// errConcurrent is returned when a transaction keeps conflicting; its text
// is IAM's documented description of ConcurrentModification.
var errConcurrent = iamapi.ErrConcurrentModification("The request was rejected because multiple requests to change this object were submitted simultaneously. Wait a few minutes and submit your request again.")

// update runs fn in a transaction and commits it, retrying fn from scratch
// with fresh reads when another writer got there first. An error from fn
// aborts without writing.
//
// The first attempt reads the replica cache, which is nearly always
// current: this replica's own writes are in it before update returns.
// When the cache lagged, the commit's revision guards fail and the retry
// reads etcd. An attempt that ends without writing (an error, or nothing
// to change) proves nothing about a cached read, so it is repeated on etcd
// before its outcome is returned.
func (s *Service) update(ctx context.Context, fn func(tx *txn) error) error {
	backoff := 200 * time.Microsecond
	fromCache := true
	for range maxTxnAttempts {
		tx := newTxn(ctx, s.kv, s.prefix)
		if fromCache {
			tx.cache = s.t
		}
		if err := fn(tx); err != nil {
			if fromCache {
				fromCache = false
				continue
			}
			return err
		}
		if fromCache && len(tx.writes) == 0 {
			fromCache = false
			continue
		}
		rev, err := tx.commit()
		if err == nil && rev == 0 && fromCache {
			fromCache = false // the writes changed nothing: confirm on etcd
			continue
		}
		if err == nil {
			return s.waitFor(ctx, rev)
		}
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		if fromCache {
			fromCache = false // the cache lagged: retry at once on etcd
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff + rand.N(backoff)):
		}
		backoff = min(backoff*2, 20*time.Millisecond)
	}
	return errConcurrent
}

// view runs fn with reads from this replica's cache, which holds every
// write this replica acknowledged (read-your-writes); nothing is written.
// getRec returns the cached records themselves: fn and its caller must
// treat them as read only.
func (s *Service) view(ctx context.Context, fn func(tx *txn) error) error {
	tx := newTxn(ctx, s.kv, s.prefix)
	tx.cache, tx.shared = s.t, true
	return fn(tx)
}
