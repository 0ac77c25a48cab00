// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"time"

	"github.com/berthdev/berth/internal/store"
)

// Task lifecycle, EC2 launch type:
//
//	RunTask/StartTask/service ──► lastStatus PENDING, desiredStatus RUNNING
//	                                 (CPU, memory, ports reserved on the instance)
//	agent: PENDING ─► RUNNING ─► STOPPED   (SubmitTaskStateChange; never backwards)
//	StopTask / service / forced deregistration ──► desiredStatus STOPPED
//	                                 (the agent stops it and reports STOPPED)
//	lastStatus STOPPED ──► resources returned to the instance (Released)
//	                   ──► deleted by the collector after the retention period
//
// Every transition writes the task and, when its resource accounting
// changes (PENDING→RUNNING moves it between the instance's counts,
// →STOPPED releases it), the instance, in one transaction that compares
// both records' revisions.

// statusRank orders task statuses; a report never moves a task back.
func statusRank(s string) int {
	switch s {
	case "PROVISIONING":
		return 0
	case taskPending, "ACTIVATING", "MANIFEST_PULLED":
		return 1
	case taskRunning:
		return 2
	case "DEACTIVATING", "STOPPING", "DEPROVISIONING":
		return 3
	case taskStopped:
		return 4
	}
	return -1
}

// mutateTask applies fn to a private copy of a task and commits it, with
// the instance's accounting, by compare-and-swap on both records, retrying
// after a Sync when another writer got there first. fn reports whether it
// changed anything; nothing is written if not. It returns the task as
// committed (or unchanged); store.ErrNotFound (wrapped) if the task does
// not exist.
func (s *Service) mutateTask(ctx context.Context, sid string, fn func(t *taskRec) (bool, error)) (*taskRec, error) {
	var lastRev int64
	for attempt := 0; attempt < maxCASRetries; attempt++ {
		cur, err := s.t.tasks.Get(ctx, sid)
		if attempt > 0 && err == nil && cur.Revision == lastRev {
			// The cache has not seen what beat us: catch up first.
			if _, err := s.st.Sync(ctx); err != nil {
				return nil, err
			}
			cur, err = s.t.tasks.Get(ctx, sid)
		}
		if err != nil {
			return nil, err
		}
		lastRev = cur.Revision
		t := cur.Value.Clone()
		changed, err := fn(t)
		if err != nil {
			return nil, err
		}
		if !changed {
			return cur.Value, nil
		}
		t.Version++
		releasing := cur.Value.live() && t.Last == taskStopped
		if releasing {
			t.Released = true
		}
		un := &unit{ops: []store.Op{s.t.tasks.PutOp(sid, t, cur.Revision)}, keys: []recKey{{tableTasks, sid}}} // encodes t now
		instSID := storeID(t.Cluster, t.Instance)
		touched := false
		usageRev := int64(-1)
		if releasing {
			u, err := s.t.usage.Get(ctx, instSID)
			switch {
			case err == nil:
				ur := u.Value.Clone()
				release(ur, cur.Value)
				un.ops = append(un.ops, s.t.usage.PutOp(instSID, ur, u.Revision))
				un.keys = append(un.keys, recKey{tableUsage, instSID})
				usageRev = u.Revision
				touched = true
			case !isNotFound(err):
				return nil, err
			}
		}
		un.fresh = func() bool {
			c, err := s.t.tasks.Get(context.Background(), sid)
			if err != nil || c.Revision != cur.Revision {
				return false
			}
			if usageRev < 0 {
				return true
			}
			u, err := s.t.usage.Get(context.Background(), instSID)
			return err == nil && u.Revision == usageRev
		}
		err = s.batch.commit(ctx, un)[0]
		if err == nil {
			if touched {
				s.view.refresh(instSID)
			}
			if t.Desired != cur.Value.Desired {
				s.watchers.notify(t.Instance)
			}
			if t.Service != "" && (t.Last != cur.Value.Last || t.Desired != cur.Value.Desired) {
				s.ctl.kick(storeID(t.Cluster, t.Service))
			}
			return t, nil
		}
		if !isConflict(err) {
			return nil, err
		}
	}
	return nil, errf("task %s: too many conflicts", sid)
}

// stopAs sets a task's desired status to STOPPED with a reason and stop
// code, unless it already is. A task on an instance that is gone or
// INACTIVE, whose agent will never report, is STOPPED at once.
func stopAs(s *Service, reason, code string) func(t *taskRec) (bool, error) {
	return func(t *taskRec) (bool, error) {
		if t.Desired == taskStopped {
			return false, nil
		}
		now := s.now()
		t.Desired, t.Stopping = taskStopped, now
		if t.StoppedReason == "" {
			t.StoppedReason = reason
		}
		if t.StopCode == "" {
			t.StopCode = code
		}
		if inst, err := s.t.instances.Get(context.Background(), storeID(t.Cluster, t.Instance)); err != nil || inst.Value.Status == statusInactive {
			markStopped(t, now)
		}
		return true, nil
	}
}

// markStopped makes a task and its containers STOPPED.
func markStopped(t *taskRec, now time.Time) {
	if t.Last == taskStopped {
		return
	}
	t.Last, t.Desired = taskStopped, taskStopped
	t.Stopped = now
	if t.Stopping.IsZero() {
		t.Stopping = now
	}
	for i := range t.Containers {
		t.Containers[i].Last = taskStopped
	}
}

// stopInstanceTasks stops every task still holding resources on an
// instance (forced deregistration).
func (s *Service) stopInstanceTasks(ctx context.Context, cluster, instID, reason string) error {
	if _, err := s.st.Sync(ctx); err != nil {
		return storeErr(err)
	}
	recs, _, err := s.t.tasks.ListByIndex(ctx, ixTaskLive, storeID(cluster, instID), store.Page{})
	if err != nil {
		return storeErr(err)
	}
	for _, r := range recs {
		_, err := s.mutateTask(ctx, r.ID, func(t *taskRec) (bool, error) {
			if t.Last == taskStopped {
				return false, nil
			}
			if t.StoppedReason == "" {
				t.StoppedReason = reason
			}
			if t.StopCode == "" {
				t.StopCode = stopUser
			}
			markStopped(t, s.now())
			return true, nil
		})
		if err != nil && !isNotFound(err) {
			return storeErr(err)
		}
	}
	return nil
}
