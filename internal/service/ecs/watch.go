// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/store"
)

// watch follows every change to the ECS tables, made by any replica, from
// the store's watch: it refreshes the placement view for instance changes,
// wakes the agent sessions (WatchInstance) of instances whose tasks were
// placed or changed desired status, and queues services whose tasks or
// records changed for the controller, and the cluster's DAEMON services
// when one of its instances changed. Before handling a batch it waits
// for the replica cache to apply it, so what it reads (and what the woken
// sessions read) is at least as new as the change.
//
// A watch that falls behind the compacted history re-reads everything from
// the cache after a Sync and wakes every session and service.
func (s *Service) watch(ctx context.Context) {
	prefix := s.st.Prefix() + tablePrefix
	from := s.startRev + 1
	desired := map[string]string{} // task store id → desired status last seen
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		wctx, cancel := context.WithCancel(ctx)
		next, err := s.watchFrom(wctx, prefix, from, desired)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if next > from {
			from, wait = next, 100*time.Millisecond
		}
		if errors.Is(err, store.ErrCompacted) {
			rev, serr := s.st.Sync(ctx)
			if serr == nil {
				s.view.loadAll()
				clear(desired)
				s.watchers.notifyAll()
				s.ctl.kickAll()
				from = rev + 1
				continue
			}
			err = serr
		}
		if err != nil {
			s.log.Warn("ecs: watch failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// watchFrom handles watch responses from revision from until the watch
// ends, and returns the revision to resume from.
func (s *Service) watchFrom(ctx context.Context, prefix string, from int64, desired map[string]string) (int64, error) {
	for resp := range s.st.KV().Watch(ctx, prefix, from) {
		if resp.Err != nil {
			return from, resp.Err
		}
		if len(resp.Events) == 0 {
			continue
		}
		last := resp.Events[len(resp.Events)-1].KV.ModRevision
		if err := s.st.WaitForRevision(ctx, last); err != nil {
			return from, err
		}
		for _, ev := range resp.Events {
			s.handleEvent(ev, desired)
		}
		from = last + 1
	}
	return from, ctx.Err()
}

func (s *Service) handleEvent(ev store.Event, desired map[string]string) {
	rest := strings.TrimPrefix(ev.KV.Key, s.st.Prefix())
	table, sid, ok := strings.Cut(rest, "/")
	if !ok {
		return
	}
	switch table {
	case tableInstances:
		s.view.refresh(sid)
		cluster, _ := splitStoreID(sid)
		s.kickDaemons(cluster)
	case tableUsage:
		s.view.refresh(sid)
	case tableTasks:
		if ev.Type == store.EventDelete {
			delete(desired, sid)
			return
		}
		r, err := s.t.tasks.Get(context.Background(), sid)
		if err != nil {
			return
		}
		t := r.Value
		if d, seen := desired[sid]; !seen || d != t.Desired {
			desired[sid] = t.Desired
			// Sessions woken after the cache held this record at r's
			// revision saw its desired status. (The cache holds this
			// event's revision in every table: WaitForRevision above.) Desired status only goes
			// from RUNNING to STOPPED, so while it is RUNNING, sessions
			// woken after the cache held this event's revision saw it too
			// (later revisions are the agent's own status reports).
			rev := r.Revision
			if t.Desired == taskRunning {
				rev = min(rev, ev.KV.ModRevision)
			}
			s.watchers.notifyThrough(t.Instance, rev, ev.KV.ModRevision)
		}
		if t.Last == taskStopped {
			delete(desired, sid) // never changes again
		}
		if t.Service != "" {
			s.ctl.kick(storeID(t.Cluster, t.Service))
		}
	case tableServices:
		s.ctl.kick(sid)
	}
}
