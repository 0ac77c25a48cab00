// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package creds

import (
	"net/netip"
	"sync"
	"time"
)

// limiter is a token bucket per source address.
type limiter struct {
	rate  float64 // tokens per second
	burst float64
	mu    sync.Mutex
	b     map[netip.Addr]*bucket
	swept time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int) *limiter {
	if rate <= 0 {
		return nil
	}
	return &limiter{rate: rate, burst: float64(burst), b: map[netip.Addr]*bucket{}}
}

// allow takes a token for a, reporting false when its bucket is empty. A
// nil limiter allows everything.
func (l *limiter) allow(a netip.Addr, now time.Time) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, v := range l.b {
			if now.Sub(v.last) > time.Minute {
				delete(l.b, k)
			}
		}
		l.swept = now
	}
	bk := l.b[a]
	if bk == nil {
		bk = &bucket{tokens: l.burst, last: now}
		l.b[a] = bk
	}
	bk.tokens += now.Sub(bk.last).Seconds() * l.rate
	if bk.tokens > l.burst {
		bk.tokens = l.burst
	}
	bk.last = now
	if bk.tokens < 1 {
		return false
	}
	bk.tokens--
	return true
}
