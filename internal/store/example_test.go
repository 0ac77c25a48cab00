// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/berthdev/berth/internal/store"
)

// Example defines a table with an index, writes with compare-and-swap and
// reads from the cache, as doc.go describes.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "berth-example-")
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, store.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	type Task struct {
		Cluster string `json:"cluster"`
		Status  string `json:"status"`
	}
	tasks, err := store.NewTable[Task](ctx, st, "tasks", store.TableConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = tasks.Index("status", func(t *Task) []string { return []string{t.Status} })

	rev, _ := tasks.Create(ctx, "c1/t1", &Task{Cluster: "c1", Status: "PENDING"})
	_, err = tasks.Create(ctx, "c1/t1", &Task{})
	fmt.Println(errors.Is(err, store.ErrExists), err)

	// Compare-and-swap: the first Put wins, the stale one conflicts.
	_, err = tasks.Put(ctx, "c1/t1", &Task{Cluster: "c1", Status: "RUNNING"}, rev)
	fmt.Println(err)
	_, err = tasks.Put(ctx, "c1/t1", &Task{Cluster: "c1", Status: "STOPPED"}, rev)
	fmt.Println(errors.Is(err, store.ErrConflict))

	// Read-modify-write with retry.
	_, _ = tasks.Update(ctx, "c1/t1", func(t *Task) error { t.Status = "STOPPED"; return nil })

	// Reads come from memory and see every write above.
	rec, _ := tasks.Get(ctx, "c1/t1")
	fmt.Println(rec.ID, rec.Value.Status)
	_, _ = tasks.Create(ctx, "c1/t2", &Task{Cluster: "c1", Status: "STOPPED"})
	stopped, _ := tasks.ByIndex(ctx, "status", "STOPPED")
	page, next, _ := tasks.List(ctx, store.Page{Prefix: "c1/", Limit: 1})
	fmt.Println(len(stopped), page[0].ID, next)

	// Several records, one atomic commit.
	_, err = st.Txn().
		Add(tasks.CreateOp("c1/t3", &Task{Cluster: "c1"})).
		Add(tasks.DeleteOp("c1/t1", rec.Revision)).
		Commit(ctx)
	all, _, _ := tasks.List(ctx, store.Page{})
	fmt.Println(err, len(all))
	// Output:
	// true store: tasks "c1/t1": already exists
	// <nil>
	// true
	// c1/t1 STOPPED
	// 2 c1/t1 c1/t1
	// <nil> 2
}
