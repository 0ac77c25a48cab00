// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/scheduler"
	"github.com/berthdev/berth/internal/store"
)

// Placement commits. The scheduler places against the view and hands each
// batch to a launch (its Planner), which commits every placement of one
// instance together with that instance's new usage in a transaction
// guarded by the instance record's revision, so concurrent placements on
// any replica never overcommit an instance: one of two racing commits
// fails its guard and its tasks are placed again on a fresher view.
//
//	Process ─► place(view) ─► SubmitPlan ─┬─► Txn{ Put instance@rev (usage += task),
//	                                      │        Create task, Create task... } × instances
//	                                      │   (several instances per Txn, ≤ MaxTxnOps ops)
//	                                      └─► rejected instance? Sync, refresh view, place again

// launchSpec is what every task of one launch (a RunTask or StartTask
// call, or a service controller step) shares.
type launchSpec struct {
	cluster    string
	def        *taskDefRec
	overrides  *ecsapi.TaskOverride
	startedBy  string
	group      string
	service    string
	deployment string
	tags       []tagRec
	taskRole   string
	execRole   string
	execCmd    bool
	cpu, mem   int
}

// launch commits placements of one launchSpec; it implements
// scheduler.Planner and collects the tasks it created.
type launch struct {
	s       *Service
	spec    *launchSpec
	created []*taskRec
}

var _ scheduler.Planner = (*launch)(nil)

// planGroup is the placements of one plan on one instance.
type planGroup struct {
	sid   string
	pls   []scheduler.Placement
	usage *usageRec
	ops   []store.Op
	keys  []recKey
	fresh func() bool
	made  []*taskRec
	rev   int64 // the commit's revision
}

// SubmitPlan implements scheduler.Planner.
func (l *launch) SubmitPlan(ctx context.Context, plan *scheduler.Plan) (*scheduler.PlanResult, error) {
	s := l.s
	var groups []*planGroup
	bySID := map[string]*planGroup{}
	planVersions := map[string]int64{}
	var rejected []string
	for _, pl := range plan.Placements {
		_, id, ok := s.childRef(pl.InstanceID, "container-instance")
		if !ok {
			return nil, errf("placement on unknown instance %q", pl.InstanceID)
		}
		sid := storeID(l.spec.cluster, id)
		g := bySID[sid]
		if g == nil {
			g = &planGroup{sid: sid}
			bySID[sid] = g
			groups = append(groups, g)
		}
		g.pls = append(g.pls, pl)
		planVersions[sid] = pl.Version
	}
	var ok []*planGroup
	for _, g := range groups {
		u, err := s.t.usage.Get(ctx, g.sid)
		inst, ierr := s.t.instances.Get(ctx, g.sid)
		if err != nil || ierr != nil || u.Revision != g.pls[0].Version || inst.Value.Status != statusActive {
			rejected = append(rejected, g.sid)
			continue
		}
		g.usage = u.Value.Clone()
		for _, pl := range g.pls {
			t := l.newTask(inst.Value, g.usage, pl)
			g.made = append(g.made, t)
			g.ops = append(g.ops, s.t.tasks.CreateOp(storeID(t.Cluster, t.ID), t))
			g.keys = append(g.keys, recKey{tableTasks, storeID(t.Cluster, t.ID)})
		}
		g.ops = append(g.ops, s.t.usage.PutOp(g.sid, g.usage, u.Revision), s.t.instances.CheckOp(g.sid, inst.Revision))
		g.keys = append(g.keys, recKey{tableUsage, g.sid}, recKey{tableInstances, g.sid})
		g.fresh = revsHold(s, g.sid, u.Revision, inst.Revision)
		ok = append(ok, g)
	}
	committed, lost, err := l.commitGroups(ctx, ok)
	if err != nil {
		return nil, err
	}
	rejected = append(rejected, lost...)
	res := &scheduler.PlanResult{State: s.view}
	var touched []string
	for _, g := range committed {
		res.Committed = append(res.Committed, g.pls...)
		l.created = append(l.created, g.made...)
		touched = append(touched, g.sid)
	}
	s.view.refresh(touched...)
	for _, g := range committed {
		_, id := splitStoreID(g.sid)
		// The replica cache holds the commit in every table.
		if g.rev > 0 {
			s.watchers.notifyThrough(id, g.rev, g.rev)
		} else {
			s.watchers.notify(id)
		}
	}
	if len(rejected) > 0 && !s.viewMovedOn(rejected, planVersions) {
		// The cache has not seen what beat these placements (another
		// replica's commit): catch up before placing them again.
		if _, err := s.st.Sync(ctx); err != nil {
			return nil, storeErr(err)
		}
		s.view.refresh(rejected...)
	}
	return res, nil
}

// viewMovedOn refreshes the view's rejected instances from the cache and
// reports whether each now differs from the version its placements were
// computed against, so that placing them again needs no Sync.
func (s *Service) viewMovedOn(sids []string, planned map[string]int64) bool {
	s.view.refresh(sids...)
	for _, sid := range sids {
		if inst, _, ok := s.view.get(sid); ok && inst.Version == planned[sid] {
			return false
		}
	}
	return true
}

// commitGroups commits each group as a unit of the batcher, with the
// units of concurrent writers. A group whose instance changed meanwhile
// fails its guard and is returned as lost.
func (l *launch) commitGroups(ctx context.Context, groups []*planGroup) (committed []*planGroup, lost []string, err error) {
	units := make([]*unit, len(groups))
	for i, g := range groups {
		units[i] = &unit{ops: g.ops, keys: g.keys, fresh: g.fresh}
	}
	for i, e := range l.s.batch.commit(ctx, units...) {
		switch {
		case e == nil:
			groups[i].rev = units[i].rev
			committed = append(committed, groups[i])
		case isConflict(e):
			lost = append(lost, groups[i].sid)
		default:
			err = storeErr(e)
		}
	}
	return committed, lost, err
}

