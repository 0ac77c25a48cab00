// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logship

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/berthdev/berth/internal/agent/docker"
)

// fakeLogs is a CloudWatch Logs endpoint (awsJson1.1) that keeps events
// per group/stream, checks PutLogEvents against AWS's limits, and can
// deny actions a number of times.
type fakeLogs struct {
	t        testing.TB
	mu       sync.Mutex
	groups   map[string]map[string][]string // group → stream → messages
	calls    []string                       // "Action access-key"
	denyLeft map[string]int                 // action → denials left
	changed  chan struct{}
}

func newFakeLogs(t testing.TB, groups ...string) (*fakeLogs, string) {
	f := &fakeLogs{t: t, groups: map[string]map[string][]string{}, denyLeft: map[string]int{}, changed: make(chan struct{}, 1)}
	for _, g := range groups {
		f.groups[g] = map[string][]string{}
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeLogs) fail(w http.ResponseWriter, code, msg string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
}

func (f *fakeLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328.")
	_, rest, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	akid, _, _ := strings.Cut(rest, "/")
	var in struct {
		LogGroupName, LogStreamName string
		LogEvents                   []struct {
			Message   string
			Timestamp int64
		}
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil {
		f.fail(w, "SerializationException", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	defer func() {
		select {
		case f.changed <- struct{}{}:
		default:
		}
	}()
	f.calls = append(f.calls, action+" "+akid)
	if f.denyLeft[action] > 0 {
		f.denyLeft[action]--
		f.fail(w, "AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/ecsInstanceRole/i-1 is not authorized to perform: logs:"+action)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch action {
	case "CreateLogGroup":
		if f.groups[in.LogGroupName] != nil {
			f.fail(w, "ResourceAlreadyExistsException", "The specified log group already exists")
			return
		}
		f.groups[in.LogGroupName] = map[string][]string{}
	case "CreateLogStream":
		g := f.groups[in.LogGroupName]
		switch {
		case g == nil:
			f.fail(w, "ResourceNotFoundException", "The specified log group does not exist.")
			return
		case g[in.LogStreamName] != nil:
			f.fail(w, "ResourceAlreadyExistsException", "The specified log stream already exists")
			return
		}
		g[in.LogStreamName] = []string{}
	case "PutLogEvents":
		g := f.groups[in.LogGroupName]
		if g == nil || g[in.LogStreamName] == nil {
			f.fail(w, "ResourceNotFoundException", "The specified log stream does not exist.")
			return
		}
		size := 0
		for i, e := range in.LogEvents {
			size += len(e.Message) + EventOverhead
			if i > 0 && e.Timestamp < in.LogEvents[i-1].Timestamp {
				f.t.Errorf("PutLogEvents: events not in chronological order at %d", i)
			}
			if e.Message == "" || len(e.Message) > MaxEventBytes {
				f.t.Errorf("PutLogEvents: event %d of %d bytes", i, len(e.Message))
			}
		}
		if n := len(in.LogEvents); n == 0 || n > MaxBatchEvents || size > MaxBatchBytes {
			f.t.Errorf("PutLogEvents: %d events, %d bytes: over AWS's limits", n, size)
		}
		for _, e := range in.LogEvents {
			g[in.LogStreamName] = append(g[in.LogStreamName], e.Message)
		}
		fmt.Fprint(w, `{"nextSequenceToken":"1"}`)
		return
	default:
		f.fail(w, "UnknownOperationException", action)
		return
	}
	fmt.Fprint(w, `{}`)
}

func (f *fakeLogs) messages(group, stream string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.groups[group][stream]...)
}

func (f *fakeLogs) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// waitMessages waits until the stream holds n messages.
func (f *fakeLogs) waitMessages(t testing.TB, group, stream string, n int) []string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if got := f.messages(group, stream); len(got) >= n {
			return got
		}
		select {
		case <-f.changed:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("stream %s/%s holds %d messages, want %d; calls %v", group, stream, len(f.messages(group, stream)), n, f.callList())
		}
	}
}

// fakeContainer is a container's output for a fake Docker: lines with
// their timestamps, followed like the daemon does.
type fakeContainer struct {
	mu      sync.Mutex
	lines   []string // "<ts> <text>\n"
	times   []time.Time
	running bool
	changed chan struct{}
	sinces  []time.Time
	next    time.Time
}

func newFakeContainer() *fakeContainer {
	return &fakeContainer{running: true, changed: make(chan struct{}), next: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// write appends lines, each 1.5 ms after the previous one.
func (c *fakeContainer) write(texts ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range texts {
		c.next = c.next.Add(1500 * time.Microsecond)
		c.times = append(c.times, c.next)
		c.lines = append(c.lines, c.next.Format(time.RFC3339Nano)+" "+s+"\n")
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *fakeContainer) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running = false
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *fakeContainer) lastTime() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.times[len(c.times)-1]
}

func (c *fakeContainer) sinceList() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.sinces...)
}

// fakeDocker serves containers by id.
type fakeDocker struct{ containers map[string]*fakeContainer }

func (d *fakeDocker) ContainerLogsFollow(ctx context.Context, id string, since time.Time) (io.ReadCloser, error) {
	c := d.containers[id]
	if c == nil {
		return nil, fmt.Errorf("fake: %s: %w", id, docker.ErrNotFound)
	}
	c.mu.Lock()
	c.sinces = append(c.sinces, since)
	c.mu.Unlock()
	pr, pw := io.Pipe()
	go func() {
		i := 0
		for {
			c.mu.Lock()
			var out []string
			for ; i < len(c.lines); i++ {
				if !c.times[i].Before(since) {
					out = append(out, c.lines[i])
				}
			}
			running, changed := c.running, c.changed
			c.mu.Unlock()
			if _, err := io.WriteString(pw, strings.Join(out, "")); err != nil {
				return
			}
			if !running {
				pw.Close()
				return
			}
			select {
			case <-changed:
			case <-ctx.Done():
				pw.CloseWithError(ctx.Err())
				return
			}
		}
	}()
	return pr, nil
}

func (d *fakeDocker) ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error) {
	c := d.containers[id]
	if c == nil {
		return container.InspectResponse{}, fmt.Errorf("fake: %s: %w", id, docker.ErrNotFound)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{State: &container.State{Running: c.running}}}, nil
}
