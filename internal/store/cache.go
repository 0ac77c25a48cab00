// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// entry is a cached record. val is shared with every reader and never
// mutated: an update replaces the entry with a freshly decoded value.
type entry[T any] struct {
	val       *T
	rev       int64
	createRev int64
}

// cache is one table's replica-local copy, fed by the hub: records by id,
// ids in order for paginated lists, and the secondary indexes. Reads take
// the read lock only long enough to copy out pointers.
//
// Values are stored as pointers and handed to readers as is, without a
// deep copy: at 100k records a copy per read would cost more than the read.
// The contract is that callers never mutate a value they get from a Table;
// Update hands its callback a private copy instead.
type cache[T any] struct {
	table string
	log   *slog.Logger

	// rev is the revision of the last change applied (or of the listing
	// that filled the cache): set by the hub after the change is visible,
	// never lowered.
	rev atomic.Int64

	mu      sync.RWMutex
	items   map[string]entry[T]
	ids     sortedSet
	indexes map[string]*index[T]
}

var _ sink = (*cache[struct{}])(nil)

func newCache[T any](table string, log *slog.Logger) *cache[T] {
	return &cache[T]{
		table:   table,
		log:     log,
		items:   make(map[string]entry[T]),
		indexes: make(map[string]*index[T]),
	}
}

func (c *cache[T]) get(id string) (Record[T], bool) {
	c.mu.RLock()
	e, ok := c.items[id]
	c.mu.RUnlock()
	if !ok {
		return Record[T]{}, false
	}
	return e.record(id), true
}

func (c *cache[T]) list(p Page) ([]Record[T], string) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.records(&c.ids, p)
}

func (c *cache[T]) byIndex(name, value string, p Page) ([]Record[T], string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ix, ok := c.indexes[name]
	if !ok {
		return nil, "", fmt.Errorf("store: table %q has no index %q", c.table, name)
	}
	b := ix.buckets[value]
	if b == nil {
		return nil, "", nil
	}
	recs, next := c.records(b, p)
	return recs, next, nil
}

// records resolves a page of ids to records. Called with the lock held.
func (c *cache[T]) records(ids *sortedSet, p Page) ([]Record[T], string) {
	page, more := ids.page(p.Prefix, p.After, p.Limit)
	out := make([]Record[T], len(page))
	for i, id := range page {
		out[i] = c.items[id].record(id)
	}
	next := ""
	if more {
		next = page[len(page)-1]
	}
	return out, next
}

func (c *cache[T]) addIndex(name string, fn IndexFunc[T]) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.indexes[name]; ok {
		return fmt.Errorf("store: table %q already has index %q", c.table, name)
	}
	c.indexes[name] = c.buildIndex(fn, c.items, &c.ids)
	return nil
}

func (c *cache[T]) replace(kvs []tableKV) {
	items := make(map[string]entry[T], len(kvs))
	var ids sortedSet
	for _, kv := range kvs {
		v, err := decode[T](kv.kv.Value)
		if err != nil {
			c.log.Error("store: undecodable record left out of cache", logKeyTable, c.table, logKeyID, kv.id, logKeyErr, err)
			continue
		}
		items[kv.id] = entry[T]{val: v, rev: kv.kv.ModRevision, createRev: kv.kv.CreateRevision}
		ids.Insert(kv.id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items, c.ids = items, ids
	for name, ix := range c.indexes {
		c.indexes[name] = c.buildIndex(ix.fn, items, &ids)
	}
}

// buildIndex indexes items in id order, so every bucket grows by appends.
func (c *cache[T]) buildIndex(fn IndexFunc[T], items map[string]entry[T], ids *sortedSet) *index[T] {
	ix := newIndex(fn)
	ids.Ascend("", func(id string) bool {
		ix.insert(id, items[id].val)
		return true
	})
	return ix
}

func (c *cache[T]) apply(evs []tableEvent) {
	// Decode outside the lock; readers keep going meanwhile.
	vals := make([]*T, len(evs))
	for i, ev := range evs {
		if ev.typ != EventPut {
			continue
		}
		v, err := decode[T](ev.kv.Value)
		if err != nil {
			c.log.Error("store: undecodable record dropped from cache", logKeyTable, c.table, logKeyID, ev.id, logKeyErr, err)
			continue // nil: applied as a delete
		}
		vals[i] = v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, ev := range evs {
		old, had := c.items[ev.id]
		if vals[i] == nil {
			if had {
				delete(c.items, ev.id)
				c.ids.Delete(ev.id)
				for _, ix := range c.indexes {
					ix.remove(ev.id, old.val)
				}
			}
			continue
		}
		c.items[ev.id] = entry[T]{val: vals[i], rev: ev.kv.ModRevision, createRev: ev.kv.CreateRevision}
		if !had {
			c.ids.Insert(ev.id)
		}
		for _, ix := range c.indexes {
			if had {
				ix.update(ev.id, old.val, vals[i])
			} else {
				ix.insert(ev.id, vals[i])
			}
		}
	}
}

func (c *cache[T]) advance(rev int64) {
	for {
		cur := c.rev.Load()
		if rev <= cur || c.rev.CompareAndSwap(cur, rev) {
			return
		}
	}
}

func (e entry[T]) record(id string) Record[T] {
	return Record[T]{ID: id, Value: e.val, Revision: e.rev, CreateRevision: e.createRev}
}

func decode[T any](b []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	return v, nil
}
