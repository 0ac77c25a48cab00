// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/store"
)

// ev is the comparable part of a watch event.
type ev struct {
	Type  store.EventType
	Key   string
	Value string
	Rev   int64
}

func testKVWatchFromRevision(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	kv := s.KV()
	p := s.Prefix() + "w/"
	r1 := mustRev(t)(kv.Put(ctx, p+"a", []byte("1"), store.NoLease))
	r2 := mustRev(t)(kv.Put(ctx, p+"b", []byte("2"), store.NoLease))
	r3, _, err := kv.Delete(ctx, p+"a")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := kv.Txn(ctx, store.TxnRequest{Then: []store.TxnOp{
		{Type: store.TxnPut, Key: p + "c", Value: []byte("3")},
		{Type: store.TxnPut, Key: p + "d", Value: []byte("4")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r4 := resp.Revision
	if _, err := kv.Put(ctx, s.Prefix()+"elsewhere", []byte("x"), store.NoLease); err != nil {
		t.Fatal(err)
	}
	all := []ev{
		{store.EventPut, p + "a", "1", r1},
		{store.EventPut, p + "b", "2", r2},
		{store.EventDelete, p + "a", "", r3},
		{store.EventPut, p + "c", "3", r4},
		{store.EventPut, p + "d", "4", r4},
	}
	tests := []struct {
		name string
		from int64
		want []ev
	}{
		{"from the first write", r1, all},
		{"from the middle", r2, all[1:]},
		{"from the delete", r3, all[2:]},
		{"from the transaction", r4, all[3:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wctx, cancel := context.WithCancel(ctx)
			defer cancel()
			ch := kv.Watch(wctx, p, tc.from)
			var got []ev
			for len(got) < len(tc.want) {
				select {
				case resp := <-ch:
					if resp.Err != nil {
						t.Fatal(resp.Err)
					}
					var revs []int64
					for _, e := range resp.Events {
						got = append(got, ev{e.Type, e.KV.Key, string(e.KV.Value), e.KV.ModRevision})
						revs = append(revs, e.KV.ModRevision)
					}
					// A revision is never split across responses.
					if len(got) > 0 && got[len(got)-1].Rev == r4 && len(got) < len(tc.want) {
						t.Fatalf("transaction split across responses: %v", revs)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("timed out; got %v", got)
				}
			}
			diff(t, "events", tc.want, got)
		})
	}

	// A watch from now sees only what follows.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := kv.Watch(wctx, p, 0)
	var r5 int64
	// The watch may register after the put; retry until it sees one.
	for got := []ev(nil); got == nil; {
		r5 = mustRev(t)(kv.Put(ctx, p+"e", []byte("5"), store.NoLease))
		select {
		case resp := <-ch:
			if resp.Err != nil {
				t.Fatal(resp.Err)
			}
			e := resp.Events[0]
			got = []ev{{e.Type, e.KV.Key, string(e.KV.Value), e.KV.ModRevision}}
			if got[0].Rev <= r4 {
				t.Fatalf("watch from now replayed history: %v", got)
			}
			if got[0].Rev == r5 {
				diff(t, "live event", []ev{{store.EventPut, p + "e", "5", r5}}, got)
			}
		case <-time.After(time.Second):
		}
	}
}

func testKVWatchCompacted(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	kv := s.KV()
	p := s.Prefix() + "w/"
	r1 := mustRev(t)(kv.Put(ctx, p+"x", []byte("1"), store.NoLease))
	r2 := mustRev(t)(kv.Put(ctx, p+"x", []byte("2"), store.NoLease))
	if err := s.Compact(ctx, r2); err != nil {
		t.Fatal(err)
	}
	select {
	case resp := <-kv.Watch(ctx, p, r1):
		if !errors.Is(resp.Err, store.ErrCompacted) || resp.CompactRevision != r2 {
			t.Fatalf("watch from compacted revision: err %v compact revision %d, want ErrCompacted at %d", resp.Err, resp.CompactRevision, r2)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no response")
	}
	if _, _, err := kv.Get(ctx, p+"x", r1); !errors.Is(err, store.ErrCompacted) {
		t.Errorf("Get at a compacted revision: %v", err)
	}
	if _, err := kv.Range(ctx, store.RangeRequest{Prefix: p, Revision: r1}); !errors.Is(err, store.ErrCompacted) {
		t.Errorf("Range at a compacted revision: %v", err)
	}
	got, _, err := kv.Get(ctx, p+"x", r2)
	if err != nil || string(got.Value) != "2" {
		t.Errorf("Get at the compaction revision = %q, %v", got.Value, err)
	}
}

// testCacheRelistAfterCompaction freezes the cache's watch, changes the
// table behind its back, compacts that history away and resumes: the watch
// is compacted and the cache must re-list to converge.
func testCacheRelistAfterCompaction(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	tasks := newTable[task](t, s, "tasks", store.TableConfig{})
	if err := tasks.Index("status", func(v *task) []string { return []string{v.Status} }); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		mustRev(t)(tasks.Create(ctx, id, &task{Status: "PENDING"}))
	}

	before := tasks.Revision()
	store.StopWatch(s)
	kv := s.KV()
	put := func(id string, v task) int64 {
		b, _ := json.Marshal(v)
		return mustRev(t)(kv.Put(ctx, s.Prefix()+"tasks/"+id, b, store.NoLease))
	}
	put("d", task{Status: "RUNNING"})
	put("b", task{Status: "RUNNING"})
	rev, _, err := kv.Delete(ctx, s.Prefix()+"tasks/a")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx, rev); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := tasks.List(ctx, store.Page{}); len(got) != 3 || got[0].ID != "a" {
		t.Fatalf("cache changed while its watch was stopped: %v", ids(got))
	}
	store.StartWatch(s)
	if err := s.WaitForRevision(ctx, rev); err != nil {
		t.Fatal(err)
	}
	got, _, err := tasks.List(ctx, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "ids after re-list", []string{"b", "c", "d"}, ids(got))
	// The re-list took in changes (the delete of a last): the table's
	// revision covers them.
	if got := tasks.Revision(); got < rev || got <= before {
		t.Errorf("Revision() after re-list = %d, want at least %d (was %d)", got, rev, before)
	}
	running, err := tasks.ByIndex(ctx, "status", "RUNNING")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "index after re-list", []string{"b", "d"}, ids(running))
	// And the watch goes on.
	mustRev(t)(tasks.Create(ctx, "e", &task{}))
	if _, err := tasks.Get(ctx, "e"); err != nil {
		t.Fatal(err)
	}
}

// testStoreWaitForForeignRevision waits for a revision whose write lies
// outside the store's prefix, so no event of the watch carries it: the
// cache must learn it through a progress notification.
func testStoreWaitForForeignRevision(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	rev := mustRev(t)(s.KV().Put(ctx, fmt.Sprintf("/foreign%s", s.Prefix()), []byte("x"), store.NoLease))
	start := time.Now()
	if err := s.WaitForRevision(ctx, rev); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("waiting for a foreign revision took %v", d)
	}
	synced, err := s.Sync(ctx)
	if err != nil || synced < rev || s.Revision() < synced {
		t.Errorf("Sync = %d, %v; cache at %d; want >= %d", synced, err, s.Revision(), rev)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := s.WaitForRevision(short, synced+1_000_000); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for a future revision: %v, want deadline exceeded", err)
	}
}
