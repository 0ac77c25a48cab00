// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/scheduler"
	"github.com/berthdev/berth/internal/store"
)

// The service controller keeps each ACTIVE service's PRIMARY deployment at
// its desired count and rolls older deployments (and tasks on DRAINING
// instances) out, the way the ECS rolling-update scheduler does:
//
//	maxTotal   = ⌊desired × maximumPercent / 100⌋   tasks PENDING or RUNNING, all deployments
//	minHealthy = ⌈desired × minimumHealthyPercent / 100⌉ RUNNING tasks kept while replacing
//
//	1. PRIMARY tasks above desired are stopped (pending first, then newest).
//	2. PRIMARY tasks are launched up to desired, within maxTotal.
//	3. Tasks to replace (older deployments, DRAINING instances) are
//	   stopped: pending ones at once, running ones while more than
//	   minHealthy tasks are RUNNING.
//	4. Deployments without tasks are removed; the PRIMARY completes (and
//	   the service reports a steady state) when it runs desired tasks and
//	   nothing else remains.
//
// A DRAINING service (DeleteService) has desired 0 and becomes INACTIVE
// once it has no task. Each reconciliation is one step; the controller
// runs again when a task of the service changes (the watch queues it), when
// the service changes, and every ResyncInterval. It runs on the leader only.

// controllerQueue collects the services to reconcile.
type controllerQueue struct {
	mu    sync.Mutex
	dirty map[string]bool
	all   bool
	sig   chan struct{}
}

func newControllerQueue() *controllerQueue {
	return &controllerQueue{dirty: map[string]bool{}, sig: make(chan struct{}, 1)}
}

func (q *controllerQueue) signal() {
	select {
	case q.sig <- struct{}{}:
	default:
	}
}

// kick queues one service (its store id).
func (q *controllerQueue) kick(sid string) {
	q.mu.Lock()
	q.dirty[sid] = true
	q.mu.Unlock()
	q.signal()
}

// kickAll queues every service.
func (q *controllerQueue) kickAll() {
	q.mu.Lock()
	q.all = true
	q.mu.Unlock()
	q.signal()
}

func (q *controllerQueue) take() ([]string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ids := make([]string, 0, len(q.dirty))
	for id := range q.dirty {
		ids = append(ids, id)
	}
	clear(q.dirty)
	all := q.all
	q.all = false
	return ids, all
}

// runController reconciles services until ctx ends.
func (s *Service) runController(ctx context.Context) {
	tick := time.NewTicker(s.cfg.ResyncInterval)
	defer tick.Stop()
	s.ctl.kickAll()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.ctl.kickAll()
		case <-s.ctl.sig:
		}
		ids, all := s.ctl.take()
		if all {
			recs, _, err := s.t.services.List(ctx, store.Page{})
			if err != nil {
				continue
			}
			ids = ids[:0]
			for _, r := range recs {
				if r.Value.Status != statusInactive {
					ids = append(ids, r.ID)
				}
			}
		}
		slices.Sort(ids)
		for _, id := range slices.Compact(ids) {
			if ctx.Err() != nil {
				return
			}
			if err := s.reconcile(ctx, id); err != nil && ctx.Err() == nil {
				s.log.Warn("ecs: reconcile service", "service", id, "err", err)
			}
		}
	}
}

// serviceStep is what one reconciliation decided and did.
type serviceStep struct {
	started, stopped []string // task ids
	placeFail        string   // event text for a placement failure
	drained          []string // deployment ids without tasks
	steady           bool
	empty            bool // no task left
	desired          int  // DAEMON: the eligible instances (with setDesired)
	setDesired       bool
}

// reconcile runs one step of a service.
func (s *Service) reconcile(ctx context.Context, sid string) error {
	r, err := s.t.services.Get(ctx, sid)
	if err != nil {
		return nil // deleted
	}
	svc := r.Value
	if svc.Status == statusInactive || len(svc.Deployments) == 0 {
		return nil
	}
	recs, _, err := s.t.tasks.ListByIndex(ctx, ixTaskSvcLive, k(svc.Cluster, svc.Name), store.Page{})
	if err != nil {
		return err
	}
	if svc.Scheduling == schedDaemon {
		return s.reconcileDaemon(ctx, sid, svc, recs)
	}
	primary := svc.Deployments[0]
	desired := svc.Desired
	if svc.Status != statusActive {
		desired = 0
	}
	tally := tallyTasks(recs)
	live, healthy := tally.live, tally.healthy
	var prim, replace []*taskRec
	for _, t := range tally.kept {
		if t.Deployment == primary.ID && !s.onDrainingInstance(t) {
			prim = append(prim, t)
		} else {
			replace = append(replace, t)
		}
	}
	step := serviceStep{drained: tally.drained(svc.Deployments)}
	reason := scalingReason(primary.ID)
	// 1. Scale in the primary.
	if surplus := len(prim) - desired; surplus > 0 {
		slices.SortFunc(prim, stopOrder)
		for _, t := range prim[:surplus] {
			if s.stopServiceTask(ctx, t, reason) {
				step.stopped = append(step.stopped, t.ID)
				live--
			}
		}
		prim = prim[surplus:]
	}
	// 2. Launch up to desired within maximumPercent.
	maxTotal := desired * svc.MaxPercent / 100
	if want := min(desired-len(prim), maxTotal-live); want > 0 {
		made, fail := s.launchForService(ctx, svc, primary, want)
		for _, t := range made {
			step.started = append(step.started, t.ID)
		}
		live += len(made)
		step.placeFail = fail
	}
	// 3. Replace older deployments' tasks and tasks on draining instances.
	minHealthy := (desired*svc.MinHealthy + 99) / 100
	slices.SortFunc(replace, stopOrder)
	for _, t := range replace {
		if t.Last == taskRunning {
			if healthy-1 < minHealthy {
				continue
			}
			healthy--
		}
		if s.stopServiceTask(ctx, t, reason) {
			step.stopped = append(step.stopped, t.ID)
		}
	}
	runningPrim := 0
	for _, t := range prim {
		if t.Last == taskRunning {
			runningPrim++
		}
	}
	step.empty = live == 0
	step.steady = runningPrim == desired && len(prim) == desired && len(replace) == 0 && live == desired &&
		len(step.started) == 0 && len(step.stopped) == 0 && len(svc.Deployments)-len(step.drained) == 1
	return s.recordStep(ctx, sid, primary.ID, step)
}

