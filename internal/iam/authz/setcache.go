// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package authz

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
)

// The compiled policies of a principal are cached per principal and
// revision (EngineDeps.Revision: in the control plane, the revision of the
// last change this replica's caches applied to the IAM tables PoliciesFor
// reads). A principal's stored policies can only change through a write to
// those tables, and such a write advances that revision once the caches
// show it (IAM waits for its own writes to be applied before it answers),
// so an entry read at the current revision is exactly what PoliciesFor
// would return now. Writes elsewhere (ECS tasks, container instances) leave
// the revision, and so the entries, alone. The revision is read before
// PoliciesFor, so an entry is never labelled newer than the data it holds.

// setKey identifies whose policies a cache entry holds: every field of the
// principal that PoliciesFor looks at.
type setKey struct {
	kind                       principal.Kind
	arn, roleARN, userID, name string
}

// compiledSet is a principal's compiled identity policies and boundary at
// revision rev. Its slices are shared and never written after creation.
type compiledSet struct {
	rev      int64
	identity []*policy.Compiled
	boundary *policy.Compiled
}

// maxSets bounds the per-principal cache; when full it is cleared.
const maxSets = 10000

type setCache struct {
	mu   sync.RWMutex
	sets map[setKey]*compiledSet
}

func (c *setCache) get(k setKey, rev int64) (*compiledSet, bool) {
	c.mu.RLock()
	s, ok := c.sets[k]
	c.mu.RUnlock()
	return s, ok && s.rev == rev
}

func (c *setCache) put(k setKey, s *compiledSet) {
	c.mu.Lock()
	if c.sets == nil || len(c.sets) >= maxSets {
		c.sets = make(map[setKey]*compiledSet)
	}
	if old, ok := c.sets[k]; !ok || old.rev <= s.rev {
		c.sets[k] = s
	}
	c.mu.Unlock()
}

// identityPolicies sets in's identity policies and boundary for p: from
// the cache when the revision has not changed since they were read, else
// from the PolicySource (and then cached).
func (e *Engine) identityPolicies(ctx context.Context, in *policy.Input, p *principal.Principal) error {
	if e.revision == nil {
		set, err := e.policies.PoliciesFor(ctx, p)
		if err != nil {
			return fmt.Errorf("authz: policies of %s: %w", p.ARN, err)
		}
		return e.load(in, set)
	}
	k := setKey{kind: p.Kind, arn: p.ARN, roleARN: p.RoleARN, userID: p.UserID, name: p.Name}
	rev := e.revision()
	s, ok := e.sets.get(k, rev)
	if !ok {
		set, err := e.policies.PoliciesFor(ctx, p)
		if err != nil {
			return fmt.Errorf("authz: policies of %s: %w", p.ARN, err)
		}
		var tmp policy.Input
		if err := e.load(&tmp, set); err != nil {
			return err
		}
		s = &compiledSet{rev: rev, identity: slices.Clip(tmp.Identity), boundary: tmp.Boundary}
		e.sets.put(k, s)
	}
	// Clipped: an append to in.Identity copies instead of writing the
	// shared array.
	in.Identity = s.identity
	in.Boundary = s.boundary
	return nil
}
