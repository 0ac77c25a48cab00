// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/berthdev/berth/internal/store"
)

// TestStore_Replicas runs two Stores on one external cluster and prefix, as
// two berth servers would: each sees the other's writes through its watch,
// and compare-and-swap from both loses no update.
func TestStore_Replicas(t *testing.T) {
	endpoint := sharedEtcd(t)
	cfg := store.Config{Endpoints: []string{endpoint}, Prefix: fmt.Sprintf("/berth-replicas/%d/", prefixSeq.Add(1))}
	a, b := openStore(t, cfg), openStore(t, cfg)
	ctx := testCtx(t)
	ta := newTable[task](t, a, "tasks", store.TableConfig{})
	tb := newTable[task](t, b, "tasks", store.TableConfig{})
	if err := tb.Index("status", func(v *task) []string { return []string{v.Status} }); err != nil {
		t.Fatal(err)
	}

	t.Run("write on one is visible in the other's cache", func(t *testing.T) {
		rev := mustRev(t)(ta.Create(ctx, "t1", &task{Status: "RUNNING"}))
		eventually(t, "replica b to see t1", func() bool {
			got, err := tb.Get(ctx, "t1")
			return err == nil && got.Revision == rev
		})
		running, err := tb.ByIndex(ctx, "status", "RUNNING")
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "b's index", []string{"t1"}, ids(running))
		mustRev(t)(tb.Delete(ctx, "t1", rev))
		// Sync: a read on a after Sync sees b's acknowledged write at once.
		if _, err := a.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := ta.Get(ctx, "t1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a after Sync: %v", err)
		}
	})

	t.Run("concurrent CAS from both loses no update", func(t *testing.T) {
		mustRev(t)(ta.Create(ctx, "counter", &task{}))
		const perReplica, workers = 40, 3
		var wg sync.WaitGroup
		errs := make(chan error, 2*workers)
		for _, tbl := range []*store.Table[task]{ta, tb} {
			for range workers {
				wg.Go(func() {
					for range perReplica / workers {
						if _, err := tbl.Update(ctx, "counter", func(v *task) error { v.N++; return nil }); err != nil {
							errs <- err
							return
						}
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		want := 2 * workers * (perReplica / workers)
		for name, s := range map[string]*store.Store{"a": a, "b": b} {
			if _, err := s.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			tbl := map[string]*store.Table[task]{"a": ta, "b": tb}[name]
			got, err := tbl.Get(ctx, "counter")
			if err != nil || got.Value.N != want {
				t.Errorf("replica %s: counter %+v, %v; want %d", name, got.Value, err, want)
			}
		}
	})

	t.Run("racing puts at one revision: exactly one wins", func(t *testing.T) {
		rev := mustRev(t)(ta.Create(ctx, "race", &task{}))
		if err := b.WaitForRevision(ctx, rev); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([]error, 2)
		for i, tbl := range []*store.Table[task]{ta, tb} {
			wg.Go(func() {
				_, results[i] = tbl.Put(ctx, "race", &task{N: i + 1}, rev)
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range results {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("loser error %v, want ErrConflict", err)
			}
		}
		if wins != 1 {
			t.Errorf("%d winners: %v", wins, results)
		}
	})
}

// TestStore_SideBySide runs two embedded Stores in one process: their
// members bind distinct ephemeral ports and their data stays apart. A third
// Store reaches the first member through its client URL.
func TestStore_SideBySide(t *testing.T) {
	ctx := testCtx(t)
	a := openStore(t, store.Config{DataDir: t.TempDir(), ClientURL: "http://127.0.0.1:0"})
	b := openStore(t, store.Config{DataDir: t.TempDir()})
	if len(a.ClientURLs()) != 1 || b.ClientURLs() != nil {
		t.Fatalf("client URLs a=%v b=%v", a.ClientURLs(), b.ClientURLs())
	}
	c := openStore(t, store.Config{Endpoints: a.ClientURLs()})
	ta := newTable[task](t, a, "tasks", store.TableConfig{})
	tb := newTable[task](t, b, "tasks", store.TableConfig{})
	tc := newTable[task](t, c, "tasks", store.TableConfig{})
	mustRev(t)(ta.Create(ctx, "only-in-a", &task{}))
	mustRev(t)(tb.Create(ctx, "only-in-b", &task{}))
	if _, err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		tbl  *store.Table[task]
		want []string
	}{
		{"a", ta, []string{"only-in-a"}},
		{"b", tb, []string{"only-in-b"}},
		{"client of a", tc, []string{"only-in-a"}},
	} {
		got, _, err := tc.tbl.List(ctx, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, tc.name, tc.want, ids(got))
	}
}
