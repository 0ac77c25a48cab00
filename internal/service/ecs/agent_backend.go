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

// ConnectAgent implements agentapi.Backend.
func (s *Service) ConnectAgent(ctx context.Context, cluster, instanceARN string) (string, error) {
	name, ok := s.clusterName(&cluster)
	if !ok {
		return "", fmt.Errorf("%w: cluster %q", agentapi.ErrInactiveInstance, cluster)
	}
	cur, id, ok := s.instanceRef(name, instanceARN)
	if !ok || (cur.Value.Status != statusActive && cur.Value.Status != statusDraining) {
		return "", fmt.Errorf("%w: %s", agentapi.ErrInactiveInstance, instanceARN)
	}
	if err := s.setConnected(ctx, storeID(name, id), true); err != nil {
		return "", err
	}
	return s.clusterARN(name), nil
}

// DisconnectAgent implements agentapi.Backend.
func (s *Service) DisconnectAgent(ctx context.Context, instanceARN string) error {
	c, id, ok := s.childRef(instanceARN, "container-instance")
	if !ok || c == "" {
		return nil // a short ARN names no cluster; ConnectAgent refused it
	}
	return s.setConnected(ctx, storeID(c, id), false)
}

// setConnected writes agentConnected only when it changes.
func (s *Service) setConnected(ctx context.Context, sid string, connected bool) error {
	cur, err := s.t.instances.Get(ctx, sid)
	if err != nil || cur.Value.Connected == connected {
		return nil
	}
	_, err = s.t.instances.Update(ctx, sid, func(r *instanceRec) error {
		if r.Connected == connected || (connected && r.Status == statusInactive) {
			return errNoChange
		}
		r.Connected = connected
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

// InstanceTasks implements agentapi.Backend.
func (s *Service) InstanceTasks(ctx context.Context, instanceARN string) ([]agentapi.Task, error) {
	c, id, ok := s.childRef(instanceARN, "container-instance")
	if !ok || c == "" {
		return nil, fmt.Errorf("%w: %s", agentapi.ErrInactiveInstance, instanceARN)
	}
	recs, _, err := s.t.tasks.ListByIndex(ctx, ixTaskLive, storeID(c, id), store.Page{})
	if err != nil {
		return nil, storeErr(err)
	}
	out := make([]agentapi.Task, 0, len(recs))
	for _, r := range recs {
		t := r.Value
		if t.Last == taskStopped {
			continue
		}
		def := s.defOf(t)
		if def == nil {
			continue
		}
		at := agentapi.Task{
			TaskARN:          s.taskARN(t.Cluster, t.ID),
			ClusterARN:       s.clusterARN(t.Cluster),
			Version:          r.Revision,
			DesiredStatus:    t.Desired,
			LastStatus:       t.Last,
			Definition:       def.Def,
			Overrides:        t.Overrides,
			TaskRoleARN:      t.TaskRole,
			ExecutionRoleARN: t.ExecRole,
			CreatedAt:        t.Created,
			StartedBy:        t.StartedBy,
			Group:            t.Group,
		}
		if len(t.Ports) > 0 {
			at.HostPorts = make(map[string]int32, len(t.Ports))
			for _, p := range t.Ports {
				at.HostPorts[agentapi.HostPortKey(p.Container, int32(p.CPort), p.Proto)] = int32(p.HPort)
			}
		}
		out = append(out, at)
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
}

func newWatchers() *watchers { return &watchers{m: map[string][]chan struct{}{}} }

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
