// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package poll

import (
	"testing"
	"time"
)

// Until checks cond until it holds and fails the test (naming what it
// waited for) if it still does not after timeout. It checks every
// timeout/1000, but no more often than every 10 ms and no less often than
// every 50 ms.
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	every := min(max(timeout/1000, 10*time.Millisecond), 50*time.Millisecond)
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(every)
	}
}
