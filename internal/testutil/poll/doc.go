// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package poll waits in tests for a condition to hold, checking it again
// and again until a deadline. It imports only the standard library, so any
// test package can use it, including those that testutil itself depends
// on. It is imported only by tests.
package poll
