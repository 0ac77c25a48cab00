// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package netfilter

import (
	"context"
	"log/slog"
	"time"

	"github.com/berthdev/berth/internal/logkey"
)

// Keeper re-applies Rules periodically so that a flush is repaired.
type Keeper struct {
	Rules    Rules
	Interval time.Duration // 0 means one minute
	Logger   *slog.Logger
	// Repaired, when set, is called after each repair with the rules that
	// were missing (tests use it to observe the keeper).
	Repaired func(missing []Rule)
}

// Run ensures the rules at once, then checks them every Interval and
// re-ensures when any is missing, until ctx ends. When started is not nil
// it receives the first Ensure's result (the loop keeps trying either
// way).
func (k *Keeper) Run(ctx context.Context, started chan<- error) {
	log := k.Logger
	if log == nil {
		log = slog.Default()
	}
	interval := k.Interval
	if interval <= 0 {
		interval = time.Minute
	}
	err := k.Rules.Ensure(ctx)
	if err != nil {
		log.Error("installing netfilter rules", logkey.Err, err)
	}
	if started != nil {
		started <- err
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		missing, err := k.Rules.Check(ctx)
		if err != nil {
			log.Warn("checking netfilter rules", logkey.Err, err)
		}
		if len(missing) == 0 && err == nil {
			continue
		}
		log.Warn("netfilter rules missing; re-applying", "missing", len(missing))
		if err := k.Rules.Ensure(ctx); err != nil {
			log.Error("re-applying netfilter rules", logkey.Err, err)
			continue
		}
		if k.Repaired != nil {
			k.Repaired(missing)
		}
	}
}
