// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// result is one measured run: one operation, one server, n clients.
type result struct {
	op, server         string
	clients            int
	calls, errors      int
	firstErr           error
	wall               time.Duration
	p50, p99, p999     time.Duration
	serverCPU, loadCPU time.Duration
	loadBefore, load   string
}

func (r result) rate() float64 { return float64(r.calls) / r.wall.Seconds() }

// perKCall returns CPU time per 1000 calls in milliseconds.
func perKCall(d time.Duration, calls int) float64 {
	if calls == 0 {
		return math.NaN()
	}
	return float64(d.Microseconds()) / float64(calls)
}

// run drives o against srv from n clients, each its own SDK clients and
// connection, for warmup (discarded) and then for dur, and measures the
// second phase: every call's latency, the server's and this process's CPU
// time, and the load average before and after.
func run(ctx context.Context, o op, srv *server, k key, n int, warmup, dur time.Duration) result {
	cs := make([]*clients, n)
	for i := range cs {
		cs[i] = newClients(newConfig(srv.url, k.id, k.secret))
	}
	res := result{op: o.name, server: srv.name, clients: n}
	var mu sync.Mutex
	phase := func(d time.Duration, record bool) {
		end := time.Now().Add(d)
		var wg sync.WaitGroup
		for _, c := range cs {
			wg.Go(func() {
				var lat []time.Duration
				var errs int
				var first error
				for time.Now().Before(end) && ctx.Err() == nil {
					t0 := time.Now()
					err := o.call(ctx, c)
					d := time.Since(t0)
					if err != nil {
						errs++
						if first == nil {
							first = err
						}
						continue
					}
					lat = append(lat, d)
				}
				if !record {
					return
				}
				mu.Lock()
				res.errors += errs
				if res.firstErr == nil {
					res.firstErr = first
				}
				allLat = append(allLat, lat...)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	allLat = allLat[:0]
	phase(warmup, false)
	res.loadBefore = loadAvg()
	s0, _ := cpuTime(srv.cmd.Process.Pid)
	l0 := selfCPU()
	t0 := time.Now()
	phase(dur, true)
	res.wall = time.Since(t0)
	s1, _ := cpuTime(srv.cmd.Process.Pid)
	res.serverCPU, res.loadCPU = s1-s0, selfCPU()-l0
	res.load = loadAvg()
	slices.Sort(allLat)
	res.calls = len(allLat)
	res.p50, res.p99, res.p999 = pct(allLat, 0.50), pct(allLat, 0.99), pct(allLat, 0.999)
	for _, c := range cs {
		closeIdle(c)
	}
	return res
}

// allLat is the latency buffer, reused across runs (runs are sequential).
var allLat []time.Duration

// pct returns the nearest-rank percentile p of sorted latencies.
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// closeIdle closes the client's connections so the next run starts fresh.
func closeIdle(c *clients) {
	type idler interface{ CloseIdleConnections() }
	if h, ok := c.iam.Options().HTTPClient.(idler); ok {
		h.CloseIdleConnections()
	}
}

// check makes one call of each operation and returns the first failure.
func check(ctx context.Context, ops []op, srv *server, k key) error {
	c := newClients(newConfig(srv.url, k.id, k.secret))
	defer closeIdle(c)
	for _, o := range ops {
		if err := o.call(ctx, c); err != nil {
			return fmt.Errorf("%s on %s as %s: %w", o.name, srv.name, userName, err)
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }
