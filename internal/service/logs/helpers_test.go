// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/logstore"
	"github.com/berthdev/berth/internal/store/storetest"
	"github.com/berthdev/berth/internal/testutil/testclock"
)

// t0 is when the test clock starts.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newTestService(t *testing.T) (*Service, *testclock.Clock) {
	t.Helper()
	ev, err := logstore.Open(logstore.Config{Dir: t.TempDir(), SegmentSpan: time.Hour, BlockBytes: 256})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ev.Close() })
	c := testclock.New(t0)
	s, err := New(context.Background(), Config{Region: "us-east-1", AccountID: "123456789012", Clock: c.Now},
		Deps{Store: storetest.New(t), Events: ev, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func ok[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func msgs(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", prefix, i)
	}
	return out
}
