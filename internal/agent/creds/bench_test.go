// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package creds_test

import (
	"io"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/creds"
)

// BenchmarkCredentials_100Concurrent measures GET /v2/credentials/<id> from
// 100 concurrent clients over loopback TCP (a host-network task, so the
// source check passes; rate limiting off) and reports p50 and p99.
func BenchmarkCredentials_100Concurrent(b *testing.B) {
	f := newFixture(b, creds.Config{RateLimit: -1})
	hs := httptest.NewServer(f.srv)
	defer hs.Close()
	url := hs.URL + "/v2/credentials/h-app"
	client := agenttest.LoopbackOnlyClient()
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				start := time.Now()
				resp, err := client.Get(url)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(start)
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(p(0.50), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
}

// BenchmarkCredentials_Handler is the handler alone (no HTTP transport):
// a bridge container reading its own credentials.
func BenchmarkCredentials_Handler(b *testing.B) {
	f := newFixture(b, creds.Config{RateLimit: -1})
	req := httptest.NewRequest("GET", "/v2/credentials/a-app", nil)
	req.RemoteAddr = "172.17.0.2:40000"
	b.ReportAllocs()
	for b.Loop() {
		f.srv.ServeHTTP(httptest.NewRecorder(), req)
	}
}