// taskTally is a service's tasks as a reconciliation step counts them.
type taskTally struct {
	live    int            // tasks not yet STOPPED
	healthy int            // of those, RUNNING and desired RUNNING
	perDep  map[string]int // live tasks per deployment
	kept    []*taskRec     // live tasks desired RUNNING (not already stopping)
}

func tallyTasks(recs []store.Record[taskRec]) taskTally {
	tl := taskTally{perDep: map[string]int{}}
	for _, rec := range recs {
		t := rec.Value
		if t.Last == taskStopped {
			continue
		}
		tl.live++
		tl.perDep[t.Deployment]++
		if t.Desired != taskRunning {
			continue // already stopping
		}
		if t.Last == taskRunning {
			tl.healthy++
		}
		tl.kept = append(tl.kept, t)
	}
	return tl
}

// drained returns the ids of the older deployments (all but the first)
// without a live task.
func (tl taskTally) drained(deps []deploymentRec) []string {
	var out []string
	for _, d := range deps[1:] {
		if tl.perDep[d.ID] <= 0 {
			out = append(out, d.ID)
		}
	}
	return out
}

func scalingReason(deployment string) string {
	return fmt.Sprintf("Scaling activity initiated by (deployment %s)", deployment)
}

// stopOrder stops tasks that are not yet RUNNING first, then the newest.
func stopOrder(a, b *taskRec) int {
	ar, br := a.Last == taskRunning, b.Last == taskRunning
	if ar != br {
		if ar {
			return 1
		}
		return -1
	}
	return b.Created.Compare(a.Created)
}

func (s *Service) onDrainingInstance(t *taskRec) bool {
	inst, err := s.t.instances.Get(context.Background(), storeID(t.Cluster, t.Instance))
	return err == nil && inst.Value.Status == statusDraining
}

func (s *Service) stopServiceTask(ctx context.Context, t *taskRec, reason string) bool {
	_, err := s.mutateTask(ctx, storeID(t.Cluster, t.ID), stopAs(s, reason, stopScheduler))
	if err != nil && !isNotFound(err) {
		s.log.Warn("ecs: stop service task", "task", t.ID, "err", err)
		return false
	}
	return err == nil
}

// launchForService places n tasks of a deployment. It returns the tasks
// and, when some could not be placed, the service event explaining why.
func (s *Service) launchForService(ctx context.Context, svc *serviceRec, dep deploymentRec, n int) ([]*taskRec, string) {
	sp, fail := s.serviceLaunchSpec(svc, dep)
	if sp == nil {
		return nil, fail
	}
	req, err := s.request(sp, n, constraintsAPI(svc.Constraints), strategyAPI(svc.Strategy))
	if err != nil {
		return nil, fmt.Sprintf("(service %s) failed to launch a task: %v", svc.Name, err)
	}
	if len(s.view.Instances(svc.Cluster)) == 0 {
		return nil, fmt.Sprintf("(service %s) was unable to place a task because no container instance met all of its requirements. Reason: %s For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.", svc.Name, msgNoInstances)
	}
	res, made, err := s.placeTasks(ctx, sp, req)
	if err != nil {
		return made, ""
	}
	if len(made) < n && len(res.Failures) > 0 {
		return made, placeFailMessage(svc.Name, res.Failures)
	}
	return made, ""
}

