// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/berthdev/berth/internal/testutil"
)

// benchClient starts an in-process control plane and returns a Logs client
// over loopback signed with the root key.
//
// The client's transport hands net/http a private copy of each request
// body. smithy-go closes the request body as soon as the response headers
// arrive; against a server this fast, net/http's request writer can still
// be checking that body for EOF, fails, and closes the connection under the
// response being read ("use of closed network connection" while
// deserializing a response larger than the read buffer). The copy keeps
// the benchmark measuring the server, not that client race.
func benchClient(b *testing.B) *cloudwatchlogs.Client {
	cp := testutil.TestControlPlane(b)
	return cloudwatchlogs.NewFromConfig(cp.RootConfig(), func(o *cloudwatchlogs.Options) {
		o.HTTPClient = &http.Client{Transport: ownBody{http.DefaultTransport}}
	})
}

// ownBody gives the transport a request body no one else closes.
type ownBody struct{ rt http.RoundTripper }

func (o ownBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	return o.rt.RoundTrip(r)
}

func benchSetup(b *testing.B, c *cloudwatchlogs.Client, group string, streams int) {
	ctx := context.Background()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < streams; i++ {
		if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(fmt.Sprintf("s%d", i))}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutLogEvents measures ingestion: batches of 1,000 events
// (about 100 bytes each) via aws-sdk-go-v2 over loopback, from 4
// concurrent writers each on its own stream. One op is one batch; the
// events/s metric is the throughput.
func BenchmarkPutLogEvents(b *testing.B) {
	const writers, batch = 4, 1000
	c := benchClient(b)
	benchSetup(b, c, "/bench/put", writers)
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := make([]types.InputLogEvent, batch)
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				ts := time.Now().UnixMilli()
				for i := range evs {
					evs[i] = types.InputLogEvent{Timestamp: aws.Int64(ts), Message: aws.String(fmt.Sprintf("INFO request id=%d-%d path=/api/v1/items status=200 duration_ms=%d user=bench", n, i, i%97))}
				}
				if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/bench/put"), LogStreamName: aws.String(fmt.Sprintf("s%d", w)), LogEvents: evs}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkFilterLogEvents measures FilterLogEvents over 1,000,000 stored
// events in 10 streams spread over the last 10 days: a term that matches
// 10 of them (every event scanned), and a one-hour window with no pattern
// (the sparse time index skips the rest; about 4,200 events returned).
// Each op is one complete query, all pages.
func BenchmarkFilterLogEvents(b *testing.B) {
	const streams, perStream, batch = 10, 100_000, 1000
	c := benchClient(b)
	benchSetup(b, c, "/bench/filter", streams)
	ctx := context.Background()
	now := time.Now()
	first := now.Add(-10 * 24 * time.Hour)
	step := (10 * 24 * time.Hour / perStream).Milliseconds() // per stream
	var wg sync.WaitGroup
	for s := 0; s < streams; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := make([]types.InputLogEvent, batch)
			for off := 0; off < perStream; off += batch {
				for i := range evs {
					n := off + i
					msg := fmt.Sprintf("INFO request id=%d-%d path=/api/v1/items/%d status=200 duration_ms=%d", s, n, n%1000, n%97)
					if n == perStream/2 {
						msg = fmt.Sprintf("ERROR payment-declined id=%d-%d", s, n)
					}
					evs[i] = types.InputLogEvent{Timestamp: aws.Int64(first.UnixMilli() + int64(n)*step + int64(s)), Message: aws.String(msg)}
				}
				if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/bench/filter"), LogStreamName: aws.String(fmt.Sprintf("s%d", s)), LogEvents: evs}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	query := func(b *testing.B, in *cloudwatchlogs.FilterLogEventsInput) int {
		n := 0
		p := cloudwatchlogs.NewFilterLogEventsPaginator(c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			n += len(out.Events)
		}
		return n
	}
	b.Run("term", func(b *testing.B) {
		in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/bench/filter"), FilterPattern: aws.String(`"payment-declined"`)}
		for b.Loop() {
			if n := query(b, in); n != streams {
				b.Fatalf("matched %d events, want %d", n, streams)
			}
		}
	})
	b.Run("time-window", func(b *testing.B) {
		mid := first.Add(5 * 24 * time.Hour)
		in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/bench/filter"),
			StartTime: aws.Int64(mid.UnixMilli()), EndTime: aws.Int64(mid.Add(time.Hour).UnixMilli())}
		want := 0
		for b.Loop() {
			n := query(b, in)
			if want == 0 {
				want = n
			}
			if n == 0 || n != want {
				b.Fatalf("window returned %d events (first run %d)", n, want)
			}
		}
		b.ReportMetric(float64(want), "events/query")
	})
}
