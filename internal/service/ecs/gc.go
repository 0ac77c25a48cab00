// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"errors"
	"slices"

	"github.com/berthdev/berth/internal/store"
)

// The collector bounds the data (docs/store.md 3.8 point 6): it deletes
// STOPPED tasks, INACTIVE container instances, clusters and services once
// they have been visible for Config.StoppedTaskRetention (ECS shows
// stopped tasks for at least an hour), client tokens older than that, and
// DELETE_IN_PROGRESS task definitions no task or service uses. It runs on
// the leader every GCInterval; every delete compares the record's
// revision, so a record that changed meanwhile is kept for the next round.

// runGC collects until ctx ends.
func (s *Service) runGC(ctx context.Context) {
	for {
		if err := s.collect(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("ecs: collect", "err", err)
		}
		if !sleepCtx(ctx, s.cfg.GCInterval) {
			return
		}
	}
}

// collect runs one collection.
func (s *Service) collect(ctx context.Context) error {
	cutoff := s.now().Add(-s.cfg.StoppedTaskRetention)
	var del deleter
	del.s = s
	stopped, _, err := s.t.tasks.ListByIndex(ctx, ixTaskStopped, "1", store.Page{})
	if err != nil {
		return err
	}
	usedDefs := map[string]bool{}
	for _, r := range stopped {
		if t := r.Value; t.live() || !t.Stopped.Before(cutoff) {
			continue
		}
		if err := del.add(ctx, s.t.tasks.Name(), r.ID, s.t.tasks.DeleteOp(r.ID, r.Revision)); err != nil {
			return err
		}
	}
	insts, _, err := s.t.instances.List(ctx, store.Page{})
	if err != nil {
		return err
	}
	for _, r := range insts {
		if r.Value.Status == statusInactive && r.Value.Deregistered.Before(cutoff) {
			if err := del.add(ctx, s.t.instances.Name(), r.ID, s.t.instances.DeleteOp(r.ID, r.Revision)); err != nil {
				return err
			}
			if err := del.add(ctx, s.t.usage.Name(), r.ID, s.t.usage.DeleteOp(r.ID, 0)); err != nil {
				return err
			}
		}
	}
	svcs, _, err := s.t.services.List(ctx, store.Page{})
	if err != nil {
		return err
	}
	for _, r := range svcs {
		for _, d := range r.Value.Deployments {
			usedDefs[d.TaskDef] = true
		}
		if r.Value.Status == statusInactive && r.Value.Deleted.Before(cutoff) {
			if err := del.add(ctx, s.t.services.Name(), r.ID, s.t.services.DeleteOp(r.ID, r.Revision)); err != nil {
				return err
			}
		}
	}
	clusters, _, err := s.t.clusters.List(ctx, store.Page{})
	if err != nil {
		return err
	}
	for _, r := range clusters {
		if r.Value.Status == statusInactive && r.Value.Deleted.Before(cutoff) {
			if err := del.add(ctx, s.t.clusters.Name(), r.ID, s.t.clusters.DeleteOp(r.ID, r.Revision)); err != nil {
				return err
			}
		}
	}
	tokens, _, err := s.t.tokens.List(ctx, store.Page{})
	if err != nil {
		return err
	}
	for _, r := range tokens {
		if r.Value.Created.Before(cutoff) {
			if err := del.add(ctx, s.t.tokens.Name(), r.ID, s.t.tokens.DeleteOp(r.ID, r.Revision)); err != nil {
				return err
			}
		}
	}
	if err := s.collectTaskDefs(ctx, &del, usedDefs); err != nil {
		return err
	}
	return del.flush(ctx)
}

// collectTaskDefs deletes DELETE_IN_PROGRESS revisions that no task (of
// any status) or service deployment references.
func (s *Service) collectTaskDefs(ctx context.Context, del *deleter, used map[string]bool) error {
	defs, _, err := s.t.taskDefs.ListByIndex(ctx, ixTDStatus, tdDeleteInProgress, store.Page{})
	if err != nil || len(defs) == 0 {
		return err
	}
	tasks, _, err := s.t.tasks.List(ctx, store.Page{})
	if err != nil {
		return err
	}
	for _, t := range tasks {
		used[t.Value.Def] = true
	}
	for _, r := range defs {
		if !used[s.taskDefARN(r.Value.Family, r.Value.Revision)] {
			if err := del.add(ctx, s.t.taskDefs.Name(), r.ID, s.t.taskDefs.DeleteOp(r.ID, r.Revision)); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleter batches guarded deletes into transactions. A batch whose guard
// fails (a record changed since it was read) is retried without that
// record.
type deleter struct {
	s    *Service
	ops  []store.Op
	keys []recKey
}

func (d *deleter) add(ctx context.Context, table, id string, op store.Op) error {
	d.ops = append(d.ops, op)
	d.keys = append(d.keys, recKey{table, id})
	if len(d.ops) >= d.s.st.MaxTxnOps() {
		return d.flush(ctx)
	}
	return nil
}

func (d *deleter) flush(ctx context.Context) error {
	ops, keys := d.ops, d.keys
	d.ops, d.keys = nil, nil
	for len(ops) > 0 {
		_, err := d.s.st.Txn().Add(ops...).Commit(ctx)
		if err == nil || !isConflict(err) {
			return err
		}
		var re *store.RecordError
		if !errors.As(err, &re) {
			return nil // leave the batch for the next round
		}
		i := slices.Index(keys, recKey{re.Table, re.ID})
		if i < 0 {
			return nil
		}
		ops = slices.Delete(ops, i, i+1)
		keys = slices.Delete(keys, i, i+1)
	}
	return nil
}
