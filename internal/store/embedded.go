// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"go.etcd.io/etcd/client/pkg/v3/fileutil"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// memberName names the embedded member; a fixed name keeps the member id
// stable across restarts of one data dir.
const memberName = "berth"

// Raft timing of the single embedded member; see startEmbedded.
const (
	singleMemberTickMs     = 10
	singleMemberElectionMs = 100
)

// startEmbedded starts a single-member etcd in cfg.DataDir/etcd and waits
// until it serves. It is tuned for a durable single member:
//   - fsync of WAL and backend on (etcd's default; UnsafeNoFsync is never set),
//     so a write is on disk before it is acknowledged;
//   - periodic auto-compaction keeping cfg.CompactionRetention of history;
//   - backend quota cfg.QuotaBytes (at most 8 GiB);
//   - --max-txn-ops cfg.MaxTxnOps;
//   - a 10ms raft tick and 100ms election timeout: a single member has no
//     one to heartbeat to, and raft's randomized election timeout (1 to 2
//     election timeouts, less the ticks etcd fast-forwards at boot) is most
//     of the startup time: with etcd's 100ms/1s defaults the member waits
//     0.1-1s before electing itself, with these 10-100ms. Members joined
//     into a multi-member cluster need etcd's defaults back;
//   - the raft peer listener on cfg.PeerURL (ephemeral loopback port by
//     default) and no client listener unless cfg.ClientURL is set: the Store
//     talks to the member in process through v3client.
//
// The data dir is locked for the member's lifetime: etcd would block forever
// opening a backend another process holds, so a second Open of one data
// dir fails at once instead. The lock dies with the process.
func startEmbedded(ctx context.Context, cfg Config, lg *zap.Logger) (*member, error) {
	dir := filepath.Join(cfg.DataDir, "etcd")
	// etcd wants its data dir private; create it so rather than have it warn.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: embedded etcd: %w", err)
	}
	lockPath := filepath.Join(cfg.DataDir, "etcd.lock")
	lock, err := fileutil.TryLockFile(lockPath, os.O_WRONLY|os.O_CREATE, 0o600)
	if errors.Is(err, fileutil.ErrLocked) {
		return nil, fmt.Errorf("store: data dir %s is in use by another store", cfg.DataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("store: lock data dir: %w", err)
	}
	e, err := startEtcd(ctx, cfg, dir, lg)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return &member{e: e, lock: lock}, nil
}

// member is a running embedded etcd and the lock on its data dir.
type member struct {
	e    *embed.Etcd
	lock *fileutil.LockedFile
}

func (m *member) close() {
	m.e.Close()
	m.lock.Close()
}

func startEtcd(ctx context.Context, cfg Config, dir string, lg *zap.Logger) (*embed.Etcd, error) {
	peer, err := url.Parse(cfg.PeerURL)
	if err != nil {
		return nil, fmt.Errorf("store: embedded etcd: peer url: %w", err)
	}
	ec := embed.NewConfig()
	ec.Name = memberName
	ec.Dir = dir
	ec.ListenPeerUrls = []url.URL{*peer}
	ec.AdvertisePeerUrls = []url.URL{*peer}
	ec.InitialCluster = ec.InitialClusterFromName(memberName)
	ec.ListenClientUrls, ec.AdvertiseClientUrls = nil, nil
	if cfg.ClientURL != "" {
		client, err := url.Parse(cfg.ClientURL)
		if err != nil {
			return nil, fmt.Errorf("store: embedded etcd: client url: %w", err)
		}
		ec.ListenClientUrls = []url.URL{*client}
		ec.AdvertiseClientUrls = []url.URL{*client}
	}
	ec.TickMs, ec.ElectionMs = singleMemberTickMs, singleMemberElectionMs
	ec.EnableGRPCGateway = false
	ec.AutoCompactionMode = embed.CompactorModePeriodic
	ec.AutoCompactionRetention = cfg.CompactionRetention.String()
	ec.QuotaBackendBytes = cfg.QuotaBytes
	ec.MaxTxnOps = uint(cfg.MaxTxnOps)
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg)

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("store: embedded etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("store: embedded etcd: %w", err)
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("store: embedded etcd not ready: %w", ctx.Err())
	}
}

// clientURLs returns the addresses the member serves clients on, with
// ephemeral ports resolved.
func (m *member) clientURLs(cfg Config) []string {
	if cfg.ClientURL == "" {
		return nil
	}
	scheme := "http"
	if u, err := url.Parse(cfg.ClientURL); err == nil {
		scheme = u.Scheme
	}
	out := make([]string, 0, len(m.e.Clients))
	for _, l := range m.e.Clients {
		out = append(out, scheme+"://"+l.Addr().String())
	}
	return out
}
