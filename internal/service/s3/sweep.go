// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/store"
)

// blobWalker is the optional ability of a blob store to list its blobs.
type blobWalker interface {
	Walk(ctx context.Context, fn func(id string, modTime time.Time) error) error
}

// Run sweeps (see Sweep) every Config.SweepInterval until ctx ends, and
// returns ctx's error.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if _, err := s.Sweep(ctx, s.cfg.SweepGrace); err != nil && ctx.Err() == nil {
				s.deps.Logger.Warn("s3: sweep", "err", err)
			}
		}
	}
}

// Sweep deletes blobs that no object or part record refers to and that
// are older than grace, and part records whose upload is gone. Such
// garbage is left only by a crash between a blob write and its metadata
// commit, or between a metadata delete and its blob delete. grace must
// exceed the longest upload, so blobs still waiting for their record are
// kept. It returns how many blobs it deleted. The blob store must support
// Walk; other stores are left alone.
func (s *Service) Sweep(ctx context.Context, grace time.Duration) (int, error) {
	w, ok := s.deps.Blobs.(blobWalker)
	if !ok {
		return 0, nil
	}
	// List the blobs first, then the references: a blob committed in
	// between is young and spared by grace.
	cutoff := s.cfg.Clock().Add(-grace)
	var old []string
	err := w.Walk(ctx, func(id string, mod time.Time) error {
		if mod.Before(cutoff) {
			old = append(old, id)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("s3: sweep: %w", err)
	}
	if _, err := s.deps.Store.Sync(ctx); err != nil {
		return 0, fmt.Errorf("s3: sweep: %w", err)
	}
	refs := map[string]bool{}
	objs, _, err := s.t.objects.List(ctx, store.Page{})
	if err != nil {
		return 0, fmt.Errorf("s3: sweep: %w", err)
	}
	for _, o := range objs {
		refs[o.Value.Blob] = true
	}
	parts, _, err := s.t.parts.List(ctx, store.Page{})
	if err != nil {
		return 0, fmt.Errorf("s3: sweep: %w", err)
	}
	uploads := map[string]bool{}
	ups, _, err := s.t.uploads.List(ctx, store.Page{})
	if err != nil {
		return 0, fmt.Errorf("s3: sweep: %w", err)
	}
	for _, u := range ups {
		uploads[u.Value.ID] = true
	}
	for _, p := range parts {
		upload := p.ID[:len(p.ID)-len("/00000")]
		if !uploads[upload] && p.Value.Modified.Before(cutoff) {
			if _, err := s.t.parts.Delete(ctx, p.ID, p.Revision); err != nil && !errors.Is(err, store.ErrNotFound) {
				return 0, fmt.Errorf("s3: sweep: %w", err)
			}
			continue // its blob is now unreferenced
		}
		refs[p.Value.Blob] = true
	}
	n := 0
	for _, id := range old {
		if refs[id] {
			continue
		}
		if err := s.deps.Blobs.Delete(ctx, id); err == nil {
			n++
		}
	}
	if n > 0 {
		s.deps.Logger.Info("s3: swept unreferenced blobs", "count", n)
	}
	return n, nil
}
