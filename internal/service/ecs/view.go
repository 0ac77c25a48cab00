// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"slices"
	"sync"

	"github.com/berthdev/berth/internal/scheduler"
	"github.com/berthdev/berth/internal/store"
)

// instanceView is the placement view of the container instances: per
// cluster, the scheduler's form of every instance record at the revision
// the view last saw, handed to the scheduler as an immutable snapshot.
//
// It is kept current from the replica cache: by the watch (watch.go) for
// every replica's writes, and directly by this replica's own write paths
// right after they commit, so a placement following a registration or a
// placement on the same replica sees it without waiting for the watch. A
// view that lags (another replica's write not yet seen) is safe: commits
// compare each instance record's revision, and a rejected placement is
// placed again after a Sync.
//
// Snapshots are copy-on-write: Instances hands out the cluster's slice and
// marks it shared; the next change copies it first (a memmove of one
// pointer per instance) so the handed-out slice never changes.
type instanceView struct {
	s *Service

	mu       sync.Mutex
	clusters map[string]*clusterView
}

type clusterView struct {
	list   []*scheduler.Instance
	pos    map[string]int // instance store id → index in list
	shared bool
}

var _ scheduler.State = (*instanceView)(nil)

func newInstanceView(s *Service) *instanceView {
	return &instanceView{s: s, clusters: map[string]*clusterView{}}
}

// Instances implements scheduler.State: every instance of the cluster
// (keyed by name), INACTIVE ones excluded.
func (v *instanceView) Instances(cluster string) []*scheduler.Instance {
	v.mu.Lock()
	defer v.mu.Unlock()
	cv := v.clusters[cluster]
	if cv == nil {
		return nil
	}
	cv.shared = true
	return cv.list
}

// get returns the view's instance for a store id, if it holds one.
func (v *instanceView) get(sid string) (*scheduler.Instance, bool) {
	cluster, _ := splitStoreID(sid)
	v.mu.Lock()
	defer v.mu.Unlock()
	cv := v.clusters[cluster]
	if cv == nil {
		return nil, false
	}
	i, ok := cv.pos[sid]
	if !ok {
		return nil, false
	}
	return cv.list[i], true
}

// loadAll rebuilds the view from the cache.
func (v *instanceView) loadAll() {
	recs, _, _ := v.s.t.instances.List(context.Background(), store.Page{})
	fresh := map[string]*clusterView{}
	for _, r := range recs {
		if r.Value.Status == statusInactive {
			continue
		}
		cv := fresh[r.Value.Cluster]
		if cv == nil {
			cv = &clusterView{pos: map[string]int{}}
			fresh[r.Value.Cluster] = cv
		}
		cv.pos[r.ID] = len(cv.list)
		cv.list = append(cv.list, schedInstance(v.s, r.Value, r.Revision))
	}
	v.mu.Lock()
	v.clusters = fresh
	v.mu.Unlock()
}

// refresh brings one instance up to date with the cache: the cache's
// record if it is newer than the view's, or its removal when the record is
// gone or INACTIVE.
func (v *instanceView) refresh(sids ...string) {
	for _, sid := range sids {
		r, err := v.s.t.instances.Get(context.Background(), sid)
		if err != nil || r.Value.Status == statusInactive {
			v.remove(sid)
			continue
		}
		if cur, ok := v.get(sid); ok && cur.Version >= r.Revision {
			continue
		}
		v.put(sid, schedInstance(v.s, r.Value, r.Revision))
	}
}

func (v *instanceView) put(sid string, inst *scheduler.Instance) {
	cluster, _ := splitStoreID(sid)
	v.mu.Lock()
	defer v.mu.Unlock()
	cv := v.clusters[cluster]
	if cv == nil {
		cv = &clusterView{pos: map[string]int{}}
		v.clusters[cluster] = cv
	}
	if i, ok := cv.pos[sid]; ok && cv.list[i].Version >= inst.Version {
		return // a concurrent refresh put a newer one
	}
	if cv.shared {
		cv.list = slices.Clone(cv.list)
		cv.shared = false
	}
	if i, ok := cv.pos[sid]; ok {
		cv.list[i] = inst
		return
	}
	cv.pos[sid] = len(cv.list)
	cv.list = append(cv.list, inst)
}

func (v *instanceView) remove(sid string) {
	cluster, _ := splitStoreID(sid)
	v.mu.Lock()
	defer v.mu.Unlock()
	cv := v.clusters[cluster]
	if cv == nil {
		return
	}
	i, ok := cv.pos[sid]
	if !ok {
		return
	}
	if cv.shared {
		cv.list = slices.Clone(cv.list)
		cv.shared = false
	}
	last := len(cv.list) - 1
	if i != last {
		moved := cv.list[last]
		cv.list[i] = moved
		cv.pos[storeID(cluster, lastPathPart(moved.ID))] = i
	}
	cv.list[last] = nil
	cv.list = cv.list[:last]
	delete(cv.pos, sid)
	if len(cv.list) == 0 {
		delete(v.clusters, cluster)
	}
}

func lastPathPart(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}

// schedInstance converts an instance record to the scheduler's form.
func schedInstance(s *Service, r *instanceRec, rev int64) *scheduler.Instance {
	inst := &scheduler.Instance{
		ID:                s.instanceARN(r.Cluster, r.ID),
		EC2InstanceID:     r.EC2ID,
		Status:            r.Status,
		AgentConnected:    r.Connected,
		RegisteredAt:      r.Registered,
		RegisteredCPU:     r.CPU,
		RegisteredMemory:  r.Mem,
		RemainingCPU:      r.CPU - r.UsedCPU,
		RemainingMemory:   r.Mem - r.UsedMem,
		UsedPorts:         scheduler.NewPortSet(append(slices.Clone(r.Reserved), r.Ports...)...),
		UsedUDPPorts:      scheduler.NewPortSet(append(slices.Clone(r.ReservedUDP), r.UDPPorts...)...),
		RunningTasksCount: r.Running,
		Groups:            r.Groups,
		Version:           rev,
		Attributes:        make(map[string]string, len(r.Attrs)),
	}
	if r.Agent != nil {
		inst.AgentVersion = r.Agent.Agent
	}
	for _, a := range r.Attrs {
		inst.Attributes[a.Name] = deref(a.Value)
	}
	return inst
}
