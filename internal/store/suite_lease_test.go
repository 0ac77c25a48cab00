// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/store"
)

func testLeaseExpiry(t *testing.T, b backend) {
	s := b.open(t)
	ctx := testCtx(t)
	kv := s.KV()
	sessions := newTable[task](t, s, "sessions", store.TableConfig{})
	leased := func(id string) store.LeaseID {
		l, err := kv.Grant(ctx, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		mustRev(t)(s.Txn().Add(sessions.CreateOp(id, &task{}).WithLease(l)).Commit(ctx))
		return l
	}
	kept, expiring, revoked := leased("kept"), leased("expiring"), leased("revoked")

	kctx, stop := context.WithCancel(ctx)
	done, err := kv.KeepAlive(kctx, kept)
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Revoke(ctx, revoked); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.Get(ctx, "revoked"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record of a revoked lease: %v", err)
	}
	eventually(t, "the unrenewed lease to expire", func() bool {
		_, err := sessions.Get(ctx, "expiring")
		return errors.Is(err, store.ErrNotFound)
	})
	if _, err := sessions.Get(ctx, "kept"); err != nil {
		t.Errorf("record of a renewed lease: %v", err)
	}
	stop()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Error("KeepAlive channel still open after its context ended")
	}

	tests := []struct {
		name string
		do   func() error
	}{
		{"keep alive an expired lease", func() error { _, err := kv.KeepAlive(ctx, expiring); return err }},
		{"revoke a revoked lease", func() error { return kv.Revoke(ctx, revoked) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, tc.do(), store.ErrNotFound)
		})
	}
}
