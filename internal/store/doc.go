// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package store is berth's persistence: the etcd v3 data model (KV:
// revisioned keys, compare-and-swap transactions, watch from a revision,
// leases) with a small typed layer on top (Table, Txn) and a per-replica
// in-memory cache that serves reads.
//
// By default Open starts an embedded single-member etcd in the data dir and
// talks to it in process; with Config.Endpoints it is a client of an
// external etcd cluster, and several berth servers sharing the cluster and
// the key prefix are replicas of one control plane. See docs/store.md for
// the reasoning.
//
// # Data layout
//
// Every key lives under Config.Prefix ("/berth/"). A Table named "tasks"
// stores record id "cluster-a/t-1" as JSON at "/berth/tasks/cluster-a/t-1".
// Ids may contain "/"; Page.Prefix selects a subtree.
//
// # Reads, writes and revisions
//
//	write: Table.Create/Put/Update/Delete, Txn.Commit
//	         │ one etcd transaction (raft commit, WAL fsync'd)
//	         ▼
//	       etcd ── revision R ── watch of the prefix ──▶ hub (one goroutine)
//	         │                                            │ decode, apply to
//	         │                                            ▼ table caches
//	       Commit waits until the hub has applied R, then returns R
//
//	read:  Table.Get/List/ByIndex ──▶ table cache (memory, no round trip)
//
// At start the hub lists each cached table at one revision R0 and then
// watches the prefix from R0+1 (Kubernetes' informer, Nomad's memdb fed by
// raft). Every write returns its commit revision only after the local cache
// has applied it, so a Describe after a Create on the same replica sees it.
// Another replica's writes arrive by watch; Store.Sync waits for them. A
// watch that falls behind etcd's compaction lists again; other watch errors
// are retried with backoff.
// Store.Revision is the revision the caches have applied; Table.Revision is
// that of the last change applied to one table, so a value derived from a
// few tables can be kept until one of them changes, whatever else is
// written.
//
// Each record carries its revision (Record.Revision, etcd's mod_revision).
// Put and Delete take the revision the caller read and fail with
// ErrConflict if the record changed since (optimistic concurrency); Update
// wraps read-modify-write in that loop. Txn commits writes to several
// records of several tables atomically, each with its guard, in one etcd
// transaction of at most 128 operations.
//
// # Ownership
//
// Values returned by reads are shared with the cache and must not be
// mutated; copying each on every read would dominate read cost at 100k
// records. Writes encode the caller's value, and the cache decodes its own.
//
// # Usage
//
//	st, err := store.Open(ctx, store.Config{DataDir: dir, Logger: log})
//	if err != nil { ... }
//	defer st.Close()
//
//	type Task struct {
//		Cluster string `json:"cluster"`
//		Status  string `json:"status"`
//	}
//	tasks, err := store.NewTable[Task](ctx, st, "tasks", store.TableConfig{})
//	if err != nil { ... }
//	err = tasks.Index("status", func(t *Task) []string { return []string{t.Status} })
//
//	// Create fails with ErrExists if the id is taken.
//	rev, err := tasks.Create(ctx, "c1/t1", &Task{Cluster: "c1", Status: "PENDING"})
//
//	// Compare-and-swap: succeeds only if nobody wrote since rev.
//	_, err = tasks.Put(ctx, "c1/t1", &Task{Cluster: "c1", Status: "RUNNING"}, rev)
//	if errors.Is(err, store.ErrConflict) { ... re-read and retry, or use Update ... }
//
//	// Read-modify-write with automatic retry.
//	_, err = tasks.Update(ctx, "c1/t1", func(t *Task) error { t.Status = "STOPPED"; return nil })
//
//	// Reads are served from memory and see the writes above.
//	rec, err := tasks.Get(ctx, "c1/t1")              // rec.Value.Status == "STOPPED"
//	page, next, err := tasks.List(ctx, store.Page{Prefix: "c1/", Limit: 100})
//	stopped, err := tasks.ByIndex(ctx, "status", "STOPPED")
//
//	// Several records, one atomic commit.
//	_, err = st.Txn().
//		Add(tasks.CreateOp("c1/t2", &Task{Cluster: "c1"})).
//		Add(tasks.DeleteOp("c1/t1", rec.Revision)).
//		Commit(ctx)
package store
