package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"time"
)

type ptask struct {
	Cluster string   `json:"cluster"`
	Status  string   `json:"status"`
	Tags    []string `json:"tags,omitempty"`
	N       int      `json:"n"`
}

func TestZZProbe(t *testing.T) {
	ctx := context.Background()
	dir := "/tmp/berth-probe100k"
	_, err := os.Stat(dir)
	fresh := os.IsNotExist(err)
	t0 := time.Now()
	s, err := Open(ctx, Config{DataDir: dir, Logger: slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("open %v", time.Since(t0))
	t1 := time.Now()
	tbl, err := NewTable[ptask](ctx, s, "tasks", TableConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("newtable %v", time.Since(t1))
	t2 := time.Now()
	tbl.Index("cluster", func(v *ptask) []string { return []string{v.Cluster} })
	tbl.Index("status", func(v *ptask) []string { return []string{v.Status} })
	t.Logf("index %v", time.Since(t2))
	if fresh {
		for i := 0; i < 100000; i += 100 {
			tx := s.Txn()
			for j := i; j < i+100; j++ {
				c := fmt.Sprintf("cluster-%02d", j%50)
				tx.Add(tbl.CreateOp(fmt.Sprintf("%s/task-%06d", c, j), &ptask{Cluster: c, Status: "RUNNING", Tags: []string{"x"}, N: j}))
			}
			if _, err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	ids := make([]string, 100000)
	for j := range ids {
		ids[j] = fmt.Sprintf("cluster-%02d/task-%06d", j%50, j)
	}
	m := map[string]*ptask{}
	for _, id := range ids {
		m[id] = &ptask{}
	}
	for round := 0; round < 3; round++ {
		t4 := time.Now()
		for j := 0; j < 1000000; j++ {
			tbl.Get(ctx, ids[(j*7919)%100000])
		}
		d1 := time.Since(t4) / 1000000
		t5 := time.Now()
		var sink *ptask
		for j := 0; j < 1000000; j++ {
			sink = m[ids[(j*7919)%100000]]
		}
		_ = sink
		t.Logf("Get %v/op plain map %v/op", d1, time.Since(t5)/1000000)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("heap %d MB", ms.HeapAlloc>>20)
	t3 := time.Now()
	s.Close()
	t.Logf("close %v", time.Since(t3))
}
