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

func testTableCRUD(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	tasks := newTable[task](t, s, "tasks", store.TableConfig{})

	steps := []struct {
		name    string
		do      func() (int64, error)
		wantErr error
		want    *task // expected value of "c1/t1" afterwards; nil = absent
	}{
		{"create", func() (int64, error) { return tasks.Create(ctx, "c1/t1", &task{Cluster: "c1", Status: "PENDING"}) }, nil, &task{Cluster: "c1", Status: "PENDING"}},
		{"create again", func() (int64, error) { return tasks.Create(ctx, "c1/t1", &task{Status: "X"}) }, store.ErrExists, &task{Cluster: "c1", Status: "PENDING"}},
		{"put unconditional", func() (int64, error) { return tasks.Put(ctx, "c1/t1", &task{Cluster: "c1", Status: "RUNNING"}, 0) }, nil, &task{Cluster: "c1", Status: "RUNNING"}},
		{"delete", func() (int64, error) { return tasks.Delete(ctx, "c1/t1", 0) }, nil, nil},
		{"delete missing", func() (int64, error) { return tasks.Delete(ctx, "c1/t1", 0) }, store.ErrNotFound, nil},
		{"put creates", func() (int64, error) { return tasks.Put(ctx, "c1/t1", &task{Status: "NEW"}, 0) }, nil, &task{Status: "NEW"}},
		{"empty id", func() (int64, error) { return tasks.Create(ctx, "", &task{}) }, errAny, &task{Status: "NEW"}},
		{"nil value", func() (int64, error) { return tasks.Put(ctx, "c1/t1", nil, 0) }, errAny, &task{Status: "NEW"}},
	}
	var lastRev int64
	for _, st := range steps {
		rev, err := st.do()
		wantErr(t, st.name, err, st.wantErr)
		if err == nil {
			if rev <= lastRev {
				t.Fatalf("%s: revision %d not after %d", st.name, rev, lastRev)
			}
			lastRev = rev
		}
		got, err := tasks.Get(ctx, "c1/t1")
		if st.want == nil {
			wantErr(t, st.name+": get", err, store.ErrNotFound)
			continue
		}
		if err != nil {
			t.Fatalf("%s: get: %v", st.name, err)
		}
		diff(t, st.name, st.want, got.Value)
		if st.wantErr == nil && err == nil && got.Revision != lastRev {
			t.Errorf("%s: record revision %d, want the write's %d", st.name, got.Revision, lastRev)
		}
	}

	// Errors name the record and read "store: ...".
	_, err := tasks.Create(ctx, "c1/t1", &task{})
	var re *store.RecordError
	if !errors.As(err, &re) || re.Table != "tasks" || re.ID != "c1/t1" {
		t.Fatalf("Create error %v is not a RecordError for tasks c1/t1", err)
	}
	if got, want := err.Error(), `store: tasks "c1/t1": already exists`; got != want {
		t.Errorf("error text %q, want %q", got, want)
	}
	if _, err := store.NewTable[task](ctx, s, "tasks", store.TableConfig{}); !errors.Is(err, store.ErrExists) {
		t.Errorf("registering tasks twice: %v, want ErrExists", err)
	}
	for _, name := range []string{"", "a/b"} {
		if _, err := store.NewTable[task](ctx, s, name, store.TableConfig{}); err == nil {
			t.Errorf("table name %q accepted", name)
		}
	}
}

func testTableCAS(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	tasks := newTable[task](t, s, "tasks", store.TableConfig{})
	r1 := mustRev(t)(tasks.Create(ctx, "t", &task{N: 1}))
	r2 := mustRev(t)(tasks.Put(ctx, "t", &task{N: 2}, r1))

	tests := []struct {
		name    string
		do      func() (int64, error)
		wantErr error
	}{
		{"put with stale revision", func() (int64, error) { return tasks.Put(ctx, "t", &task{N: 99}, r1) }, store.ErrConflict},
		{"delete with stale revision", func() (int64, error) { return tasks.Delete(ctx, "t", r1) }, store.ErrConflict},
		{"put with missing record", func() (int64, error) { return tasks.Put(ctx, "gone", &task{}, r1) }, store.ErrNotFound},
		{"delete missing with revision", func() (int64, error) { return tasks.Delete(ctx, "gone", r1) }, store.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.do()
			wantErr(t, tc.name, err, tc.wantErr)
			got, err := tasks.Get(ctx, "t")
			if err != nil {
				t.Fatal(err)
			}
			if got.Value.N != 2 || got.Revision != r2 {
				t.Errorf("after failed CAS: N=%d rev=%d, want N=2 rev=%d", got.Value.N, got.Revision, r2)
			}
		})
	}
	r3 := mustRev(t)(tasks.Put(ctx, "t", &task{N: 3}, r2))
	if _, err := tasks.Delete(ctx, "t", r3); err != nil {
		t.Fatalf("delete with current revision: %v", err)
	}
	_, err := tasks.Put(ctx, "t", &task{}, r3)
	wantErr(t, "put after delete", err, store.ErrNotFound)
}

// testTableUpdateConcurrent races Update from many goroutines on one record
// and checks no increment is lost.
func testTableUpdateConcurrent(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	counters := newTable[task](t, s, "counters", store.TableConfig{})
	mustRev(t)(counters.Create(ctx, "c", &task{}))

	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				if _, err := counters.Update(ctx, "c", func(v *task) error {
					v.N++
					return nil
				}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := counters.Get(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if got.Value.N != workers*each {
		t.Errorf("counter %d after %d updates: lost updates", got.Value.N, workers*each)
	}

	// Update returns the callback's error untouched and writes nothing.
	errStop := errors.New("stop")
	_, err = counters.Update(ctx, "c", func(v *task) error { v.N = -1; return errStop })
	if !errors.Is(err, errStop) {
		t.Errorf("Update error %v, want the callback's", err)
	}
	// The callback edits a private copy: the cached value is untouched.
	if got2, _ := counters.Get(ctx, "c"); got2.Value.N != workers*each || got2.Value != got.Value {
		t.Errorf("cached value changed by an aborted Update: %+v", got2.Value)
	}
	_, err = counters.Update(ctx, "missing", func(*task) error { return nil })
	wantErr(t, "Update missing", err, store.ErrNotFound)
}

// testTableNoCache runs the read and write paths of a table read from etcd.
func testTableNoCache(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	raw := newTable[task](t, s, "raw", store.TableConfig{NoCache: true})
	for i := range 7 {
		mustRev(t)(raw.Create(ctx, fmt.Sprintf("x/%02d", i), &task{N: i}))
	}
	got, err := raw.Get(ctx, "x/03")
	if err != nil || got.Value.N != 3 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := raw.Get(ctx, "x/99"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get missing: %v", err)
	}
	rec, err := raw.Update(ctx, "x/03", func(v *task) error { v.Status = "S"; return nil })
	if err != nil || rec.Value.Status != "S" {
		t.Fatalf("Update = %+v, %v", rec, err)
	}
	page, next, err := raw.List(ctx, store.Page{Prefix: "x/", After: "x/01", Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "page", []string{"x/02", "x/03", "x/04"}, ids(page))
	diff(t, "next", "x/04", next)
	if err := raw.Index("n", func(v *task) []string { return nil }); err == nil {
		t.Error("Index on an uncached table succeeded")
	}
	if _, err := raw.ByIndex(ctx, "n", "1"); err == nil {
		t.Error("ByIndex on an uncached table succeeded")
	}
}
