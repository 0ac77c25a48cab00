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

func TestStore_OpenErrors(t *testing.T) {
	busy := t.TempDir()
	openStore(t, store.Config{DataDir: busy})
	tests := []struct {
		name string
		cfg  store.Config
	}{
		{"neither data dir nor endpoints", store.Config{}},
		{"prefix without slashes", store.Config{DataDir: t.TempDir(), Prefix: "berth"}},
		{"quota over 8 GiB", store.Config{DataDir: t.TempDir(), QuotaBytes: 9 << 30}},
		{"data dir in use", store.Config{DataDir: busy}},
		{"unreachable cluster", store.Config{Endpoints: []string{"http://127.0.0.1:1"}, DialTimeout: 300 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Logger = testLogger()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			s, err := store.Open(ctx, tc.cfg)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Open took %v to fail", d)
			}
			t.Log(err)
		})
	}
}

// TestStore_CloseReopen checks Close is idempotent, refuses later writes,
// and releases the data dir for a reopen that finds the data.
func TestStore_CloseReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	s, err := store.Open(ctx, store.Config{DataDir: dir, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	tasks := newTable[task](t, s, "tasks", store.TableConfig{})
	rev := mustRev(t)(tasks.Create(ctx, "t", &task{N: 7}))
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	if _, err := tasks.Create(ctx, "u", &task{}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}
	if _, err := store.NewTable[task](ctx, s, "other", store.TableConfig{}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("NewTable after Close: %v, want ErrClosed", err)
	}
	s2 := openStore(t, store.Config{DataDir: dir})
	got, err := newTable[task](t, s2, "tasks", store.TableConfig{}).Get(ctx, "t")
	if err != nil || got.Value.N != 7 || got.Revision != rev {
		t.Errorf("after reopen: %+v, %v; want N=7 at revision %d", got, err, rev)
	}
}
