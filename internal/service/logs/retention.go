// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs

import (
	"context"
	"errors"
	"time"

	"github.com/berthdev/berth/internal/logstore"
	"github.com/berthdev/berth/internal/store"
)

// Run applies retention and collects orphaned events every
// Config.RetentionInterval until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.RetentionInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if err := s.ApplyRetention(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("logs: retention", "err", err)
			}
		}
	}
}

// ApplyRetention deletes, in every log group with a retention policy, the
// event segments whose events are all older than the retention, and
// removes the events of groups and streams that no longer exist here (a
// deletion interrupted by a crash, or made on another replica) and stream
// records whose group is gone. It returns the first error and goes on.
func (s *Service) ApplyRetention(ctx context.Context) error {
	var errs []error
	// Snapshot what is on disk before listing the records: a directory is
	// made only after its record exists, so every directory seen here whose
	// record is missing from the listing is garbage.
	local := map[string][]string{}
	for _, gid := range s.events.Groups() {
		local[gid] = s.events.Streams(gid)
	}
	groups, _, err := s.groups.List(ctx, store.Page{})
	if err != nil {
		return err
	}
	now := s.cfg.Clock()
	byID := map[string]*groupRec{}
	for _, g := range groups {
		byID[g.Value.ID] = g.Value
		if g.Value.Retention <= 0 {
			continue
		}
		cutoff := now.Add(-time.Duration(g.Value.Retention) * 24 * time.Hour).UnixMilli()
		freed, err := s.events.Expire(g.Value.ID, cutoff)
		if err != nil {
			errs = append(errs, err)
		}
		if freed > 0 {
			s.log.Info("logs: retention deleted events", "group", g.Value.Name, "bytes", freed)
		}
	}
	// Events of groups and streams that are gone.
	for gid, sids := range local {
		if byID[gid] == nil {
			if err := s.events.DeleteGroup(gid); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		recs, _, err := s.streams.List(ctx, store.Page{Prefix: gid + "/"})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		live := map[string]bool{}
		for _, r := range recs {
			live[r.Value.ID] = true
		}
		for _, sid := range sids {
			if live[sid] {
				continue
			}
			if err := s.events.DeleteStream(logstore.Key{Group: gid, Stream: sid}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// Stream records of deleted groups.
	streams, _, err := s.streams.List(ctx, store.Page{})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, r := range streams {
		if byID[r.Value.GroupID] != nil {
			continue
		}
		if g, err := s.groups.Get(ctx, r.Value.Group); err == nil && g.Value.ID == r.Value.GroupID {
			continue // created since the listing
		}
		if _, err := s.streams.Delete(ctx, r.ID, r.Revision); err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
