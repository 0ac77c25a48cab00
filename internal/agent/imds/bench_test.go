// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package imds_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/imds"
)

// BenchmarkIMDS_100Concurrent measures the role-credentials GET (with an
// IMDSv2 token) from 100 concurrent clients over loopback TCP and reports
// the p50 and p99 latencies.
func BenchmarkIMDS_100Concurrent(b *testing.B) {
	f := newFixture(b, false)
	tok := f.token(b, 21600)
	url := f.url + "/latest/meta-data/iam/security-credentials/ecsInstanceRole"
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
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set(imds.HeaderToken, tok)
				start := time.Now()
				resp, err := client.Do(req)
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
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(p(0.50), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
}

// BenchmarkIMDS_Handler is the handler alone (no HTTP transport): the
// role-credentials GET with a token.
func BenchmarkIMDS_Handler(b *testing.B) {
	f := newFixture(b, false)
	req := httptest.NewRequest("GET", "/latest/meta-data/iam/security-credentials/ecsInstanceRole", nil)
	req.Header.Set(imds.HeaderToken, f.token(b, 21600))
	b.ReportAllocs()
	for b.Loop() {
		f.srv.ServeHTTP(httptest.NewRecorder(), req)
	}
}
