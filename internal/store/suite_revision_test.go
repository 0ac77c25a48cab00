// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/berthdev/berth/internal/store"
)

// testTableRevision checks that a table's revision moves with its own
// changes (deletions and transactions included) and with nothing else.
func testTableRevision(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	a := newTable[task](t, s, "a", store.TableConfig{})
	bt := newTable[task](t, s, "b", store.TableConfig{})
	nc := newTable[task](t, s, "nc", store.TableConfig{NoCache: true})
	if ra, rb := a.Revision(), bt.Revision(); ra == 0 || ra > s.Revision() || rb == 0 || rb > s.Revision() {
		t.Fatalf("fresh tables at revisions %d, %d; store at %d", ra, rb, s.Revision())
	}

	ca := mustRev(t)(a.Create(ctx, "x", &task{Status: "PENDING"}))
	if got := a.Revision(); got != ca {
		t.Errorf("a.Revision() after create = %d, want %d", got, ca)
	}
	rb := bt.Revision()
	if rb >= ca {
		t.Errorf("b.Revision() = %d moved with a write to a at %d", rb, ca)
	}
	cb := mustRev(t)(bt.Create(ctx, "y", &task{Status: "PENDING"}))
	if got := a.Revision(); got != ca {
		t.Errorf("a.Revision() = %d after a write to b, want %d", got, ca)
	}
	if got := bt.Revision(); got != cb {
		t.Errorf("b.Revision() after create = %d, want %d", got, cb)
	}

	// A deletion is a change.
	da := mustRev(t)(a.Delete(ctx, "x", 0))
	if got := a.Revision(); got != da {
		t.Errorf("a.Revision() after delete = %d, want %d", got, da)
	}
	if got := bt.Revision(); got != cb {
		t.Errorf("b.Revision() = %d after a delete in a, want %d", got, cb)
	}

	// One transaction over both tables moves both to its revision.
	tr := mustRev(t)(s.Txn().Add(a.CreateOp("x2", &task{}), bt.PutOp("y", &task{Status: "RUNNING"}, cb)).Commit(ctx))
	if ra, rb := a.Revision(), bt.Revision(); ra != tr || rb != tr {
		t.Errorf("revisions after a txn on both at %d = %d, %d", tr, ra, rb)
	}

	// Writes outside any cached table move the store, not the tables.
	nr := mustRev(t)(nc.Create(ctx, "z", &task{}))
	kr := mustRev(t)(s.KV().Put(ctx, s.Prefix()+"elsewhere", []byte("1"), 0))
	if err := s.WaitForRevision(ctx, kr); err != nil {
		t.Fatal(err)
	}
	if ra, rb := a.Revision(), bt.Revision(); ra != tr || rb != tr {
		t.Errorf("revisions after foreign writes at %d, %d = %d, %d, want %d", nr, kr, ra, rb, tr)
	}
	if got := nc.Revision(); got < kr || got != s.Revision() {
		t.Errorf("NoCache table Revision() = %d, want the store's %d", got, s.Revision())
	}

	// A table registered later starts at the revision it was listed at,
	// with the records written before it visible.
	late := newTable[task](t, s, "a2", store.TableConfig{})
	if got := late.Revision(); got < kr {
		t.Errorf("late table at revision %d, before the store's %d", got, kr)
	}
}

// testTableRevisionConcurrent writes to two tables at once while readers
// check that each table's revision never decreases and never runs ahead of
// what the table's cache shows, and that in the end each table is at the
// revision of its own last write.
func testTableRevisionConcurrent(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	tables := []*store.Table[task]{
		newTable[task](t, s, "a", store.TableConfig{}),
		newTable[task](t, s, "b", store.TableConfig{}),
	}
	const writers, writes = 2, 40
	var last [2]atomic.Int64 // highest commit revision per table
	var done atomic.Bool
	errs := make(chan error, 16)
	var readers sync.WaitGroup
	for ti, tbl := range tables {
		readers.Go(func() {
			prev := int64(0)
			for !done.Load() {
				rev := tbl.Revision()
				if rev < prev {
					errs <- fmt.Errorf("table %d: Revision went back from %d to %d", ti, prev, rev)
					return
				}
				prev = rev
				// Only puts, never deletes: the change at rev left a record
				// at rev or later, which must be visible now.
				recs, _, err := tbl.List(ctx, store.Page{})
				if err != nil {
					errs <- err
					return
				}
				maxRev := int64(0)
				for _, r := range recs {
					maxRev = max(maxRev, r.Revision)
				}
				if len(recs) > 0 && maxRev < rev {
					errs <- fmt.Errorf("table %d: Revision %d but newest visible record at %d", ti, rev, maxRev)
					return
				}
			}
		})
	}
	var wg sync.WaitGroup
	for ti, tbl := range tables {
		for w := range writers {
			wg.Go(func() {
				for i := range writes {
					rev, err := tbl.Put(ctx, fmt.Sprintf("w%d/%d", w, i%5), &task{N: i}, 0)
					if err != nil {
						errs <- err
						return
					}
					for {
						cur := last[ti].Load()
						if rev <= cur || last[ti].CompareAndSwap(cur, rev) {
							break
						}
					}
					if got := tbl.Revision(); got < rev {
						errs <- fmt.Errorf("table %d: Revision %d right after a write at %d returned", ti, got, rev)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	done.Store(true)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for ti, tbl := range tables {
		if got, want := tbl.Revision(), last[ti].Load(); got != want {
			t.Errorf("table %d: Revision() = %d after all writes, want its last write's %d", ti, got, want)
		}
	}
}
