// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

// StopWatch stops s's watch loop; the caches freeze at their revision.
func StopWatch(s *Store) { s.hub.stop() }

// StartWatch resumes s's watch loop from the revision the caches hold.
func StartWatch(s *Store) { s.hub.start() }
