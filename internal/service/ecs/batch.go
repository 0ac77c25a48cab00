// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/store"
)

// Group commit. The hot writes (placements, task state changes) are small
// independent units, each guarded by compare-and-swap; committing each in
// its own etcd transaction makes throughput the transaction rate, while
// etcd commits a transaction of a hundred puts in about the time of one.
// The batcher commits the units that are waiting together in one
// transaction (up to MaxTxnOps operations), with no timer: the first
// writer to arrive commits at once, and those arriving while it commits
// ride in the next batch.
//
// A unit whose guard no longer holds in the replica cache fails before it
// is sent (every commit waits for the cache to apply it, so the cache
// knows every earlier batch); one whose guard fails in etcd is identified
// by the failed record, failed alone, and the rest of its batch is sent
// again. A unit fails with a *store.RecordError wrapping ErrConflict, as a
// transaction of its own would.
//
// Committers are the writers' own goroutines: the writer whose unit opened
// a batch commits it, and keeps committing while units wait until its own
// is done, then hands the queue to a new goroutine if it is not empty.
// Nothing runs while nothing is waiting.

// maxCommitters bounds the batches in flight at once.
const maxCommitters = 3

// unit is one logical write.
type unit struct {
	ops  []store.Op
	keys []recKey // the record each op touches, in order
	// fresh reports whether the unit's guards still hold in the replica
	// cache; nil means always.
	fresh func() bool
	err   error
	// rev is the revision the unit committed at (0 if it did not); the
	// replica cache holds it, in every table, when the unit is done.
	rev  int64
	done chan struct{}
}

// recKey names a record.
type recKey struct{ table, id string }

func (u *unit) resolve(err error) {
	u.err = err
	close(u.done)
}

type batcher struct {
	st *store.Store

	mu         sync.Mutex
	queue      []*unit
	committers int
	// inflight holds the records of the batches being committed: a unit
	// touching one waits for the next round, where the cache shows the
	// outcome, instead of racing the other batch into etcd.
	inflight map[recKey]bool
}

func newBatcher(st *store.Store) *batcher { return &batcher{st: st, inflight: map[recKey]bool{}} }

// commit commits units, in batches with other writers' units, and returns
// each unit's outcome in order. It returns early with ctx's error if ctx
// ends; the units may still commit.
func (b *batcher) commit(ctx context.Context, units ...*unit) []error {
	for _, u := range units {
		u.done = make(chan struct{})
	}
	b.mu.Lock()
	b.queue = append(b.queue, units...)
	lead := b.committers < maxCommitters
	if lead {
		b.committers++
	}
	b.mu.Unlock()
	if lead {
		b.drain(units)
	}
	errs := make([]error, len(units))
	for i, u := range units {
		select {
		case <-u.done:
			errs[i] = u.err
		case <-ctx.Done():
			errs[i] = ctx.Err()
		}
	}
	return errs
}

// drain commits batches until the queue is empty or own are all done; it
// then hands a non-empty queue to a new goroutine.
func (b *batcher) drain(own []*unit) {
	for {
		b.mu.Lock()
		batch := b.take()
		if len(batch) == 0 {
			b.committers--
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.run(batch)
		b.mu.Lock()
		for _, u := range batch {
			for _, k := range u.keys {
				delete(b.inflight, k)
			}
		}
		b.mu.Unlock()
		if own == nil || !allDone(own) {
			continue
		}
		b.mu.Lock()
		if len(b.queue) > 0 {
			b.mu.Unlock()
			go b.drain(nil) // keeps this committer's slot
			return
		}
		b.committers--
		b.mu.Unlock()
		return
	}
}

func allDone(units []*unit) bool {
	for _, u := range units {
		select {
		case <-u.done:
		default:
			return false
		}
	}
	return true
}

// take removes from the queue, in order, the units that fit one
// transaction without touching a record twice. Called with mu held.
func (b *batcher) take() []*unit {
	max := b.st.MaxTxnOps()
	var batch []*unit
	var rest []*unit
	seen := map[recKey]bool{}
	ops := 0
	for _, u := range b.queue {
		clash := ops+len(u.ops) > max && ops > 0
		for _, k := range u.keys {
			clash = clash || seen[k] || b.inflight[k]
		}
		if clash {
			rest = append(rest, u)
			continue
		}
		for _, k := range u.keys {
			seen[k] = true
		}
		ops += len(u.ops)
		batch = append(batch, u)
	}
	b.queue = rest
	for k := range seen {
		b.inflight[k] = true
	}
	return batch
}

// run commits one batch.
func (b *batcher) run(batch []*unit) {
	live := make([]*unit, 0, len(batch)) // batch itself must stay intact: drain releases its keys
	for _, u := range batch {
		if u.fresh != nil && !u.fresh() {
			u.resolve(&store.RecordError{Table: u.keys[0].table, ID: u.keys[0].id, Err: store.ErrConflict})
			continue
		}
		live = append(live, u)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for len(live) > 0 {
		tx := b.st.Txn()
		for _, u := range live {
			tx.Add(u.ops...)
		}
		rev, err := tx.Commit(ctx)
		if err == nil || rev != 0 {
			for _, u := range live {
				if err == nil {
					u.rev = rev
				}
				u.resolve(err)
			}
			return
		}
		var re *store.RecordError
		if isConflict(err) && errors.As(err, &re) {
			if i := ownerOf(live, recKey{re.Table, re.ID}); i >= 0 {
				live[i].resolve(err)
				live = append(live[:i], live[i+1:]...)
				continue
			}
		}
		for _, u := range live {
			u.resolve(err)
		}
		return
	}
}

func ownerOf(units []*unit, k recKey) int {
	for i, u := range units {
		for _, uk := range u.keys {
			if uk == k {
				return i
			}
		}
	}
	return -1
}
