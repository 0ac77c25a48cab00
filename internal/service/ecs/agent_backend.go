// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/store"
)

// The agentapi.Backend the ACS server delivers work with. Reads come from
// the replica cache; WatchInstance is fed by the store watch (watch.go),
// so a task placed or stopped on any replica reaches the agent's session
// on this one.

// ConnectAgent implements agentapi.Backend. Every connection takes a new
// generation (the instance record's ConnGen, advanced by compare-and-swap,
// so no two connections of an instance share one, whichever replica made
// them); the instance's version changes only when agentConnected does.
func (s *Service) ConnectAgent(ctx context.Context, cluster, instanceARN string) (agentapi.Connection, error) {
	name, ok := s.clusterName(&cluster)
	if !ok {
		return agentapi.Connection{}, fmt.Errorf("%w: cluster %q", agentapi.ErrInactiveInstance, cluster)
	}
	cur, id, ok := s.instanceRef(name, instanceARN)
	if !ok || (cur.Value.Status != statusActive && cur.Value.Status != statusDraining) {
		return agentapi.Connection{}, fmt.Errorf("%w: %s", agentapi.ErrInactiveInstance, instanceARN)
	}
	sid := storeID(name, id)
	r, err := s.t.instances.Update(ctx, sid, func(r *instanceRec) error {
		if r.Status == statusInactive {
			return agentapi.ErrInactiveInstance
		}
		if !r.Connected {
			r.Connected = true
			r.Version++
		}
		r.ConnGen++
		return nil
	})
	switch {
	case errors.Is(err, agentapi.ErrInactiveInstance) || isNotFound(err):
		return agentapi.Connection{}, fmt.Errorf("%w: %s", agentapi.ErrInactiveInstance, instanceARN)
	case err != nil && r.Revision == 0: // not committed (a revision with an error: committed, the cache lags)
		return agentapi.Connection{}, storeErr(err)
	}
	s.view.refresh(sid)
	return agentapi.Connection{ClusterARN: s.clusterARN(name), Generation: r.Value.ConnGen}, nil
}

// DisconnectAgent implements agentapi.Backend.
func (s *Service) DisconnectAgent(ctx context.Context, instanceARN string, generation int64) error {
	c, id, ok := s.childRef(instanceARN, "container-instance")
	if !ok || c == "" {
		return nil // a short ARN names no cluster; ConnectAgent refused it
	}
	sid := storeID(c, id)
	cur, err := s.t.instances.Get(ctx, sid)
	if err != nil || !cur.Value.Connected || cur.Value.ConnGen != generation {
		return nil
	}
	_, err = s.t.instances.Update(ctx, sid, func(r *instanceRec) error {
		if !r.Connected || r.ConnGen != generation {
			return errNoChange // a newer connection took over meanwhile
		}
		r.Connected = false
		r.Version++
		return nil
	})
	if err != nil && !errors.Is(err, errNoChange) && !isNotFound(err) {
		return storeErr(err)
	}
	s.view.refresh(sid)
	return nil
}

var errNoChange = errors.New("ecs: no change")

// InstanceTasks implements agentapi.Backend. For an instance that is
// deregistered (or unknown) it returns an error wrapping
// agentapi.ErrInactiveInstance.
func (s *Service) InstanceTasks(ctx context.Context, instanceARN string) ([]agentapi.Task, error) {
	c, id, ok := s.childRef(instanceARN, "container-instance")
	if !ok || c == "" {
		return nil, fmt.Errorf("%w: %s", agentapi.ErrInactiveInstance, instanceARN)
	}
	// A deregistered instance has no work: the error ends its session, and
	// the agent's reconnection is refused with InactiveInstanceException.
	if inst, err := s.t.instances.Get(ctx, storeID(c, id)); err != nil || inst.Value.Status == statusInactive {
		s.agentTasks.forget(storeID(c, id))
		return nil, fmt.Errorf("%w: %s", agentapi.ErrInactiveInstance, instanceARN)
	}
	recs, _, err := s.t.tasks.ListByIndex(ctx, ixTaskLive, storeID(c, id), store.Page{})
	if err != nil {
		return nil, storeErr(err)
	}
	out := make([]agentapi.Task, 0, len(recs))
	memo := s.agentTasks.of(storeID(c, id))
	defer memo.sweep(len(recs))
	rn := agentRenderer{s: s, cluster: c}
	for _, r := range recs {
		rt, ok := memo.get(r.ID, r.Revision)
		if !ok {
			rt = rn.render(r.Value, r.Revision)
			memo.put(r.ID, rt)
		}
		if rt.ok {
			out = append(out, rt.task)
		}
	}
	return out, nil
}

// WatchInstance implements agentapi.Backend.
func (s *Service) WatchInstance(ctx context.Context, instanceARN string) <-chan struct{} {
	_, id, _ := s.childRef(instanceARN, "container-instance")
	ch := make(chan struct{}, 1)
	s.watchers.add(id, ch)
	go func() {
		<-ctx.Done()
		s.watchers.remove(id, ch)
		close(ch)
	}()
	return ch
}

// watchers are the WatchInstance channels, by container instance id.
type watchers struct {
	mu sync.Mutex
	m  map[string][]chan struct{}
	// through is, per instance, the store revision up to which its
	// watchers were woken after the replica cache held it (notifyThrough):
	// the watch need not wake them again for a change at or below it.
	through map[string]int64
}

func newWatchers() *watchers {
	return &watchers{m: map[string][]chan struct{}{}, through: map[string]int64{}}
}

func (w *watchers) add(id string, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.m[id] = append(w.m[id], ch)
}

func (w *watchers) remove(id string, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	chs := w.m[id]
	for i, c := range chs {
		if c == ch {
			chs = append(chs[:i], chs[i+1:]...)
			break
		}
	}
	if len(chs) == 0 {
		delete(w.m, id)
		delete(w.through, id)
	} else {
		w.m[id] = chs
	}
}

// notify wakes the watchers of an instance; signals coalesce.
func (w *watchers) notify(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ch := range w.m[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// notifyThrough wakes the watchers of an instance for a change at
// revision rev, unless they were already woken with the replica cache at
// rev or later: every session reading after a wake-up sees every change
// up to the revision the cache then held. held is a revision the cache
// holds in every table (a commit's, or a watch event's after
// WaitForRevision: the store applies a revision to all tables before it
// reports it). A placement commit wakes its instance's session at once and
// the watch's echo of the commit (or the other way round) costs no second
// sync of the instance's tasks.
func (w *watchers) notifyThrough(id string, rev, held int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	chs := w.m[id]
	if len(chs) == 0 || rev <= w.through[id] {
		return
	}
	w.through[id] = max(w.through[id], held)
	for _, ch := range chs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// notifyAll wakes every watcher (after the watch re-listed).
func (w *watchers) notifyAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, chs := range w.m {
		for _, ch := range chs {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}
