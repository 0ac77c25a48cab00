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
	list    []*scheduler.Instance
	pos     map[string]int   // instance store id → index in list
	instRev map[string]int64 // instance store id → instance record revision
	shared  bool
}

func newClusterView() *clusterView {
	return &clusterView{pos: map[string]int{}, instRev: map[string]int64{}}
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

// get returns the view's instance for a store id, if it holds one, and
// the revision of the instance record it was built from.
func (v *instanceView) get(sid string) (*scheduler.Instance, int64, bool) {
	cluster, _ := splitStoreID(sid)
	v.mu.Lock()
	defer v.mu.Unlock()
	cv := v.clusters[cluster]
	if cv == nil {
		return nil, 0, false
	}
	i, ok := cv.pos[sid]
	if !ok {
		return nil, 0, false
	}
	return cv.list[i], cv.instRev[sid], true
}

// loadAll rebuilds the view from the cache.
func (v *instanceView) loadAll() {
	ctx := context.Background()
	recs, _, _ := v.s.t.instances.List(ctx, store.Page{})
	fresh := map[string]*clusterView{}
	for _, r := range recs {
		if r.Value.Status == statusInactive {
			continue
		}
		u, err := v.s.t.usage.Get(ctx, r.ID)
		if err != nil {
			continue
		}
		cv := fresh[r.Value.Cluster]
		if cv == nil {
			cv = newClusterView()
			fresh[r.Value.Cluster] = cv
		}
		cv.pos[r.ID] = len(cv.list)
		cv.instRev[r.ID] = r.Revision
		cv.list = append(cv.list, schedInstance(v.s, r.Value, u.Value, u.Revision, nil))
	}
	v.mu.Lock()
	v.clusters = fresh
	v.mu.Unlock()
}

// refresh brings one instance up to date with the cache: the cache's
// record if it is newer than the view's, or its removal when the record is
// gone or INACTIVE.
func (v *instanceView) refresh(sids ...string) {
	ctx := context.Background()
	for _, sid := range sids {
		r, err := v.s.t.instances.Get(ctx, sid)
		if err != nil || r.Value.Status == statusInactive {
			v.remove(sid)
			continue
		}
		u, err := v.s.t.usage.Get(ctx, sid)
		if err != nil {
			v.remove(sid)
			continue
		}
		cur, instRev, ok := v.get(sid)
		if ok && cur.Version >= u.Revision && instRev >= r.Revision {
			continue
		}
		var attrs map[string]string
		if ok && instRev == r.Revision {
			// Only the usage moved (a placement or a release): the
			// attributes, from the instance record, are the held ones.
			attrs = cur.Attributes
		}
		v.put(sid, schedInstance(v.s, r.Value, u.Value, u.Revision, attrs), r.Revision)
	}
}

// put installs a newer form of an instance: one built from a usage record
// and an instance record at least as new as the held one's.
func (v *instanceView) put(sid string, inst *scheduler.Instance, instRev int64) {
	cluster, _ := splitStoreID(sid)
	v.mu.Lock()
	defer v.mu.Unlock()
	cv := v.clusters[cluster]
	if cv == nil {
		cv = newClusterView()
		v.clusters[cluster] = cv
	}
	i, ok := cv.pos[sid]
	if ok && cv.list[i].Version >= inst.Version && cv.instRev[sid] >= instRev {
		return // a concurrent refresh put a newer one
	}
	if ok && (cv.list[i].Version > inst.Version || cv.instRev[sid] > instRev) {
		return // mixed ages: the next refresh of the newer part brings both
	}
	if cv.shared {
		cv.list = slices.Clone(cv.list)
		cv.shared = false
	}
	cv.instRev[sid] = instRev
	if ok {
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
	delete(cv.instRev, sid)
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

// schedInstance converts an instance record and its usage to the
// scheduler's form; the usage record's revision is the Version placements
// compare. attrs, when not nil, are the instance's attributes already
// converted from r (shared, never changed).
func schedInstance(s *Service, r *instanceRec, u *usageRec, rev int64, attrs map[string]string) *scheduler.Instance {
	inst := &scheduler.Instance{
		ID:                s.instanceARN(r.Cluster, r.ID),
		EC2InstanceID:     r.EC2ID,
		Status:            r.Status,
		AgentConnected:    r.Connected,
		RegisteredAt:      r.Registered,
		RegisteredCPU:     r.CPU,
		RegisteredMemory:  r.Mem,
		RemainingCPU:      r.CPU - u.CPU,
		RemainingMemory:   r.Mem - u.Mem,
		UsedPorts:         scheduler.NewPortSet(append(slices.Clone(r.Reserved), u.Ports...)...),
		UsedUDPPorts:      scheduler.NewPortSet(append(slices.Clone(r.ReservedUDP), u.UDPPorts...)...),
		RunningTasksCount: u.Live,
		Groups:            u.Groups,
		Version:           rev,
		Attributes:        attrs,
	}
	if r.Agent != nil {
		inst.AgentVersion = r.Agent.Agent
	}
	if attrs == nil {
		inst.Attributes = make(map[string]string, len(r.Attrs))
		for _, a := range r.Attrs {
			inst.Attributes[a.Name] = deref(a.Value)
		}
	}
	return inst
}
