// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// maxUpdateAttempts bounds Update's compare-and-swap retries.
const maxUpdateAttempts = 100

// Record is a record with its revisions.
//
// Value is shared with this replica's cache and with every other reader:
// treat it as immutable. To change a record, use Update (which edits a
// private copy) or build a new value and Put it.
type Record[T any] struct {
	ID             string
	Value          *T
	Revision       int64 // revision of the last write: the CAS token for Put and Delete
	CreateRevision int64 // revision of the create
}

// Page selects a slice of a table in id order, the shape of AWS List*
// calls with Marker/NextToken and MaxItems/MaxResults.
type Page struct {
	Prefix string // only ids starting with Prefix, e.g. "cluster-a/"
	After  string // only ids after this one: the marker from the previous page
	Limit  int    // at most this many records; 0 = all
}

// TableConfig configures NewTable.
type TableConfig struct {
	// NoCache serves Get and List from etcd instead of the replica cache
	// and disables indexes. For large tables that are rarely read.
	NoCache bool
}

// Table is a typed collection of JSON-encoded records of type T, stored
// under Store prefix + name + "/" + id. Ids are non-empty and may contain
// "/" to express hierarchy ("cluster-a/task-1"), which Page.Prefix selects.
//
// Reads are served from the replica cache (unless NoCache) and return
// shared values: see Record. Writes go to etcd and return their commit
// revision after the cache has applied it. A Table is safe for concurrent
// use.
type Table[T any] struct {
	s      *Store
	name   string
	prefix string
	cache  *cache[T] // nil with NoCache
}

// NewTable registers a table and, unless cfg.NoCache, fills its cache
// before returning. A name may be registered once per Store; it must be
// non-empty and without "/".
func NewTable[T any](ctx context.Context, s *Store, name string, cfg TableConfig) (*Table[T], error) {
	if name == "" || strings.ContainsAny(name, "/\x00") {
		return nil, fmt.Errorf("store: invalid table name %q", name)
	}
	if err := s.addTable(name); err != nil {
		return nil, err
	}
	t := &Table[T]{s: s, name: name, prefix: s.cfg.Prefix + name + "/"}
	if !cfg.NoCache {
		t.cache = newCache[T](name, s.log)
		if err := s.hub.register(ctx, name, t.cache); err != nil {
			s.removeTable(name)
			return nil, err
		}
	}
	return t, nil
}

// Name returns the table name.
func (t *Table[T]) Name() string { return t.name }

// Revision returns the revision of the last change to this table (a
// create, put or delete) that this replica's cache has applied, or of the
// listing that filled or re-filled the cache, whichever is later. It never
// decreases, and every change up to it is visible to reads of this table
// on this replica, so a value derived from the table's records and labelled
// with the Revision read before them is current for as long as Revision
// stays the same. Writes to other tables do not move it. A table without a
// cache (NoCache) reads etcd directly and reports the Store's Revision.
func (t *Table[T]) Revision() int64 {
	if t.cache == nil {
		return t.s.Revision()
	}
	return t.cache.rev.Load()
}

// Index declares a secondary index, built at once over the cached records
// and maintained on every change; ByIndex and ListByIndex query it. It
// fails on a table without a cache or a duplicate name.
func (t *Table[T]) Index(name string, fn IndexFunc[T]) error {
	if t.cache == nil {
		return fmt.Errorf("store: table %q has no cache to index", t.name)
	}
	return t.cache.addIndex(name, fn)
}

// Get returns a record; ErrNotFound if absent.
func (t *Table[T]) Get(ctx context.Context, id string) (Record[T], error) {
	if t.cache == nil {
		return t.getKV(ctx, id)
	}
	if r, ok := t.cache.get(id); ok {
		return r, nil
	}
	return Record[T]{}, t.errf(id, ErrNotFound)
}

