// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/store"
	"github.com/berthdev/berth/internal/testutil/poll"
)

// task is the record type of the suite.
type task struct {
	Cluster string   `json:"cluster"`
	Status  string   `json:"status"`
	Tags    []string `json:"tags,omitempty"`
	N       int      `json:"n"`
}

// suite is the conformance suite, written once against the Store and run
// against every backend. Each case opens its own Stores. Cases that compact
// run alone: on a shared cluster compaction would take history from
// concurrent cases that replay it.
var suite = []struct {
	name     string
	run      func(t *testing.T, b backend)
	compacts bool
}{
	{"Table_CRUD", testTableCRUD, false},
	{"Table_CAS", testTableCAS, false},
	{"Table_UpdateConcurrent", testTableUpdateConcurrent, false},
	{"Table_NoCache", testTableNoCache, false},
	{"Txn_Atomic", testTxnAtomic, false},
	{"Txn_Limits", testTxnLimits, false},
	{"KV_WatchFromRevision", testKVWatchFromRevision, false},
	{"KV_WatchCompacted", testKVWatchCompacted, true},
	{"Cache_ReadYourWrites", testCacheReadYourWrites, false},
	{"Cache_RelistAfterCompaction", testCacheRelistAfterCompaction, true},
	{"Cache_Indexes", testCacheIndexes, false},
	{"Cache_Pagination", testCachePagination, false},
	{"Table_Revision", testTableRevision, false},
	{"Table_RevisionConcurrent", testTableRevisionConcurrent, false},
	{"Store_WaitForForeignRevision", testStoreWaitForForeignRevision, false},
	{"Lease_Expiry", testLeaseExpiry, false},
}

func TestStore_Conformance(t *testing.T) {
	for _, b := range []backend{embeddedBackend(), externalBackend(t)} {
		t.Run(b.name, func(t *testing.T) {
			var compaction sync.RWMutex
			for _, tc := range suite {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					if tc.compacts {
						compaction.Lock()
						defer compaction.Unlock()
					} else {
						compaction.RLock()
						defer compaction.RUnlock()
					}
					tc.run(t, b)
				})
			}
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newTable[T any](t *testing.T, s *store.Store, name string, cfg store.TableConfig) *store.Table[T] {
	t.Helper()
	tbl, err := store.NewTable[T](testCtx(t), s, name, cfg)
	if err != nil {
		t.Fatalf("NewTable(%q): %v", name, err)
	}
	return tbl
}

// mustRev returns a checker of a write's (revision, error):
// mustRev(t)(tbl.Create(...)).
func mustRev(t *testing.T) func(int64, error) int64 {
	return func(rev int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
}

// ids returns the ids of recs.
func ids[T any](recs []store.Record[T]) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// errAny matches any non-nil error in wantErr.
var errAny = errors.New("any error")

// wantErr checks err against a sentinel (nil = no error, errAny = some).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == errAny:
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// eventually polls cond until it holds or 10s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 10*time.Second, what, cond)
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

func itoa(i int) string { return fmt.Sprint(i) }
