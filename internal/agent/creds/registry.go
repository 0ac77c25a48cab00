// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package creds

import (
	"context"
	"net/netip"
	"sync"
	"time"
)

// Registry holds, for the tasks the agent runs, their metadata, whether
// they use the host network, and the IP addresses of their containers. The
// task runner writes it; Server reads it. It is safe for concurrent use;
// the zero value is not usable: use NewRegistry.
type Registry struct {
	mu        sync.RWMutex
	tasks     map[string]*taskRec // task ARN →
	endpoints map[string]endpointRef
	addrs     map[netip.Addr]string // container IP → task ARN
	expect    map[string]time.Time  // "task/container" → deadline of an expected registration
	changed   chan struct{}         // closed and replaced on every change
}

type taskRec struct {
	meta        TaskMetadata
	hostNetwork bool
	addrs       map[string][]netip.Addr // container name →
}

type endpointRef struct {
	taskARN   string
	container string
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry {
	return &Registry{
		tasks:     map[string]*taskRec{},
		endpoints: map[string]endpointRef{},
		addrs:     map[netip.Addr]string{},
		expect:    map[string]time.Time{},
		changed:   make(chan struct{}),
	}
}

func (r *Registry) task(arn string) *taskRec {
	t := r.tasks[arn]
	if t == nil {
		t = &taskRec{addrs: map[string][]netip.Addr{}}
		r.tasks[arn] = t
	}
	return t
}

func (r *Registry) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// PutTask replaces the metadata of m.TaskARN; the EndpointID of each
// container makes its metadata URI resolve.
func (r *Registry) PutTask(m TaskMetadata) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.task(m.TaskARN)
	for _, c := range t.meta.Containers {
		delete(r.endpoints, c.EndpointID)
	}
	t.meta = m
	for _, c := range m.Containers {
		if c.EndpointID != "" {
			r.endpoints[c.EndpointID] = endpointRef{taskARN: m.TaskARN, container: c.Name}
		}
	}
}

// ExpectAddrs announces that a container of taskARN is starting and will
// have its addresses registered within ttl; until then Server waits for
// unknown source addresses instead of refusing them at once.
func (r *Registry) ExpectAddrs(taskARN, container string, ttl time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expect[taskARN+"/"+container] = time.Now().Add(ttl)
}

// SetContainerAddrs records the addresses of a container of taskARN (none
// for a container that stopped) and whether the task uses the host network
// (then its addresses are the host's and are not recorded).
func (r *Registry) SetContainerAddrs(taskARN, container string, hostNetwork bool, addrs []netip.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.task(taskARN)
	t.hostNetwork = hostNetwork
	for _, a := range t.addrs[container] {
		if r.addrs[a] == taskARN {
			delete(r.addrs, a)
		}
	}
	if hostNetwork {
		addrs = nil
	}
	t.addrs[container] = append([]netip.Addr(nil), addrs...)
	for _, a := range addrs {
		r.addrs[a.Unmap()] = taskARN
	}
	delete(r.expect, taskARN+"/"+container)
	r.notifyLocked()
}

// RemoveTask forgets a task.
func (r *Registry) RemoveTask(taskARN string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tasks[taskARN]
	if t == nil {
		return
	}
	for _, as := range t.addrs {
		for _, a := range as {
			if r.addrs[a] == taskARN {
				delete(r.addrs, a)
			}
		}
	}
	for _, c := range t.meta.Containers {
		delete(r.endpoints, c.EndpointID)
	}
	for k := range r.expect {
		if len(k) > len(taskARN) && k[:len(taskARN)+1] == taskARN+"/" {
			delete(r.expect, k)
		}
	}
	delete(r.tasks, taskARN)
	r.notifyLocked()
}

// HostNetwork reports whether taskARN is known and uses the host network.
func (r *Registry) HostNetwork(taskARN string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t := r.tasks[taskARN]
	return t != nil && t.hostNetwork
}

// Task returns the metadata of taskARN.
func (r *Registry) Task(taskARN string) (TaskMetadata, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t := r.tasks[taskARN]
	if t == nil || t.meta.TaskARN == "" {
		return TaskMetadata{}, false
	}
	return t.meta, true
}

// Endpoint resolves a metadata endpoint id to its task metadata and
// container name.
func (r *Registry) Endpoint(id string) (TaskMetadata, string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ref, ok := r.endpoints[id]
	if !ok {
		return TaskMetadata{}, "", false
	}
	return r.tasks[ref.taskARN].meta, ref.container, true
}

// TaskForAddr returns the task whose container has address a. If none
// does but a container registration is expected, it waits for changes
// until one matches, none is expected any more, or wait (or ctx) ends.
func (r *Registry) TaskForAddr(ctx context.Context, a netip.Addr, wait time.Duration) (string, bool) {
	a = a.Unmap()
	var deadline <-chan time.Time
	for {
		r.mu.RLock()
		arn, ok := r.addrs[a]
		pending := r.pendingLocked(time.Now())
		ch := r.changed
		r.mu.RUnlock()
		if ok || !pending || wait <= 0 {
			return arn, ok
		}
		if deadline == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-ch:
		case <-deadline:
			return "", false
		case <-ctx.Done():
			return "", false
		}
	}
}

func (r *Registry) pendingLocked(now time.Time) bool {
	for _, d := range r.expect {
		if now.Before(d) {
			return true
		}
	}
	return false
}
