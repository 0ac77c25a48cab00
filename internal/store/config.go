// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Defaults and limits of Config.
const (
	DefaultPrefix              = "/berth/"
	DefaultPeerURL             = "http://127.0.0.1:0"
	DefaultCompactionRetention = time.Hour
	DefaultDialTimeout         = 5 * time.Second
	// DefaultMaxTxnOps is etcd's default --max-txn-ops. A Txn may hold at
	// most this many operations; an external cluster must allow at least
	// Config.MaxTxnOps.
	DefaultMaxTxnOps = 128
	// MaxQuotaBytes is etcd's suggested maximum backend size, and the
	// default quota of the embedded member.
	MaxQuotaBytes = 8 << 30
)

// Config configures Open. The zero value plus a DataDir is a working
// embedded store.
type Config struct {
	// DataDir holds the embedded member's data under DataDir/etcd. Required
	// unless Endpoints is set.
	DataDir string
	// Endpoints are client URLs of an external etcd cluster. When set, no
	// embedded member runs and DataDir is unused; compaction and quota are
	// then the cluster operator's business.
	Endpoints []string
	// DialTimeout bounds connecting to Endpoints. Default 5s.
	DialTimeout time.Duration
	// Prefix is prepended to every key; it must start and end with "/".
	// Default "/berth/". Stores sharing a cluster and a Prefix see each
	// other's data: they are replicas of one control plane.
	Prefix string
	// Logger receives the store's logs and etcd's warnings and errors.
	// Default slog.Default().
	Logger *slog.Logger
	// MaxTxnOps bounds the operations of one Txn. Default 128, etcd's
	// default --max-txn-ops.
	MaxTxnOps int

	// Embedded member only.

	// PeerURL is the raft peer listener. Default "http://127.0.0.1:0": an
	// ephemeral loopback port, enough for a single member, which never
	// dials itself. Members that are to be joined need a fixed, reachable
	// URL.
	PeerURL string
	// ClientURL, if set, also serves the etcd client API there (for
	// etcdctl or other replicas). The Store itself always talks to the
	// embedded member in process, without a socket.
	ClientURL string
	// QuotaBytes is the backend quota; above it etcd refuses writes until
	// compaction and defragmentation. Default and maximum 8 GiB.
	QuotaBytes int64
	// CompactionRetention is the history kept by periodic auto-compaction.
	// A replica whose watch falls further behind re-lists. Default 1h.
	CompactionRetention time.Duration
}

// withDefaults validates c and fills in defaults.
func (c Config) withDefaults() (Config, error) {
	if len(c.Endpoints) == 0 && c.DataDir == "" {
		return c, errors.New("store: config: DataDir or Endpoints is required")
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if !strings.HasPrefix(c.Prefix, "/") || !strings.HasSuffix(c.Prefix, "/") {
		return c, fmt.Errorf("store: config: prefix %q must start and end with \"/\"", c.Prefix)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxTxnOps <= 0 {
		c.MaxTxnOps = DefaultMaxTxnOps
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.PeerURL == "" {
		c.PeerURL = DefaultPeerURL
	}
	for _, u := range []string{c.PeerURL, c.ClientURL} {
		if u == "" {
			continue
		}
		if _, err := url.Parse(u); err != nil {
			return c, fmt.Errorf("store: config: %w", err)
		}
	}
	switch {
	case c.QuotaBytes == 0:
		c.QuotaBytes = MaxQuotaBytes
	case c.QuotaBytes < 0 || c.QuotaBytes > MaxQuotaBytes:
		return c, fmt.Errorf("store: config: quota %d bytes outside (0, 8 GiB]", c.QuotaBytes)
	}
	if c.CompactionRetention <= 0 {
		c.CompactionRetention = DefaultCompactionRetention
	}
	return c, nil
}
