// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acstest

import (
	"context"
	"fmt"
	"sync"

	"github.com/berthdev/berth/internal/agentapi"
)

// Backend is an in-memory agentapi.Backend. It is safe for concurrent use.
type Backend struct {
	mu          sync.Mutex
	active      map[string]string // instance → cluster ARN
	tasks       map[string][]agentapi.Task
	connected   map[string]bool
	connects    int
	disconnects int
	watchers    map[string][]chan struct{}
}

var _ agentapi.Backend = (*Backend)(nil)

// NewBackend returns a Backend without instances.
func NewBackend() *Backend {
	return &Backend{
		active:    map[string]string{},
		tasks:     map[string][]agentapi.Task{},
		connected: map[string]bool{},
		watchers:  map[string][]chan struct{}{},
	}
}

// Activate registers an active instance of a cluster.
func (b *Backend) Activate(instanceARN, clusterARN string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active[instanceARN] = clusterARN
}

// ConnectAgent implements agentapi.Backend.
func (b *Backend) ConnectAgent(_ context.Context, _, inst string) (agentapi.Connection, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.active[inst]
	if !ok {
		return agentapi.Connection{}, fmt.Errorf("%w: %s", agentapi.ErrInactiveInstance, inst)
	}
	b.connects++
	b.connected[inst] = true
	return agentapi.Connection{ClusterARN: c, Generation: int64(b.connects)}, nil
}

// DisconnectAgent implements agentapi.Backend.
func (b *Backend) DisconnectAgent(_ context.Context, inst string, _ int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.disconnects++
	b.connected[inst] = false
	return nil
}

// InstanceTasks implements agentapi.Backend.
func (b *Backend) InstanceTasks(_ context.Context, inst string) ([]agentapi.Task, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]agentapi.Task(nil), b.tasks[inst]...), nil
}

// WatchInstance implements agentapi.Backend.
func (b *Backend) WatchInstance(ctx context.Context, inst string) <-chan struct{} {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	b.watchers[inst] = append(b.watchers[inst], ch)
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		defer b.mu.Unlock()
		ws := b.watchers[inst]
		for i, w := range ws {
			if w == ch {
				b.watchers[inst] = append(ws[:i:i], ws[i+1:]...)
				close(ch)
				break
			}
		}
	}()
	return ch
}

// SetTasks replaces an instance's tasks and notifies its watchers.
func (b *Backend) SetTasks(inst string, tasks ...agentapi.Task) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tasks[inst] = tasks
	b.notify(inst)
}

// SetTasksSilently replaces an instance's tasks without notifying its
// watchers, as if the notification were lost.
func (b *Backend) SetTasksSilently(inst string, tasks ...agentapi.Task) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tasks[inst] = tasks
}

// UpdateTask applies fn to an instance's task (bumping its Version) and
// notifies the watchers; a task fn marks STOPPED/STOPPED is removed, as
// InstanceTasks no longer lists it.
func (b *Backend) UpdateTask(inst, taskARN string, fn func(*agentapi.Task)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ts := b.tasks[inst]
	for i := range ts {
		if ts[i].TaskARN != taskARN {
			continue
		}
		fn(&ts[i])
		ts[i].Version++
		if ts[i].DesiredStatus == "STOPPED" && ts[i].LastStatus == "STOPPED" {
			b.tasks[inst] = append(ts[:i:i], ts[i+1:]...)
		}
		b.notify(inst)
		return
	}
}

func (b *Backend) notify(inst string) {
	for _, w := range b.watchers[inst] {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// Connected reports whether the instance's agent is recorded connected.
func (b *Backend) Connected(inst string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.connected[inst]
}

// Connects returns how many times ConnectAgent succeeded.
func (b *Backend) Connects() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.connects
}
