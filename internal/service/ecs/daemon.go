// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"fmt"
	"slices"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/scheduler"
	"github.com/berthdev/berth/internal/store"
)

// The DAEMON scheduling strategy: one task of the service on each ACTIVE
// container instance of the cluster that satisfies the service's (and
// its task definition's) memberOf constraints and the task definition's
// required attributes. The desired count is the number of those
// instances; the controller keeps it current.
//
//	1. Tasks on instances no longer eligible (DRAINING, deregistered, no
//	   longer matching) are stopped and not replaced.
//	2. An eligible instance with more than one PRIMARY task keeps one.
//	3. Eligible instances without a PRIMARY task get one (placed on that
//	   instance), within maxTotal = ⌊desired × maximumPercent / 100⌋;
//	   instances without any task of the service first.
//	4. Tasks of older deployments are stopped: pending ones at once,
//	   running ones while more than ⌈desired × minimumHealthyPercent /
//	   100⌉ tasks are RUNNING. With the DAEMON defaults (100 and 0) an
//	   update stops each old task first and starts its replacement once
//	   the old one has STOPPED.
//
// A stopped task leaves its instance without a PRIMARY task, so step 3
// replaces it on the same instance.

const (
	schedDaemon         = "DAEMON"
	daemonMaxPercent    = 100
	daemonMinHealthy    = 0
	msgDaemonDesired    = "The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again"
	msgDaemonStrategies = "The daemon scheduling strategy does not support placement strategies. Remove the placement strategy and try again"
)

// daemonInstances returns the ids (the ARN's last part) of the cluster's
// instances that a DAEMON service of the task definition taskDef and the
// constraints cs runs on, sorted.
func (s *Service) daemonInstances(cluster, taskDef string, cs []constraintRec) []string {
	def, ok := s.lookupTaskDef(taskDef)
	if !ok {
		return nil
	}
	var queries []*scheduler.Query
	add := func(typ, expr string) bool {
		if typ != "memberOf" {
			return true
		}
		q, err := scheduler.ParseQuery(expr)
		if err != nil {
			return false
		}
		queries = append(queries, q)
		return true
	}
	for _, c := range def.Value.Def.PlacementConstraints {
		if !add(deref(c.Type), deref(c.Expression)) {
			return nil
		}
	}
	for _, c := range cs {
		if !add(c.Type, c.Expr) {
			return nil
		}
	}
	var out []string
	for _, inst := range s.view.Instances(cluster) {
		if inst.Status != statusActive || !hasAttrs(inst, def.Value.Def.RequiresAttributes) {
			continue
		}
		if !slices.ContainsFunc(queries, func(q *scheduler.Query) bool { return !q.Match(inst) }) {
			out = append(out, lastPathPart(inst.ID))
		}
	}
	slices.Sort(out)
	return out
}

// hasAttrs reports whether an instance has every attribute a task
// definition requires.
func hasAttrs(inst *scheduler.Instance, req []ecsapi.Attribute) bool {
	for _, a := range req {
		v, ok := inst.Attributes[deref(a.Name)]
		if !ok || a.Value != nil && *a.Value != "" && v != *a.Value {
			return false
		}
	}
	return true
}