// serviceLaunchSpec is the launch of a deployment's tasks; nil and the
// service event explaining why when its task definition cannot launch.
func (s *Service) serviceLaunchSpec(svc *serviceRec, dep deploymentRec) (*launchSpec, string) {
	def, ok := s.lookupTaskDef(dep.TaskDef)
	if !ok {
		return nil, fmt.Sprintf("(service %s) failed to launch a task: task definition %s was not found.", svc.Name, dep.TaskDef)
	}
	sp, err := s.newLaunchSpec(svc.Cluster, def.Value, nil)
	if err != nil {
		return nil, fmt.Sprintf("(service %s) failed to launch a task: %v", svc.Name, err)
	}
	sp.service, sp.deployment, sp.startedBy = svc.Name, dep.ID, dep.ID
	sp.execCmd = svc.ExecCmd
	switch svc.Propagate {
	case "SERVICE":
		sp.tags = mergeTags(nil, svc.Tags)
	case "TASK_DEFINITION":
		sp.tags = mergeTags(nil, def.Value.Tags)
	}
	if svc.ManagedTags {
		sp.tags = mergeTags(sp.tags, []tagRec{{K: "aws:ecs:serviceName", V: svc.Name}, {K: "aws:ecs:clusterName", V: svc.Cluster}})
	}
	return sp, ""
}

// placeFailMessage is ECS's event for a task the service could not place,
// naming the closest matching instance and what it lacks.
func placeFailMessage(service string, fails []scheduler.Failure) string {
	f := fails[0]
	for _, x := range fails {
		if strings.HasPrefix(x.Reason, "RESOURCE:") {
			f = x
			break
		}
	}
	what := map[string]string{
		scheduler.ReasonCPU:       "has insufficient CPU units available",
		scheduler.ReasonMemory:    "has insufficient memory available",
		scheduler.ReasonPorts:     "is already using a port required by your task",
		scheduler.ReasonPortsUDP:  "is already using a port required by your task",
		scheduler.ReasonAttribute: "is missing an attribute required by your task",
	}[f.Reason]
	if what == "" {
		what = fmt.Sprintf("encountered error %q", f.Reason)
	}
	return fmt.Sprintf("(service %s) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance %s) %s. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
		service, lastPathPart(f.ARN), what)
}

// recordStep writes what a step changed to the service: events,
// deployments drained or completed, and INACTIVE once a DRAINING service
// has no task. It writes nothing when nothing changed.
func (s *Service) recordStep(ctx context.Context, sid, primaryID string, step serviceStep) error {
	_, err := s.t.services.Update(ctx, sid, func(r *serviceRec) error {
		now := s.now()
		changed := false
		event := func(msg string) {
			r.Events = append([]eventRec{{ID: newUUID(), At: now, Msg: msg}}, r.Events...)
			if len(r.Events) > maxServiceEvents {
				r.Events = r.Events[:maxServiceEvents]
			}
			changed = true
		}
		if step.setDesired && r.Status == statusActive && r.Desired != step.desired {
			r.Desired = step.desired
			if len(r.Deployments) > 0 {
				r.Deployments[0].Desired, r.Deployments[0].Updated = step.desired, now
			}
			changed = true
		}
		if len(step.started) > 0 {
			event(fmt.Sprintf("(service %s) has started %d tasks: %s.", r.Name, len(step.started), taskList(step.started)))
		}
		if len(step.stopped) > 0 {
			event(fmt.Sprintf("(service %s) has stopped %d running tasks: %s.", r.Name, len(step.stopped), taskList(step.stopped)))
		}
		if step.placeFail != "" && !recentEvent(r.Events, step.placeFail, now) {
			event(step.placeFail)
		}
		if len(step.drained) > 0 {
			r.Deployments = slices.DeleteFunc(r.Deployments, func(d deploymentRec) bool {
				return d.Status != deployPrimary && slices.Contains(step.drained, d.ID)
			})
			changed = true
		}
		if len(r.Deployments) > 0 && r.Deployments[0].ID == primaryID && step.steady && r.Deployments[0].Rollout != rolloutCompleted {
			d := &r.Deployments[0]
			d.Rollout, d.RolloutWhy, d.Updated = rolloutCompleted, fmt.Sprintf("ECS deployment %s completed.", d.ID), now
			event(fmt.Sprintf("(service %s) (deployment %s) deployment completed.", r.Name, d.ID))
			event(steadyMsg(r.Name))
		} else if step.setDesired && step.steady && r.Status == statusActive && (len(r.Events) == 0 || r.Events[0].Msg != steadyMsg(r.Name)) {
			// A DAEMON service settles again after its instances change.
			event(steadyMsg(r.Name))
		}
		if r.Status == statusDraining && step.empty {
			r.Status, r.Deleted = statusInactive, now
			changed = true
		}
		if !changed {
			return errNoChange
		}
		return nil
	})
	if errors.Is(err, errNoChange) || isNotFound(err) {
		return nil
	}
	return err
}

func steadyMsg(service string) string {
	return fmt.Sprintf("(service %s) has reached a steady state.", service)
}

// recentEvent reports whether msg was among the events of the last five
// minutes, so a placement failure is not repeated at every resync.
func recentEvent(events []eventRec, msg string, now time.Time) bool {
	for _, e := range events {
		if now.Sub(e.At) > 5*time.Minute {
			return false
		}
		if e.Msg == msg {
			return true
		}
	}
	return false
}

func taskList(ids []string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "(task " + id + ")"
	}
	return strings.Join(parts, " ")
}