// List returns a page of records in id order and the marker of the next
// page ("" on the last page).
func (t *Table[T]) List(ctx context.Context, p Page) ([]Record[T], string, error) {
	if t.cache == nil {
		return t.listKV(ctx, p)
	}
	recs, next := t.cache.list(p)
	return recs, next, nil
}

// ByIndex returns every record indexed under value, in id order.
func (t *Table[T]) ByIndex(ctx context.Context, index, value string) ([]Record[T], error) {
	recs, _, err := t.ListByIndex(ctx, index, value, Page{})
	return recs, err
}

// ListByIndex returns a page of the records indexed under value, in id
// order, and the marker of the next page.
func (t *Table[T]) ListByIndex(_ context.Context, index, value string, p Page) ([]Record[T], string, error) {
	if t.cache == nil {
		return nil, "", fmt.Errorf("store: table %q has no cache to index", t.name)
	}
	return t.cache.byIndex(index, value, p)
}

// Create writes a new record; ErrExists if the id is taken.
func (t *Table[T]) Create(ctx context.Context, id string, v *T) (int64, error) {
	return t.s.Txn().Add(t.CreateOp(id, v)).Commit(ctx)
}

// Put writes a record if its revision is still rev (compare-and-swap):
// ErrConflict if it changed, ErrNotFound if it is gone. rev 0 writes
// unconditionally, creating or replacing.
func (t *Table[T]) Put(ctx context.Context, id string, v *T, rev int64) (int64, error) {
	return t.s.Txn().Add(t.PutOp(id, v, rev)).Commit(ctx)
}

// Delete removes a record if its revision is still rev (0 = any):
// ErrNotFound if absent, ErrConflict if it changed.
func (t *Table[T]) Delete(ctx context.Context, id string, rev int64) (int64, error) {
	return t.s.Txn().Add(t.DeleteOp(id, rev)).Commit(ctx)
}

// Update applies fn to a private copy of the record and writes it back with
// compare-and-swap, re-reading and re-applying fn when another writer got
// there first, so no update is lost. fn may run several times and must not
// have other side effects; an error from fn aborts Update and is returned
// as is. The returned record holds the copy fn edited, which the caller
// owns. ErrNotFound if the record does not exist; ErrConflict after 100
// lost races.
//
// If *T has a method Clone() *T, it copies a cached value; otherwise a
// JSON round trip does.
func (t *Table[T]) Update(ctx context.Context, id string, fn func(*T) error) (Record[T], error) {
	for attempt := 1; ; attempt++ {
		cur, err := t.forUpdate(ctx, id, attempt == 1)
		if err != nil {
			return Record[T]{}, err
		}
		if err := fn(cur.Value); err != nil {
			return Record[T]{}, err
		}
		rev, err := t.Put(ctx, id, cur.Value, cur.Revision)
		if rev != 0 {
			cur.Revision = rev
			return cur, err // err: committed, but the cache lags
		}
		if !errors.Is(err, ErrConflict) || attempt == maxUpdateAttempts {
			return Record[T]{}, err
		}
		if attempt >= 3 { // heavy contention: spread the retries
			d := rand.N(time.Duration(attempt) * time.Millisecond)
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return Record[T]{}, t.errf(id, ctx.Err())
			}
		}
	}
}

// forUpdate returns a private copy of the record: from the cache on a first
// attempt (it is usually current), from etcd after a conflict.
func (t *Table[T]) forUpdate(ctx context.Context, id string, fromCache bool) (Record[T], error) {
	if !fromCache || t.cache == nil {
		return t.getKV(ctx, id)
	}
	r, ok := t.cache.get(id)
	if !ok {
		return t.getKV(ctx, id)
	}
	v, err := clone(r.Value)
	if err != nil {
		return Record[T]{}, t.errf(id, err)
	}
	r.Value = v
	return r, nil
}

// CreateOp is Create as a Txn operation.
func (t *Table[T]) CreateOp(id string, v *T) Op { return t.writeOp(opCreate, id, v, 0) }

