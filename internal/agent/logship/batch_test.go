// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logship

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agent/taskrunner"
)

// cut batches events as the follower's send loop does and returns the
// batch sizes.
func cut(events []event) []int {
	var b batch
	var sizes []int
	flush := func() {
		if len(b.events) > 0 {
			sizes = append(sizes, len(b.events))
			b.reset()
		}
	}
	for _, e := range events {
		if !b.fits(e) {
			flush()
		}
		b.add(e)
		if b.full() {
			flush()
		}
	}
	flush()
	return sizes
}

func TestBatch_Limits(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	same := func(n, size int) []event {
		out := make([]event, n)
		for i := range out {
			out[i] = event{at: t0, ms: t0.UnixMilli(), msg: strings.Repeat("x", size)}
		}
		return out
	}
	half := MaxBatchBytes/2 - EventOverhead
	tests := []struct {
		name   string
		events []event
		want   []int
	}{
		{"10000EventsPerBatch", same(MaxBatchEvents+1, 1), []int{MaxBatchEvents, 1}},
		{"1MiBWith26BytesPerEvent", same(11, 100_000), []int{10, 1}}, // 10×100,026 fits, 11 do not
		{"ExactlyFull", same(3, half), []int{2, 1}},
		{"OneByteOver", append(same(1, half), same(1, half+1)...), []int{1, 1}},
		{"SpanUnder24h", []event{{ms: t0.UnixMilli(), msg: "a"}, {ms: t0.Add(MaxBatchSpan - time.Millisecond).UnixMilli(), msg: "b"}}, []int{2}},
		{"Span24h", []event{{ms: t0.UnixMilli(), msg: "a"}, {ms: t0.Add(MaxBatchSpan).UnixMilli(), msg: "b"}}, []int{1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, cut(tc.events)); d != "" {
				t.Errorf("batch sizes (-want +got):\n%s", d)
			}
		})
	}
}

func TestSplit_LongLines(t *testing.T) {
	long := strings.Repeat("é", 300_000) // 600,000 bytes of 2-byte characters
	pieces := split(long)
	if len(pieces) != 3 || strings.Join(pieces, "") != long {
		t.Fatalf("%d pieces; rejoined equal: %v", len(pieces), strings.Join(pieces, "") == long)
	}
	for i, p := range pieces {
		if len(p) > MaxEventBytes || !utf8.ValidString(p) {
			t.Errorf("piece %d: %d bytes, valid UTF-8 %v", i, len(p), utf8.ValidString(p))
		}
	}
	var s sequencer
	at := time.Date(2026, 3, 1, 0, 0, 0, 5, time.UTC)
	before := at.Add(-time.Millisecond)
	evs := s.events(before, at, long)
	var b batch
	for _, e := range evs[:2] {
		b.add(e)
	}
	if got := b.position(); !got.Equal(before) {
		t.Errorf("a batch ending inside a line resumes after %v, want after the line before (%v)", got, before)
	}
	b.add(evs[2])
	if got := b.position(); !got.Equal(at) {
		t.Errorf("a batch ending with a line resumes after %v, want %v", got, at)
	}
}

func TestSequencer_Chronological(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 1, 0, time.UTC)
	var s sequencer
	var got []int64
	for _, at := range []time.Time{t0, t0.Add(-time.Second), t0.Add(2 * time.Millisecond), t0.Add(time.Millisecond)} {
		for _, e := range s.events(time.Time{}, at, "x") {
			got = append(got, e.ms-t0.UnixMilli())
		}
	}
	if d := cmp.Diff([]int64{0, 0, 2, 2}, got); d != "" {
		t.Errorf("timestamps relative to the first (-want +got):\n%s", d)
	}
}

func TestOptionsOf(t *testing.T) {
	task := &taskrunner.Task{ARN: "arn:aws:ecs:us-east-1:123456789012:task/c/0123abcd"}
	tests := []struct {
		name, hostConfig string
		want             Options
		ok, wantErr      bool
	}{
		{"NoLogConfig", ``, Options{}, false, false},
		{"JSONFile", `{"LogConfig":{"Type":"json-file","Config":{}}}`, Options{}, false, false},
		{"Rendered", `{"LogConfig":{"Type":"awslogs","Config":{"awslogs-group":"/ecs/web","awslogs-stream":"web/app/0123abcd","awslogs-region":"eu-west-1","awslogs-endpoint":"http://cp:4566","awslogs-create-group":"true"}}}`,
			Options{Group: "/ecs/web", Stream: "web/app/0123abcd", Region: "eu-west-1", Endpoint: "http://cp:4566", CreateGroup: true}, true, false},
		{"Prefix", `{"LogConfig":{"Type":"awslogs","Config":{"awslogs-group":"g","awslogs-stream-prefix":"p"}}}`, Options{Group: "g", Stream: "p/app/0123abcd"}, true, false},
		{"DockerID", `{"LogConfig":{"Type":"awslogs","Config":{"awslogs-group":"g"}}}`, Options{Group: "g", Stream: "c0ffee"}, true, false},
		{"NoGroup", `{"LogConfig":{"Type":"awslogs","Config":{}}}`, Options{}, false, true},
		{"BadCreateGroup", `{"LogConfig":{"Type":"awslogs","Config":{"awslogs-group":"g","awslogs-create-group":"yes"}}}`, Options{}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &taskrunner.Container{Name: "app", DockerConfig: taskrunner.DockerConfig{HostConfig: tc.hostConfig}}
			got, ok, err := OptionsOf(task, c, "c0ffee")
			if (err != nil) != tc.wantErr || ok != tc.ok || got != tc.want {
				t.Errorf("OptionsOf = %+v, %v, %v; want %+v, %v, error %v", got, ok, err, tc.want, tc.ok, tc.wantErr)
			}
		})
	}
}
