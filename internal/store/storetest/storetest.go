// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package storetest provides a store for tests: an embedded single-member
// etcd in a temporary directory, closed when the test ends.
package storetest

import (
	"context"
	"log/slog"
	"testing"

	"github.com/berthdev/berth/internal/store"
)

// New opens an embedded store in tb.TempDir() with logs discarded and
// closes it at cleanup. Adjust the config with opts before Open.
func New(tb testing.TB, opts ...func(*store.Config)) *store.Store {
	tb.Helper()
	cfg := store.Config{
		DataDir: tb.TempDir(),
		Logger:  slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("storetest: open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("storetest: close store: %v", err)
		}
	})
	return s
}
