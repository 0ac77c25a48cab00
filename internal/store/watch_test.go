// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// flakyKV breaks watches: the first failFirst Watch calls fail at once, and
// every watch after that ends with an error after one response, so the hub
// must resume from its revision again and again.
type flakyKV struct {
	KV
	failFirst int64
	calls     atomic.Int64
}

func (f *flakyKV) Watch(ctx context.Context, prefix string, fromRev int64) <-chan WatchResponse {
	n := f.calls.Add(1)
	out := make(chan WatchResponse, 1)
	if n <= f.failFirst {
		out <- WatchResponse{Err: errors.New("store: injected watch failure")}
		close(out)
		return out
	}
	in := f.KV.Watch(ctx, prefix, fromRev)
	go func() {
		defer close(out)
		select {
		case resp, ok := <-in:
			if !ok {
				return
			}
			out <- resp
			if resp.Err == nil {
				out <- WatchResponse{Err: errors.New("store: injected stream break")}
			}
		case <-ctx.Done():
		}
	}()
	return out
}

// TestStore_WatchRetry runs a Store over a KV whose watches keep failing:
// writes still complete with read-your-writes, and the hub retried.
func TestStore_WatchRetry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base, err := Open(ctx, Config{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	kv := &flakyKV{KV: base.kv, failFirst: 3}
	cfg, _ := Config{Endpoints: []string{"in-process"}, Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	s, err := newStore(ctx, cfg, kv, func() error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tbl, err := NewTable[struct{ N int }](ctx, s, "t", TableConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		id := string(rune('a' + i))
		rev, err := tbl.Create(ctx, id, &struct{ N int }{i})
		if err != nil {
			t.Fatal(err)
		}
		got, err := tbl.Get(ctx, id)
		if err != nil || got.Revision != rev {
			t.Fatalf("Get after Create at %d = %+v, %v", rev, got, err)
		}
	}
	if n := kv.calls.Load(); n < 10 {
		t.Errorf("%d watch calls; the hub did not resume after failures", n)
	}
}

// TestBackoff_Bounds checks the retry intervals double from backoffMin up
// to backoffMax, and that a cancelled wait returns at once.
func TestBackoff_Bounds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var b backoff
	var got []time.Duration
	for range 8 {
		if b.wait(ctx) {
			t.Fatal("wait ignored a cancelled context")
		}
		got = append(got, b.next)
	}
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
		1600 * time.Millisecond, 3200 * time.Millisecond, backoffMax, backoffMax, backoffMax}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("intervals (-want +got):\n%s", d)
	}
	b.reset()
	if b.next != 0 {
		t.Errorf("reset left %v", b.next)
	}
}
