// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap/zapcore"
)

// Store is one replica's handle on the berth data: an etcd client (to the
// embedded member or an external cluster) plus the replica-local caches of
// its Tables, kept current by a single watch on the key prefix.
//
// Every write made through a Table or a Txn returns only after etcd has
// committed it and this replica's caches have applied it, so a read on this
// replica right after a write observes it (read-your-writes). Writes by
// other replicas arrive through the watch, usually within milliseconds;
// call Sync for a read that must observe them.
//
// A Store is safe for concurrent use.
type Store struct {
	cfg        Config
	kv         KV
	hub        *hub
	log        *slog.Logger
	clientURLs []string
	closeKV    func() error

	mu     sync.Mutex
	tables map[string]bool
	closed bool
}

// Open starts the store: an embedded single-member etcd in cfg.DataDir, or
// a client of the cluster at cfg.Endpoints. It returns once the member is
// ready (or the cluster answered) and the watch is running. ctx bounds
// startup only.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	zl := newZapLogger(cfg.Logger.With("component", "etcd"), zapcore.WarnLevel)
	if len(cfg.Endpoints) > 0 {
		c, err := clientv3.New(clientv3.Config{
			Endpoints:   cfg.Endpoints,
			DialTimeout: cfg.DialTimeout,
			Logger:      zl,
		})
		if err != nil {
			return nil, fmt.Errorf("store: connect to %s: %w", strings.Join(cfg.Endpoints, ","), err)
		}
		ictx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
		defer cancel()
		s, err := newStore(ictx, cfg, &etcdKV{c: c}, c.Close)
		if err != nil {
			return nil, wrapf(err, "connect to %s", strings.Join(cfg.Endpoints, ","))
		}
		return s, nil
	}
	m, err := startEmbedded(ctx, cfg, zl)
	if err != nil {
		return nil, err
	}
	c := v3client.New(m.e.Server)
	closeKV := func() error {
		err := c.Close()
		m.close()
		if errors.Is(err, context.Canceled) { // v3client reports its own cancel
			err = nil
		}
		return err
	}
	s, err := newStore(ctx, cfg, &etcdKV{c: c}, closeKV)
	if err != nil {
		return nil, err
	}
	s.clientURLs = m.clientURLs(cfg)
	return s, nil
}

// newStore builds a Store over any KV; closeKV releases it.
func newStore(ctx context.Context, cfg Config, kv KV, closeKV func() error) (*Store, error) {
	h := newHub(kv, cfg.Prefix, cfg.Logger)
	if err := h.init(ctx); err != nil {
		_ = closeKV()
		return nil, err
	}
	h.start()
	return &Store{
		cfg:     cfg,
		kv:      kv,
		hub:     h,
		log:     cfg.Logger,
		closeKV: closeKV,
		tables:  make(map[string]bool),
	}, nil
}

// Close stops the watch, the client and the embedded member. Writes
// acknowledged before Close are durable. Close is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.hub.closed)
	s.hub.stop()
	if err := s.closeKV(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// KV returns the raw key-value interface, for leases, leader election and
// anything a Table does not model. Keys should live under Prefix(). Writes
// through it do not wait for the caches: pass their revision to
// WaitForRevision when that matters.
func (s *Store) KV() KV { return s.kv }

// Prefix returns the key prefix of this store, e.g. "/berth/".
func (s *Store) Prefix() string { return s.cfg.Prefix }

// MaxTxnOps returns the most operations a Txn may hold.
func (s *Store) MaxTxnOps() int { return s.cfg.MaxTxnOps }

// ClientURLs returns the client URLs the embedded member serves on, with
// ephemeral ports resolved; nil unless Config.ClientURL was set.
func (s *Store) ClientURLs() []string { return s.clientURLs }

// Revision returns the revision this replica's caches have applied.
func (s *Store) Revision() int64 { return s.hub.revision() }

// WaitForRevision blocks until this replica's caches have applied every
// change up to rev, or ctx ends.
func (s *Store) WaitForRevision(ctx context.Context, rev int64) error {
	return s.hub.waitFor(ctx, rev)
}

// Sync waits until the caches have caught up with etcd's current revision,
// as read now (a linearizable read), and returns it. After Sync, cache
// reads observe every write any replica acknowledged before Sync began.
func (s *Store) Sync(ctx context.Context) (int64, error) {
	rev, err := s.hub.currentRevision(ctx)
	if err != nil {
		return 0, err
	}
	return rev, s.hub.waitFor(ctx, rev)
}

// Compact discards history before rev. Watchers behind it, including other
// replicas' caches, re-list. The embedded member compacts on its own
// (Config.CompactionRetention); this is for tests and external clusters.
func (s *Store) Compact(ctx context.Context, rev int64) error {
	c, ok := s.kv.(Compactor)
	if !ok {
		return errors.New("store: backend cannot compact")
	}
	return c.Compact(ctx, rev)
}

func (s *Store) addTable(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.tables[name] {
		return wrapf(ErrExists, "table %q", name)
	}
	s.tables[name] = true
	return nil
}

func (s *Store) removeTable(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tables, name)
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
