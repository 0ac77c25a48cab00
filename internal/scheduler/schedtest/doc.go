// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package schedtest is the scheduler's test harness: an in-memory cluster
// that is both a scheduler.State and a scheduler.Planner committing with
// compare-and-swap on instance versions, builders for clusters of many
// instances, and assertions on the invariants placement must keep (no
// instance over its registered resources, no host port bound twice).
//
//	h := schedtest.New("default")
//	h.Add(6, schedtest.CPU(1024), schedtest.AZs("us-east-1a", "us-east-1b", "us-east-1c"))
//	ps, fails := h.Place(t, req)          // scheduler.Place with a seeded source
//	h.Commit(t, req, ps)                  // apply as the ECS service would
//	h.CheckInvariants(t)
//	spread := schedtest.Spread(h.CountsByAttr("ecs.availability-zone", req.TaskGroup()))
//
// It is for tests only; nothing outside _test.go files imports it.
package schedtest
