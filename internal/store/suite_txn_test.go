// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/berthdev/berth/internal/store"
)

type instance struct {
	CPU int `json:"cpu"`
}

// testTxnAtomic commits placements across two tables: tasks created and the
// instance's capacity decremented under a CAS guard, all or nothing.
func testTxnAtomic(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	tasks := newTable[task](t, s, "tasks", store.TableConfig{})
	insts := newTable[instance](t, s, "instances", store.TableConfig{})
	instRev := mustRev(t)(insts.Create(ctx, "c1/i1", &instance{CPU: 1024}))
	oldRev := mustRev(t)(tasks.Create(ctx, "c1/old", &task{Status: "STOPPED"}))

	tests := []struct {
		name       string
		ops        func() []store.Op
		wantErr    error
		wantTable  string // table of the failed guard
		wantID     string
		wantTasks  []string // task ids afterwards
		wantCPU    int
		wantSameAt bool // every written record at the commit revision
	}{
		{
			name: "stale instance guard writes nothing",
			ops: func() []store.Op {
				return []store.Op{
					tasks.CreateOp("c1/a", &task{Status: "PENDING"}),
					tasks.DeleteOp("c1/old", oldRev),
					insts.PutOp("c1/i1", &instance{CPU: 512}, instRev-1),
				}
			},
			wantErr: store.ErrConflict, wantTable: "instances", wantID: "c1/i1",
			wantTasks: []string{"c1/old"}, wantCPU: 1024,
		},
		{
			name: "existing task fails the create",
			ops: func() []store.Op {
				return []store.Op{
					tasks.CreateOp("c1/old", &task{}),
					insts.PutOp("c1/i1", &instance{CPU: 512}, instRev),
				}
			},
			wantErr: store.ErrExists, wantTable: "tasks", wantID: "c1/old",
			wantTasks: []string{"c1/old"}, wantCPU: 1024,
		},
		{
			name: "check guard on a missing record",
			ops: func() []store.Op {
				return []store.Op{
					tasks.CreateOp("c1/a", &task{}),
					insts.CheckOp("c1/i9", 0),
				}
			},
			wantErr: store.ErrNotFound, wantTable: "instances", wantID: "c1/i9",
			wantTasks: []string{"c1/old"}, wantCPU: 1024,
		},
		{
			name: "all guards hold",
			ops: func() []store.Op {
				return []store.Op{
					tasks.CreateOp("c1/a", &task{Status: "PENDING"}),
					tasks.CreateOp("c1/b", &task{Status: "PENDING"}),
					tasks.DeleteOp("c1/old", oldRev),
					insts.PutOp("c1/i1", &instance{CPU: 512}, instRev),
				}
			},
			wantTasks: []string{"c1/a", "c1/b"}, wantCPU: 512, wantSameAt: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev, err := s.Txn().Add(tc.ops()...).Commit(ctx)
			wantErr(t, "Commit", err, tc.wantErr)
			if tc.wantErr != nil {
				var re *store.RecordError
				if !errors.As(err, &re) || re.Table != tc.wantTable || re.ID != tc.wantID {
					t.Errorf("error %v does not name %s %q", err, tc.wantTable, tc.wantID)
				}
			}
			got, _, err := tasks.List(ctx, store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "tasks", tc.wantTasks, ids(got))
			inst, err := insts.Get(ctx, "c1/i1")
			if err != nil {
				t.Fatal(err)
			}
			if inst.Value.CPU != tc.wantCPU {
				t.Errorf("instance CPU %d, want %d", inst.Value.CPU, tc.wantCPU)
			}
			if tc.wantSameAt {
				for _, r := range got {
					if r.Revision != rev {
						t.Errorf("task %s at revision %d, commit at %d", r.ID, r.Revision, rev)
					}
				}
				if inst.Revision != rev {
					t.Errorf("instance at revision %d, commit at %d", inst.Revision, rev)
				}
			}
		})
	}
}

func testTxnLimits(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	tasks := newTable[task](t, s, "tasks", store.TableConfig{})
	other := newTable[task](t, s, "other", store.TableConfig{})

	many := func(n int) []store.Op {
		ops := make([]store.Op, n)
		for i := range ops {
			ops[i] = tasks.CreateOp(fmt.Sprintf("m/%03d", i), &task{N: i})
		}
		return ops
	}
	tests := []struct {
		name    string
		ops     []store.Op
		wantErr error
	}{
		{"empty", nil, errAny},
		{"zero op", []store.Op{{}}, errAny},
		{"over max-txn-ops", many(s.MaxTxnOps() + 1), store.ErrTooManyOps},
		{"same key twice", []store.Op{tasks.PutOp("d", &task{}, 0), tasks.DeleteOp("d", 0)}, errAny},
		{"lease on a delete", []store.Op{tasks.DeleteOp("d", 0).WithLease(1)}, errAny},
		{"op of another store", []store.Op{newTable[task](t, b.open(t), "tasks", store.TableConfig{}).CreateOp("x", &task{})}, errAny},
		{"check and write one key", []store.Op{other.CheckOp("o", 0), other.PutOp("o", &task{}, 0)}, store.ErrNotFound},
		{"exactly max-txn-ops", many(s.MaxTxnOps()), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Txn().Add(tc.ops...).Commit(ctx)
			wantErr(t, "Commit", err, tc.wantErr)
		})
	}
	got, _, err := tasks.List(ctx, store.Page{Prefix: "m/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != s.MaxTxnOps() {
		t.Errorf("%d records after a full transaction, want %d", len(got), s.MaxTxnOps())
	}
}
