// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package poll

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// TestUntil_Holds checks that Until returns once cond holds, having asked
// until then.
func TestUntil_Holds(t *testing.T) {
	calls := 0
	Until(t, time.Minute, "the third call", func() bool { calls++; return calls == 3 })
	if calls != 3 {
		t.Fatalf("cond called %d times, want 3", calls)
	}
}

// recorder is a testing.TB whose Fatalf records the failure and, as
// testing's does, ends the goroutine.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestUntil_TimesOut checks that Until fails the test, naming what it
// waited for, when cond never holds.
func TestUntil_TimesOut(t *testing.T) {
	r := &recorder{TB: t}
	calls := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		Until(r, 30*time.Millisecond, "never", func() bool { calls++; return false })
	}()
	<-done
	if r.failed != "timed out waiting until never" {
		t.Fatalf("failure = %q", r.failed)
	}
	if calls < 2 {
		t.Fatalf("cond called %d times, want it asked again before the deadline", calls)
	}
}