// revsHold returns a check that an instance's usage and instance records
// are still at the revisions a placement read, in the replica cache.
func revsHold(s *Service, sid string, usageRev, instRev int64) func() bool {
	return func() bool {
		u, err := s.t.usage.Get(context.Background(), sid)
		if err != nil || u.Revision != usageRev {
			return false
		}
		i, err := s.t.instances.Get(context.Background(), sid)
		return err == nil && i.Revision == instRev
	}
}

// newTask builds the task of one placement on inst and adds what it uses
// to u.
func (l *launch) newTask(inst *instanceRec, u *usageRec, pl scheduler.Placement) *taskRec {
	sp, s := l.spec, l.s
	t := &taskRec{
		ID:         newID(),
		Cluster:    sp.cluster,
		Instance:   inst.ID,
		Def:        deref(sp.def.Def.TaskDefinitionArn),
		Family:     sp.def.Family,
		Group:      sp.group,
		StartedBy:  sp.startedBy,
		Service:    sp.service,
		Deployment: sp.deployment,
		Desired:    taskRunning,
		Last:       taskPending,
		Version:    1,
		CPU:        pl.CPU,
		Mem:        pl.Memory,
		Overrides:  sp.overrides,
		TaskRole:   sp.taskRole,
		ExecRole:   sp.execRole,
		Tags:       sp.tags,
		ExecCmd:    sp.execCmd,
		Created:    s.now(),
	}
	t.AZ, _ = inst.attr(attrAZ)
	for _, c := range sp.def.Def.ContainerDefinitions {
		t.Containers = append(t.Containers, containerRec{Name: deref(c.Name), ID: newUUID(), Last: taskPending})
	}
	for _, p := range pl.Ports {
		pr := portRec{Container: p.ContainerName, CPort: p.ContainerPort, HPort: p.HostPort}
		if p.Protocol == scheduler.ProtocolUDP {
			pr.Proto = scheduler.ProtocolUDP
		}
		t.Ports = append(t.Ports, pr)
	}
	reserve(u, t)
	return t
}

// reserve adds a task's CPU, memory, host ports and group to an
// instance's usage.
func reserve(u *usageRec, t *taskRec) {
	u.CPU += t.CPU
	u.Mem += t.Mem
	for _, p := range t.Ports {
		if p.Proto == scheduler.ProtocolUDP {
			u.UDPPorts = insertSorted(u.UDPPorts, p.HPort)
		} else {
			u.Ports = insertSorted(u.Ports, p.HPort)
		}
	}
	u.Live++
	if u.Groups == nil {
		u.Groups = map[string]int{}
	}
	u.Groups[t.Group]++
}

// release returns a task's resources to its instance's usage.
func release(u *usageRec, t *taskRec) {
	u.CPU = max(0, u.CPU-t.CPU)
	u.Mem = max(0, u.Mem-t.Mem)
	for _, p := range t.Ports {
		if p.Proto == scheduler.ProtocolUDP {
			u.UDPPorts = removeSorted(u.UDPPorts, p.HPort)
		} else {
			u.Ports = removeSorted(u.Ports, p.HPort)
		}
	}
	u.Live = max(0, u.Live-1)
	if n := u.Groups[t.Group]; n <= 1 {
		delete(u.Groups, t.Group)
	} else {
		u.Groups[t.Group] = n - 1
	}
}

func insertSorted(s []int, v int) []int {
	i, found := slices.BinarySearch(s, v)
	if found {
		return s
	}
	return slices.Insert(s, i, v)
}

func removeSorted(s []int, v int) []int {
	i, found := slices.BinarySearch(s, v)
	if !found {
		return s
	}
	return slices.Delete(s, i, i+1)
}

// placeTasks places and commits count tasks of spec with the scheduler.
func (s *Service) placeTasks(ctx context.Context, spec *launchSpec, req *scheduler.Request) (*scheduler.Result, []*taskRec, error) {
	l := &launch{s: s, spec: spec}
	sch, err := scheduler.New(scheduler.Config{MaxAttempts: 10}, scheduler.Deps{Planner: l})
	if err != nil {
		return nil, nil, err
	}
	res, err := sch.Process(ctx, scheduler.Eval{State: s.view, Request: req})
	return res, l.created, err
}

// placeOn places one task of spec on each named instance (StartTask),
// placing again on a fresher view what lost a race.
func (s *Service) placeOn(ctx context.Context, spec *launchSpec, req *scheduler.Request, instances []string) ([]*taskRec, []scheduler.Failure, error) {
	l := &launch{s: s, spec: spec}
	todo := instances
	var fails []scheduler.Failure
	for attempt := 0; len(todo) > 0; attempt++ {
		pls, fs, err := scheduler.PlaceOn(s.view, req, todo)
		if err != nil {
			return nil, nil, schedulerErr(err)
		}
		fails = append(fails, fs...)
		if len(pls) == 0 {
			break
		}
		res, err := l.SubmitPlan(ctx, &scheduler.Plan{Request: req, Placements: pls})
		if err != nil {
			return nil, nil, err
		}
		if len(res.Committed) == len(pls) || attempt == 5 {
			break
		}
		// Retry the instances whose placements were rejected.
		done := map[string]int{}
		for _, p := range res.Committed {
			done[p.InstanceID]++
		}
		var again []string
		for _, p := range pls {
			if done[p.InstanceID] > 0 {
				done[p.InstanceID]--
				continue
			}
			again = append(again, p.InstanceID)
		}
		todo = again
	}
	return l.created, fails, nil
}
