// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package testclock

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := New(t0)
	now := c.Now // handed over as a func() time.Time
	if got := now(); !got.Equal(t0) {
		t.Fatalf("Now = %v, want %v", got, t0)
	}
	c.Advance(90 * time.Second)
	if got, want := now(), t0.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("after Advance(90s) Now = %v, want %v", got, want)
	}
	c.Advance(-time.Minute)
	if got, want := now(), t0.Add(30*time.Second); !got.Equal(want) {
		t.Fatalf("after Advance(-1m) Now = %v, want %v", got, want)
	}
}
