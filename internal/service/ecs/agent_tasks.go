// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"sync"

	"github.com/berthdev/berth/internal/agentapi"
)

// agentTasks remembers, per container instance, the agentapi.Task each
// live task was rendered to and the record revision it was rendered from.
// An ACS session lists its instance's tasks on every change there, while
// most of them have not changed since the last listing: those are handed
// out again instead of being rendered anew (records are immutable at a
// revision, and rendered tasks are never changed once handed out).
type agentTasks struct {
	mu sync.Mutex
	m  map[string]*instanceAgentTasks // instance store id →
}

type instanceAgentTasks struct {
	mu    sync.Mutex
	epoch uint64
	tasks map[string]*renderedTask // task store id →
}

type renderedTask struct {
	rev   int64
	epoch uint64
	ok    bool // false: not handed to the agent (stopped, or its definition is gone)
	task  agentapi.Task
}

// of returns an instance's memo, locked; the caller unlocks it.
func (a *agentTasks) of(instSID string) *instanceAgentTasks {
	a.mu.Lock()
	if a.m == nil {
		a.m = map[string]*instanceAgentTasks{}
	}
	it := a.m[instSID]
	if it == nil {
		it = &instanceAgentTasks{tasks: map[string]*renderedTask{}}
		a.m[instSID] = it
	}
	a.mu.Unlock()
	it.mu.Lock()
	it.epoch++
	return it
}

// forget drops an instance's memo (it was deregistered).
func (a *agentTasks) forget(instSID string) {
	a.mu.Lock()
	delete(a.m, instSID)
	a.mu.Unlock()
}

// get returns the rendering of a task at rev, if the memo holds it, and
// marks it current.
func (it *instanceAgentTasks) get(taskSID string, rev int64) (*renderedTask, bool) {
	rt := it.tasks[taskSID]
	if rt == nil || rt.rev != rev {
		return nil, false
	}
	rt.epoch = it.epoch
	return rt, true
}

func (it *instanceAgentTasks) put(taskSID string, rt *renderedTask) {
	rt.epoch = it.epoch
	it.tasks[taskSID] = rt
}

// sweep drops the tasks this listing did not see (they left the instance's
// live tasks) and unlocks the memo.
func (it *instanceAgentTasks) sweep(seen int) {
	if len(it.tasks) > seen {
		for id, rt := range it.tasks {
			if rt.epoch != it.epoch {
				delete(it.tasks, id)
			}
		}
	}
	it.mu.Unlock()
}

// agentRenderer renders the tasks of one listing: they share their
// cluster and, mostly, their definition, so each is resolved once.
type agentRenderer struct {
	s          *Service
	cluster    string
	clusterARN string
	defRef     string
	def        *taskDefRec
}

// render renders a task record at revision rev as the agent is handed it.
func (rn *agentRenderer) render(t *taskRec, rev int64) *renderedTask {
	s := rn.s
	if t.Last == taskStopped {
		return &renderedTask{rev: rev}
	}
	if t.Def != rn.defRef || rn.def == nil {
		rn.defRef, rn.def = t.Def, s.defOf(t)
	}
	if rn.def == nil {
		return &renderedTask{rev: rev}
	}
	if rn.clusterARN == "" {
		rn.clusterARN = s.clusterARN(rn.cluster)
	}
	cARN := rn.clusterARN
	if t.Cluster != rn.cluster {
		cARN = s.clusterARN(t.Cluster)
	}
	at := agentapi.Task{
		TaskARN:          s.taskARN(t.Cluster, t.ID),
		ClusterARN:       cARN,
		Version:          rev,
		DesiredStatus:    t.Desired,
		LastStatus:       t.Last,
		Definition:       rn.def.Def,
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
	return &renderedTask{rev: rev, ok: true, task: at}
}
