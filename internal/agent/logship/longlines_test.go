// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logship

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/taskrunner"
)

// longLinesSrc prints a 40 KiB line, a 300 KiB line (with 2-byte
// characters, which Docker's 16 KiB pieces cut in two) and a short line,
// each with one write; it waits a little first so that the Shipper is
// already following when they come.
const longLinesSrc = `package main

import (
	"os"
	"strings"
	"time"
)

func main() {
	time.Sleep(500 * time.Millisecond)
	for _, l := range []string{
		strings.Repeat("0123456789abcdef", 40*1024/16),
		strings.Repeat("0123456789é", 300*1024/12),
		"short",
	} {
		os.Stdout.WriteString(l + "\n")
	}
}
`

// TestShipper_DockerLongLines runs a real container (json-file) and the
// Shipper's real follow path: a line longer than Docker's 16 KiB
// messages arrives as one event, one longer than CloudWatch's event limit
// as events within it whose concatenation is the line, in order.
func TestShipper_DockerLongLines(t *testing.T) {
	eng := agenttest.Docker(t)
	dir := t.TempDir()
	for name, data := range map[string]string{"go.mod": "module longlines\n\ngo 1.22\n", "main.go": longLinesSrc} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	image := agenttest.ScratchImage(t, eng, "longlines", dir, "GOWORK=off", "GOFLAGS=-mod=mod")
	fx := newShipperFixture(t)
	fl, url := newFakeLogs(t, "/ecs/web")
	s, err := New(Config{Region: "us-east-1", RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond},
		Deps{Docker: eng, InstanceCredentials: credentials.NewStaticCredentialsProvider("AKIAINSTANCE", "s", "t"), Positions: fx.db,
			Logger: slog.New(slog.NewTextHandler(fx.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)

	id, _ := agenttest.RunContainer(t, eng, agenttest.RunSpec{Image: image})
	task := awslogsTask(url, false, "")
	s.Poststart(context.Background(), task, &taskrunner.ContainerInfo{Name: "app", DockerID: id})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s.Drain(ctx, task) // returns once the container has exited and all is shipped
	if ctx.Err() != nil {
		t.Fatal("Drain returned only because its context ended")
	}

	l40 := strings.Repeat("0123456789abcdef", 40*1024/16)
	l300 := strings.Repeat("0123456789é", 300*1024/12)
	got := fl.messages("/ecs/web", "web/app/0123abcd")
	sizes := make([]int, len(got))
	for i, m := range got {
		sizes[i] = len(m)
	}
	t.Logf("event sizes: %v", sizes)
	if len(got) < 4 {
		t.Fatalf("%d events, want at least 4", len(got))
	}
	if got[0] != l40 {
		t.Errorf("first event: %d bytes, want the 40 KiB line (%d bytes) whole", len(got[0]), len(l40))
	}
	if last := got[len(got)-1]; last != "short" {
		t.Errorf("last event %.40q, want %q", last, "short")
	}
	middle := got[1 : len(got)-1]
	for i, m := range middle {
		if len(m) > MaxEventBytes {
			t.Errorf("piece %d of the 300 KiB line: %d bytes, over %d", i, len(m), MaxEventBytes)
		}
	}
	if len(middle) != 2 || strings.Join(middle, "") != l300 {
		t.Errorf("the 300 KiB line (%d bytes) came as %d events; rejoined equal: %v", len(l300), len(middle), strings.Join(middle, "") == l300)
	}
	if pos, ok, _ := fx.db.LogPosition(testTaskARN, "app"); !ok || pos.IsZero() {
		t.Errorf("no position saved after the last line (%v, %v)", pos, ok)
	}
}
