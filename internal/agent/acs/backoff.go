// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is an exponential backoff with jitter: each delay is the
// previous one times 1.5, within [min, max], plus or minus 20 %.
type backoff struct {
	min, max time.Duration
	cur      time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(time.Duration(float64(b.cur)*1.5), b.max)
	}
	j := float64(b.cur) * 0.2
	return b.cur + time.Duration((rand.Float64()*2-1)*j)
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// jittered returns d plus up to j.
func jittered(d, j time.Duration) time.Duration {
	if j <= 0 {
		return d
	}
	return d + rand.N(j)
}
