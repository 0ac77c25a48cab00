// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/berthdev/berth/internal/store"
)

// testCacheReadYourWrites reads from the cache immediately after each write
// returns, with no wait or retry in between.
func testCacheReadYourWrites(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	tasks := newTable[task](t, s, "tasks", store.TableConfig{})
	if err := tasks.Index("status", func(v *task) []string { return []string{v.Status} }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				id := fmt.Sprintf("w%d/t%02d", w, i)
				if err := createUpdateDelete(ctx, tasks, id, i%3 == 0); err != nil {
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
	all, _, err := tasks.List(ctx, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4*(25-9) {
		t.Errorf("%d records, want %d", len(all), 4*(25-9))
	}
}

func createUpdateDelete(ctx context.Context, tasks *store.Table[task], id string, del bool) error {
	rev, err := tasks.Create(ctx, id, &task{Status: "PENDING"})
	if err != nil {
		return err
	}
	got, err := tasks.Get(ctx, id)
	if err != nil || got.Revision != rev {
		return fmt.Errorf("Get right after Create at %d = %+v, %v", rev, got, err)
	}
	rec, err := tasks.Update(ctx, id, func(v *task) error { v.Status = "RUNNING"; return nil })
	if err != nil {
		return err
	}
	running, err := tasks.ByIndex(ctx, "status", "RUNNING")
	if err != nil || !slices.Contains(ids(running), id) {
		return fmt.Errorf("ByIndex right after Update at %d misses %s: %v", rec.Revision, id, err)
	}
	if got, _ := tasks.Get(ctx, id); got.Value.Status != "RUNNING" || got.Revision != rec.Revision {
		return fmt.Errorf("Get right after Update at %d = %+v", rec.Revision, got)
	}
	if !del {
		return nil
	}
	if _, err := tasks.Delete(ctx, id, rec.Revision); err != nil {
		return err
	}
	if _, err := tasks.Get(ctx, id); !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("Get right after Delete: %v", err)
	}
	return nil
}

func testCacheIndexes(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	tasks := newTable[task](t, s, "tasks", store.TableConfig{})
	for _, ix := range []struct {
		name string
		fn   store.IndexFunc[task]
	}{
		{"cluster", func(v *task) []string { return []string{v.Cluster} }},
		{"tag", func(v *task) []string { return v.Tags }},
	} {
		if err := tasks.Index(ix.name, ix.fn); err != nil {
			t.Fatal(err)
		}
	}
	mustRev(t)(tasks.Create(ctx, "t1", &task{Cluster: "c1", Status: "RUNNING", Tags: []string{"a", "b"}}))
	mustRev(t)(tasks.Create(ctx, "t2", &task{Cluster: "c1", Status: "PENDING", Tags: []string{"b"}}))
	mustRev(t)(tasks.Create(ctx, "t3", &task{Cluster: "c2", Status: "RUNNING"}))
	if _, err := tasks.Update(ctx, "t2", func(v *task) error { v.Cluster, v.Tags = "c2", []string{"c", "c"}; return nil }); err != nil {
		t.Fatal(err)
	}
	mustRev(t)(tasks.Delete(ctx, "t1", 0))
	for i := range 10 {
		mustRev(t)(tasks.Create(ctx, fmt.Sprintf("u%d", i), &task{Cluster: "c3", Status: "PENDING"}))
	}
	// An index declared over existing data is built at once.
	if err := tasks.Index("status", func(v *task) []string { return []string{v.Status} }); err != nil {
		t.Fatal(err)
	}
	if err := tasks.Index("status", func(v *task) []string { return nil }); err == nil {
		t.Error("duplicate index accepted")
	}

	tests := []struct {
		index, value string
		page         store.Page
		want         []string
		wantNext     string
	}{
		{index: "cluster", value: "c1", want: nil},
		{index: "cluster", value: "c2", want: []string{"t2", "t3"}},
		{index: "tag", value: "a", want: nil},
		{index: "tag", value: "b", want: nil},
		{index: "tag", value: "c", want: []string{"t2"}},
		{index: "status", value: "RUNNING", want: []string{"t3"}},
		{index: "status", value: "PENDING", want: []string{"t2", "u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}},
		{index: "cluster", value: "c3", page: store.Page{After: "u2", Limit: 4}, want: []string{"u3", "u4", "u5", "u6"}, wantNext: "u6"},
		{index: "cluster", value: "c3", page: store.Page{After: "u6", Limit: 4}, want: []string{"u7", "u8", "u9"}},
		{index: "status", value: "PENDING", page: store.Page{Prefix: "t"}, want: []string{"t2"}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s=%s/%+v", tc.index, tc.value, tc.page), func(t *testing.T) {
			got, next, err := tasks.ListByIndex(ctx, tc.index, tc.value, tc.page)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "ids", tc.want, nilIfEmpty(ids(got)))
			diff(t, "next", tc.wantNext, next)
		})
	}
	if _, err := tasks.ByIndex(ctx, "nope", "x"); err == nil {
		t.Error("unknown index accepted")
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// testCachePagination pages through a cached and an uncached copy of the
// same records and checks both against a reference implementation.
func testCachePagination(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	cached := newTable[task](t, s, "cached", store.TableConfig{})
	raw := newTable[task](t, s, "raw", store.TableConfig{NoCache: true})
	var all []string
	for k := range 3 {
		tx := s.Txn()
		for i := range 40 {
			id := fmt.Sprintf("c%d/t%03d", k, i*2) // even numbers, leaving gaps
			all = append(all, id)
			tx.Add(cached.CreateOp(id, &task{N: i}), raw.CreateOp(id, &task{N: i}))
		}
		mustRev(t)(tx.Commit(ctx))
	}
	slices.Sort(all)

	tests := []store.Page{
		{},
		{Limit: 100},
		{Limit: 100, After: all[99]},
		{Limit: 1},
		{Prefix: "c1/"},
		{Prefix: "c1/", Limit: 15, After: "c1/t020"},
		{Prefix: "c1/", After: "c1/t021"}, // marker between ids
		{Prefix: "c2/", After: "c0/t010"}, // marker before the prefix
		{Prefix: "c0/", After: "c1/t000"}, // marker past the prefix
		{Prefix: "c9/"},
		{Prefix: "c1/t07"},
		{After: all[len(all)-1]},
	}
	for _, p := range tests {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			want, wantNext := refPage(all, p)
			for _, tbl := range []*store.Table[task]{cached, raw} {
				got, next, err := tbl.List(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				diff(t, tbl.Name()+" ids", want, nilIfEmpty(ids(got)))
				diff(t, tbl.Name()+" next", wantNext, next)
			}
		})
	}

	// Following the markers visits every record once.
	for _, tbl := range []*store.Table[task]{cached, raw} {
		var seen []string
		p := store.Page{Limit: 7}
		for {
			page, next, err := tbl.List(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, ids(page)...)
			if next == "" {
				break
			}
			p.After = next
		}
		diff(t, tbl.Name()+" walk", all, seen)
	}
}

// refPage is the reference semantics of Page over sorted ids.
func refPage(all []string, p store.Page) ([]string, string) {
	var out []string
	for _, id := range all {
		if !strings.HasPrefix(id, p.Prefix) || (p.After != "" && id <= p.After) {
			continue
		}
		if p.Limit > 0 && len(out) == p.Limit {
			return out, out[len(out)-1]
		}
		out = append(out, id)
	}
	return out, ""
}