// reconcileDaemon runs one step of a DAEMON service (see above).
func (s *Service) reconcileDaemon(ctx context.Context, sid string, svc *serviceRec, recs []store.Record[taskRec]) error {
	primary := svc.Deployments[0]
	var eligible []string
	if svc.Status == statusActive {
		eligible = s.daemonInstances(svc.Cluster, primary.TaskDef, svc.Constraints)
	}
	desired := len(eligible)
	tally := tallyTasks(recs)
	step := serviceStep{desired: desired, setDesired: true, drained: tally.drained(svc.Deployments)}
	reason := scalingReason(primary.ID)
	prim := map[string][]*taskRec{} // instance → PRIMARY tasks desired RUNNING
	old := map[string][]*taskRec{}  // instance → older deployments' tasks desired RUNNING
	live, healthy := tally.live, tally.healthy
	var gone []*taskRec // on instances no longer eligible
	for _, t := range tally.kept {
		_, isEligible := slices.BinarySearch(eligible, t.Instance) // eligible is sorted
		switch {
		case !isEligible:
			gone = append(gone, t)
		case t.Deployment == primary.ID:
			prim[t.Instance] = append(prim[t.Instance], t)
		default:
			old[t.Instance] = append(old[t.Instance], t)
		}
	}
	stop := func(t *taskRec) {
		if s.stopServiceTask(ctx, t, reason) {
			step.stopped = append(step.stopped, t.ID)
			live--
			if t.Last == taskRunning {
				healthy--
			}
		}
	}
	// 1. Instances that left.
	for _, t := range gone {
		stop(t)
	}
	// 2. One PRIMARY task per instance: keep the running (oldest) one.
	for _, id := range eligible {
		ts := prim[id]
		if len(ts) < 2 {
			continue
		}
		slices.SortFunc(ts, stopOrder)
		for _, t := range ts[:len(ts)-1] {
			stop(t)
		}
		prim[id] = ts[len(ts)-1:]
	}
	// 3. Launch on instances without a PRIMARY task, within maximumPercent.
	var want []string
	for _, id := range eligible {
		if len(prim[id]) == 0 && len(old[id]) == 0 {
			want = append(want, id)
		}
	}
	for _, id := range eligible {
		if len(prim[id]) == 0 && len(old[id]) > 0 {
			want = append(want, id)
		}
	}
	maxTotal := desired * svc.MaxPercent / 100
	if n := min(len(want), maxTotal-live); n > 0 {
		made, fail := s.launchDaemon(ctx, svc, primary, want[:n])
		for _, t := range made {
			step.started = append(step.started, t.ID)
			prim[t.Instance] = append(prim[t.Instance], t)
		}
		live += len(made)
		step.placeFail = fail
	}
	// 4. Replace older deployments' tasks, instances already running a
	// PRIMARY task first.
	minHealthy := (desired*svc.MinHealthy + 99) / 100
	var replace []*taskRec
	for _, id := range eligible {
		replace = append(replace, old[id]...)
	}
	slices.SortStableFunc(replace, func(a, b *taskRec) int {
		return boolOrder(len(prim[a.Instance]) > 0, len(prim[b.Instance]) > 0)
	})
	oldLeft := 0
	for _, t := range replace {
		if t.Last == taskRunning && healthy-1 < minHealthy {
			oldLeft++
			continue
		}
		stop(t)
	}
	running := 0
	for _, id := range eligible {
		if ts := prim[id]; len(ts) == 1 && ts[0].Last == taskRunning {
			running++
		}
	}
	step.empty = live == 0
	step.steady = running == desired && live == desired && oldLeft == 0 && len(replace) == 0 &&
		len(step.started) == 0 && len(step.stopped) == 0 && len(svc.Deployments)-len(step.drained) == 1
	return s.recordStep(ctx, sid, primary.ID, step)
}

// boolOrder sorts true before false.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// launchDaemon places one task of a deployment on each named instance.
func (s *Service) launchDaemon(ctx context.Context, svc *serviceRec, dep deploymentRec, instances []string) ([]*taskRec, string) {
	sp, fail := s.serviceLaunchSpec(svc, dep)
	if sp == nil {
		return nil, fail
	}
	req, err := s.request(sp, 1, constraintsAPI(svc.Constraints), nil)
	if err != nil {
		return nil, fmt.Sprintf("(service %s) failed to launch a task: %v", svc.Name, err)
	}
	made, fails, err := s.placeOn(ctx, sp, req, instances)
	if err != nil {
		return made, ""
	}
	if len(fails) > 0 {
		return made, placeFailMessage(svc.Name, fails)
	}
	return made, ""
}

// kickDaemons queues the cluster's DAEMON services: an instance of the
// cluster changed.
func (s *Service) kickDaemons(cluster string) {
	recs, _, err := s.t.services.List(context.Background(), store.Page{Prefix: cluster + "/"})
	if err != nil {
		return
	}
	for _, r := range recs {
		if r.Value.Scheduling == schedDaemon && r.Value.Status != statusInactive {
			s.ctl.kick(r.ID)
		}
	}
}
