// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package testclock is a settable clock for tests of code that takes a
// func() time.Time: the test hands over Clock.Now and moves time with
// Advance. It imports only the standard library, so any test package can
// use it, including those that testutil itself depends on. The agent's
// tests, which also need timers, use agenttest.FakeClock. It is imported
// only by tests.
package testclock