// PutOp is Put as a Txn operation.
func (t *Table[T]) PutOp(id string, v *T, rev int64) Op { return t.writeOp(opPut, id, v, rev) }

// DeleteOp is Delete as a Txn operation.
func (t *Table[T]) DeleteOp(id string, rev int64) Op { return t.op(opDelete, id, rev) }

// CheckOp guards a Txn on a record without writing it: the record must
// still be at revision rev, or merely exist if rev is 0. The scheduler uses
// it to commit tasks only if their container instance did not change.
func (t *Table[T]) CheckOp(id string, rev int64) Op { return t.op(opCheck, id, rev) }

func (t *Table[T]) op(kind opKind, id string, rev int64) Op {
	o := Op{s: t.s, table: t.name, id: id, key: t.prefix + id, kind: kind, rev: rev}
	switch {
	case id == "":
		o.err = t.errf(id, errors.New("store: empty id"))
	case rev < 0:
		o.err = t.errf(id, fmt.Errorf("store: negative revision %d", rev))
	}
	return o
}

func (t *Table[T]) writeOp(kind opKind, id string, v *T, rev int64) Op {
	o := t.op(kind, id, rev)
	if o.err != nil {
		return o
	}
	if v == nil {
		o.err = t.errf(id, errors.New("store: nil value"))
		return o
	}
	b, err := json.Marshal(v)
	if err != nil {
		o.err = t.errf(id, fmt.Errorf("store: encode: %w", err))
	}
	o.value = b
	return o
}

func (t *Table[T]) getKV(ctx context.Context, id string) (Record[T], error) {
	kv, _, err := t.s.kv.Get(ctx, t.prefix+id, 0)
	if errors.Is(err, ErrNotFound) {
		return Record[T]{}, t.errf(id, ErrNotFound)
	}
	if err != nil {
		return Record[T]{}, t.errf(id, err)
	}
	v, err := decode[T](kv.Value)
	if err != nil {
		return Record[T]{}, t.errf(id, fmt.Errorf("store: decode: %w", err))
	}
	return Record[T]{ID: id, Value: v, Revision: kv.ModRevision, CreateRevision: kv.CreateRevision}, nil
}

// listKV pages through etcd at one revision.
func (t *Table[T]) listKV(ctx context.Context, p Page) ([]Record[T], string, error) {
	req := RangeRequest{Prefix: t.prefix + p.Prefix}
	if p.After != "" {
		req.After = t.prefix + p.After
	}
	var out []Record[T]
	for {
		req.Limit = listPageSize
		if p.Limit > 0 {
			req.Limit = int64(min(listPageSize, p.Limit-len(out)))
		}
		resp, err := t.s.kv.Range(ctx, req)
		if err != nil {
			return nil, "", wrapf(err, "list %s", t.name)
		}
		req.Revision = resp.Revision
		for _, kv := range resp.KVs {
			id := kv.Key[len(t.prefix):]
			v, err := decode[T](kv.Value)
			if err != nil {
				return nil, "", t.errf(id, fmt.Errorf("store: decode: %w", err))
			}
			out = append(out, Record[T]{ID: id, Value: v, Revision: kv.ModRevision, CreateRevision: kv.CreateRevision})
		}
		if !resp.More || len(resp.KVs) == 0 {
			return out, "", nil
		}
		if p.Limit > 0 && len(out) >= p.Limit {
			return out, out[len(out)-1].ID, nil
		}
		req.After = resp.KVs[len(resp.KVs)-1].Key
	}
}

func (t *Table[T]) errf(id string, err error) error {
	return &RecordError{Table: t.name, ID: id, Err: err}
}

// clone deep-copies a value for Update.
func clone[T any](v *T) (*T, error) {
	if c, ok := any(v).(interface{ Clone() *T }); ok {
		return c.Clone(), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: copy: %w", err)
	}
	return decode[T](b)
}
