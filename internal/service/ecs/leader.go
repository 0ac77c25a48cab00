// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"time"

	"github.com/berthdev/berth/internal/store"
)

// lead runs fn while this replica holds the ECS leader lease, campaigning
// again whenever it loses it, until ctx ends.
//
// The lease is a key (prefix + "ecs-leader") created only if absent and
// attached to an etcd lease of Config.LeaderTTL that this replica keeps
// alive. Another replica takes over within one TTL of the leader's death.
// Leadership ends when the keep-alive stops or the key no longer holds
// this replica's lease (checked every TTL/3); fn's context is then
// cancelled. The loops run under it are safe even during the short overlap
// two leaders may have: every write they make is a compare-and-swap.
func (s *Service) lead(ctx context.Context, fn func(ctx context.Context)) {
	kv := s.st.KV()
	key := s.st.Prefix() + leaderKey
	retry := s.cfg.LeaderTTL / 3
	for ctx.Err() == nil {
		lease, err := kv.Grant(ctx, s.cfg.LeaderTTL)
		if err != nil {
			if !sleepCtx(ctx, retry) {
				return
			}
			continue
		}
		if s.acquire(ctx, kv, key, lease) {
			s.holdLeadership(ctx, kv, key, lease, fn)
		}
		_ = kv.Revoke(context.WithoutCancel(ctx), lease)
		if !sleepCtx(ctx, retry) {
			return
		}
	}
}

// acquire creates the leader key on lease if it is absent.
func (s *Service) acquire(ctx context.Context, kv store.KV, key string, lease store.LeaseID) bool {
	resp, err := kv.Txn(ctx, store.TxnRequest{
		If:   []store.Cmp{{Key: key, Target: store.CmpCreateRevision, Op: store.CmpEqual, Rev: 0}},
		Then: []store.TxnOp{{Type: store.TxnPut, Key: key, Value: []byte(s.cfg.ReplicaID), Lease: lease}},
	})
	return err == nil && resp.Succeeded
}

// holdLeadership runs fn until leadership is lost or ctx ends.
func (s *Service) holdLeadership(ctx context.Context, kv store.KV, key string, lease store.LeaseID, fn func(context.Context)) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	alive, err := kv.KeepAlive(lctx, lease)
	if err != nil {
		return
	}
	s.log.Info("ecs: leading the service controller and collector", "replica", s.cfg.ReplicaID)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(lctx)
	}()
	tick := time.NewTicker(s.cfg.LeaderTTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-lctx.Done():
			<-done
			return
		case <-alive:
			cancel()
			<-done
			return
		case <-tick.C:
			cur, _, err := kv.Get(lctx, key, 0)
			if err == nil && cur.Lease == lease {
				continue
			}
			if err != nil && !isNotFound(err) && lctx.Err() == nil {
				continue // a read error is not a lost lease
			}
			cancel()
			<-done
			return
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
