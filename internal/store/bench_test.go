// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/store"
)

// BenchmarkStore_OpenEmbedded measures open-to-ready of an embedded store
// on an empty data dir: etcd start, election, first read, watch running.
func BenchmarkStore_OpenEmbedded(b *testing.B) {
	root := b.TempDir()
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		s, err := store.Open(ctx, store.Config{DataDir: filepath.Join(root, fmt.Sprint(i)), Logger: testLogger()})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// BenchmarkTable_Put measures one sequential write: etcd commit with WAL
// fsync plus the wait for the local cache.
func BenchmarkTable_Put(b *testing.B) {
	s := openStore(b, store.Config{DataDir: b.TempDir()})
	ctx := context.Background()
	tasks, err := store.NewTable[task](ctx, s, "tasks", store.TableConfig{})
	if err != nil {
		b.Fatal(err)
	}
	v := &task{Cluster: "c1", Status: "RUNNING", Tags: []string{"a"}}
	for i := 0; b.Loop(); i++ {
		v.N = i
		if _, err := tasks.Put(ctx, "t", v, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTable_PutParallel measures write throughput with 16 concurrent
// writers, which etcd batches into shared fsyncs.
func BenchmarkTable_PutParallel(b *testing.B) {
	s := openStore(b, store.Config{DataDir: b.TempDir()})
	ctx := context.Background()
	tasks, err := store.NewTable[task](ctx, s, "tasks", store.TableConfig{})
	if err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		id := fmt.Sprint(seq.Add(1))
		v := &task{Cluster: "c1", Status: "RUNNING"}
		for pb.Next() {
			if _, err := tasks.Put(ctx, id, v, 0); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkTxn_100Puts measures one transaction of 100 puts.
func BenchmarkTxn_100Puts(b *testing.B) {
	s := openStore(b, store.Config{DataDir: b.TempDir()})
	ctx := context.Background()
	tasks, err := store.NewTable[task](ctx, s, "tasks", store.TableConfig{})
	if err != nil {
		b.Fatal(err)
	}
	v := &task{Cluster: "c1", Status: "RUNNING"}
	for b.Loop() {
		tx := s.Txn()
		for j := range 100 {
			tx.Add(tasks.PutOp(fmt.Sprintf("t%03d", j), v, 0))
		}
		if _, err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

const (
	benchRecords  = 100_000
	benchClusters = 50 // 2,000 tasks per cluster
)

// benchFix is 100k tasks in an embedded store, built once per binary.
var benchFix struct {
	once  sync.Once
	dir   string
	s     *store.Store
	tasks *store.Table[task]
	ids   []string
	err   error
}

func benchTask(i int) (string, *task) {
	c := fmt.Sprintf("cluster-%02d", i%benchClusters)
	return fmt.Sprintf("%s/task-%06d", c, i), &task{
		Cluster: c,
		Status:  []string{"PENDING", "RUNNING", "STOPPED"}[i%3],
		Tags:    []string{"svc-" + fmt.Sprint(i%100)},
		N:       i,
	}
}

func openBenchTasks(ctx context.Context, dir string) (*store.Store, *store.Table[task], error) {
	s, err := store.Open(ctx, store.Config{DataDir: dir, Logger: testLogger()})
	if err != nil {
		return nil, nil, err
	}
	tasks, err := store.NewTable[task](ctx, s, "tasks", store.TableConfig{})
	if err == nil {
		err = tasks.Index("cluster", func(v *task) []string { return []string{v.Cluster} })
	}
	if err == nil {
		err = tasks.Index("status", func(v *task) []string { return []string{v.Status} })
	}
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, tasks, nil
}

func fixture100k(b *testing.B) *store.Table[task] {
	benchFix.once.Do(func() {
		ctx := context.Background()
		benchFix.dir, benchFix.err = os.MkdirTemp("", "berth-store-bench-")
		if benchFix.err != nil {
			return
		}
		benchFix.s, benchFix.tasks, benchFix.err = openBenchTasks(ctx, benchFix.dir)
		if benchFix.err != nil {
			return
		}
		start := time.Now()
		for i := 0; i < benchRecords; i += 100 {
			tx := benchFix.s.Txn()
			for j := i; j < i+100; j++ {
				id, v := benchTask(j)
				benchFix.ids = append(benchFix.ids, id)
				tx.Add(benchFix.tasks.CreateOp(id, v))
			}
			if _, benchFix.err = tx.Commit(ctx); benchFix.err != nil {
				return
			}
		}
		d := time.Since(start)
		fmt.Fprintf(os.Stderr, "bench fixture: %d records in %v (%.0f records/s in transactions of 100)\n",
			benchRecords, d.Round(time.Millisecond), benchRecords/d.Seconds())
	})
	if benchFix.err != nil {
		b.Fatal(benchFix.err)
	}
	return benchFix.tasks
}

func closeBenchFixture() {
	if benchFix.s != nil {
		benchFix.s.Close()
	}
	if benchFix.dir != "" {
		os.RemoveAll(benchFix.dir)
	}
}

// BenchmarkStore_Reopen100k measures restarting on a data dir of 100k
// records: etcd WAL replay, then listing them into the cache with two
// indexes.
func BenchmarkStore_Reopen100k(b *testing.B) {
	fixture100k(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		benchFix.s.Close()
		b.StartTimer()
		s, tasks, err := openBenchTasks(ctx, benchFix.dir)
		if err != nil {
			b.Fatal(err)
		}
		benchFix.s, benchFix.tasks = s, tasks
	}
}

func BenchmarkCache_Get100k(b *testing.B) {
	tasks := fixture100k(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		if _, err := tasks.Get(ctx, benchFix.ids[r.IntN(len(benchFix.ids))]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCache_GetParallel100k(b *testing.B) {
	tasks := fixture100k(b)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 2))
		for pb.Next() {
			if _, err := tasks.Get(ctx, benchFix.ids[r.IntN(len(benchFix.ids))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCache_ByIndex100k returns all 2,000 tasks of one cluster.
func BenchmarkCache_ByIndex100k(b *testing.B) {
	tasks := fixture100k(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		recs, err := tasks.ByIndex(ctx, "cluster", fmt.Sprintf("cluster-%02d", i%benchClusters))
		if err != nil || len(recs) != benchRecords/benchClusters {
			b.Fatalf("%d records, %v", len(recs), err)
		}
	}
}

// BenchmarkCache_ListByIndexPage100k returns a page of 100 of one cluster's
// tasks in a status (about 667), from a random marker.
func BenchmarkCache_ListByIndexPage100k(b *testing.B) {
	tasks := fixture100k(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		if _, _, err := tasks.ListByIndex(ctx, "status", "RUNNING", store.Page{After: benchFix.ids[r.IntN(len(benchFix.ids))], Limit: 100}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCache_ListPage100k returns a page of 100 records from a random
// marker: an AWS List* call with Marker and MaxItems.
func BenchmarkCache_ListPage100k(b *testing.B) {
	tasks := fixture100k(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		if _, _, err := tasks.List(ctx, store.Page{After: benchFix.ids[r.IntN(len(benchFix.ids))], Limit: 100}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCache_ListPrefixPage100k is ListTasks of one cluster, page of 100.
func BenchmarkCache_ListPrefixPage100k(b *testing.B) {
	tasks := fixture100k(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		recs, _, err := tasks.List(ctx, store.Page{Prefix: fmt.Sprintf("cluster-%02d/", i%benchClusters), Limit: 100})
		if err != nil || len(recs) != 100 {
			b.Fatalf("%d records, %v", len(recs), err)
		}
	}
}
