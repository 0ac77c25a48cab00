// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logship

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agent/creds"
	"github.com/berthdev/berth/internal/agent/state"
	"github.com/berthdev/berth/internal/agent/taskrunner"
)

const testTaskARN = "arn:aws:ecs:us-east-1:123456789012:task/c/0123abcd"

func awslogsTask(endpoint string, createGroup bool, strategy string) *taskrunner.Task {
	hc := fmt.Sprintf(`{"LogConfig":{"Type":"awslogs","Config":{"awslogs-group":"/ecs/web","awslogs-stream":"web/app/0123abcd","awslogs-region":"us-east-1","awslogs-endpoint":%q,"awslogs-create-group":"%v"}}}`,
		endpoint, createGroup)
	return &taskrunner.Task{ARN: testTaskARN, DesiredStatus: "RUNNING", Containers: []taskrunner.Container{{
		Name: "app", Image: "img", Essential: true, LogsAuthStrategy: strategy, DockerConfig: taskrunner.DockerConfig{HostConfig: hc}}},
		ExecutionRoleCredentials: &taskrunner.RoleCredentials{CredentialsID: "exec-1", Credentials: creds.Credentials{RoleARN: "arn:aws:iam::123456789012:role/exec"}}}
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type shipperFixture struct {
	d    *fakeDocker
	c    *fakeContainer
	db   *state.DB
	logs *syncBuffer
	mgr  *creds.Memory
}

func newShipperFixture(t *testing.T) *shipperFixture {
	db, err := state.Open(state.Config{Path: filepath.Join(t.TempDir(), "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := newFakeContainer()
	return &shipperFixture{d: &fakeDocker{containers: map[string]*fakeContainer{"c0ffee": c}}, c: c, db: db, logs: &syncBuffer{}, mgr: creds.NewMemory()}
}

func (fx *shipperFixture) shipper(t *testing.T) *Shipper {
	s, err := New(Config{Region: "us-east-1", RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond},
		Deps{Docker: fx.d, InstanceCredentials: credentials.NewStaticCredentialsProvider("AKIAINSTANCE", "s", "t"),
			Credentials: fx.mgr, Positions: fx.db, Logger: slog.New(slog.NewTextHandler(fx.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func lines(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("line %d", i))
	}
	return out
}

// TestShipper_ShipsResumesAndDrains: lines arrive in order while the
// container runs (flushed by the timer, no limit reached), the position
// is saved, a new Shipper (an agent restart) resumes after it without
// duplicates, and after the container exits Drain returns once its last
// lines are shipped.
func TestShipper_ShipsResumesAndDrains(t *testing.T) {
	fx := newShipperFixture(t)
	fl, url := newFakeLogs(t, "/ecs/web")
	task := awslogsTask(url, false, "")
	info := &taskrunner.ContainerInfo{Name: "app", DockerID: "c0ffee"}

	s1 := fx.shipper(t)
	fx.c.write(lines(0, 5)...)
	s1.Poststart(context.Background(), task, info)
	fx.c.write(lines(5, 10)...)
	got := fl.waitMessages(t, "/ecs/web", "web/app/0123abcd", 10)
	if d := cmp.Diff(lines(0, 10), got); d != "" {
		t.Fatalf("shipped (-want +got):\n%s", d)
	}
	last := fx.c.lastTime()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if pos, ok, _ := fx.db.LogPosition(testTaskARN, "app"); ok && pos.Equal(last) {
			break
		}
		if time.Now().After(deadline) {
			pos, _, _ := fx.db.LogPosition(testTaskARN, "app")
			t.Fatalf("saved position %v, want the last line's %v", pos, last)
		}
	}
	s1.Close() // the agent stops; the container keeps writing

	fx.c.write(lines(10, 15)...)
	s2 := fx.shipper(t)
	s2.Poststart(context.Background(), task, info)
	fx.c.write(lines(15, 18)...)
	fx.c.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s2.Drain(ctx, task)
	if ctx.Err() != nil {
		t.Fatal("Drain returned only because its context ended")
	}
	if d := cmp.Diff(lines(0, 18), fl.messages("/ecs/web", "web/app/0123abcd")); d != "" {
		t.Fatalf("after restart and exit (-want +got):\n%s", d)
	}
	sinces := fx.c.sinceList()
	if len(sinces) < 2 || !sinces[0].IsZero() || !sinces[1].Equal(last.Add(time.Nanosecond)) {
		t.Errorf("follow positions %v, want zero then just after %v", sinces, last)
	}
	calls := fl.callList()
	if calls[0] != "CreateLogStream AKIAINSTANCE" {
		t.Errorf("first call %q, want CreateLogStream with the instance role", calls[0])
	}
	for _, c := range calls {
		if strings.HasPrefix(c, "CreateLogGroup") {
			t.Errorf("CreateLogGroup called without awslogs-create-group")
		}
	}
	s2.Cleanup(context.Background(), task)
	if _, ok, _ := fx.db.LogPosition(testTaskARN, "app"); ok {
		t.Error("position kept after Cleanup")
	}
}

// TestShipper_AccessDenied: denied calls are logged with the action and
// retried; nothing is lost or sent twice.
func TestShipper_AccessDenied(t *testing.T) {
	tests := []struct {
		action, want string
	}{
		{"PutLogEvents", "logs:PutLogEvents is denied to the instance role"},
		{"CreateLogStream", "logs:CreateLogStream is denied to the instance role"},
		{"CreateLogGroup", "logs:CreateLogGroup is denied to the instance role"},
	}
	for _, tc := range tests {
		t.Run(tc.action, func(t *testing.T) {
			fx := newShipperFixture(t)
			fl, url := newFakeLogs(t)
			fl.denyLeft[tc.action] = 3
			task := awslogsTask(url, true, "")
			s := fx.shipper(t)
			fx.c.write(lines(0, 20)...)
			s.Poststart(context.Background(), task, &taskrunner.ContainerInfo{Name: "app", DockerID: "c0ffee"})
			fx.c.stop()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			s.Drain(ctx, task)
			if d := cmp.Diff(lines(0, 20), fl.messages("/ecs/web", "web/app/0123abcd")); d != "" {
				t.Fatalf("shipped (-want +got):\n%s", d)
			}
			if l := fx.logs.String(); strings.Count(l, tc.want) != 3 || !strings.Contains(l, "level=ERROR") {
				t.Errorf("log does not report the 3 denials with %q:\n%s", tc.want, l)
			}
		})
	}
}

// TestShipper_ExecutionRole: logsAuthStrategy ExecutionRole signs with
// the task's execution role credentials, read from the manager.
func TestShipper_ExecutionRole(t *testing.T) {
	fx := newShipperFixture(t)
	fl, url := newFakeLogs(t, "/ecs/web")
	task := awslogsTask(url, false, "ExecutionRole")
	if err := fx.mgr.Set("exec-1", creds.Credentials{RoleARN: "arn:aws:iam::123456789012:role/exec", AccessKeyID: "ASIAEXEC", SecretAccessKey: "s",
		SessionToken: "t", Expiration: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, testTaskARN, creds.RoleTaskExecution); err != nil {
		t.Fatal(err)
	}
	s := fx.shipper(t)
	fx.c.write("hello")
	s.Poststart(context.Background(), task, &taskrunner.ContainerInfo{Name: "app", DockerID: "c0ffee"})
	fl.waitMessages(t, "/ecs/web", "web/app/0123abcd", 1)
	for _, c := range fl.callList() {
		if !strings.HasSuffix(c, " ASIAEXEC") {
			t.Errorf("call %q not signed with the execution role", c)
		}
	}
}

// TestShipper_LargeOutput ships more than one batch's worth in order.
func TestShipper_LargeOutput(t *testing.T) {
	fx := newShipperFixture(t)
	fl, url := newFakeLogs(t, "/ecs/web")
	task := awslogsTask(url, false, "")
	s := fx.shipper(t)
	want := lines(0, 25_000)
	fx.c.write(want...)
	s.Poststart(context.Background(), task, &taskrunner.ContainerInfo{Name: "app", DockerID: "c0ffee"})
	got := fl.waitMessages(t, "/ecs/web", "web/app/0123abcd", len(want))
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("shipped (-want +got):\n%s", d)
	}
	puts := 0
	for _, c := range fl.callList() {
		if strings.HasPrefix(c, "PutLogEvents") {
			puts++
		}
	}
	if puts < 3 {
		t.Errorf("%d PutLogEvents calls for 25,000 events, want at least 3 (10,000 per batch)", puts)
	}
}

// TestShipper_RestoreExited: the container writes more and exits while
// the agent is down; after the restart RestoreExited ships the tail once
// from the saved position, without following, and Drain waits for it.
// A second restart (the tail all shipped) sends nothing again.
func TestShipper_RestoreExited(t *testing.T) {
	fx := newShipperFixture(t)
	fl, url := newFakeLogs(t, "/ecs/web")
	task := awslogsTask(url, false, "")
	info := &taskrunner.ContainerInfo{Name: "app", DockerID: "c0ffee"}
	const stream = "web/app/0123abcd"

	s1 := fx.shipper(t)
	fx.c.write(lines(0, 5)...)
	s1.Poststart(context.Background(), task, info)
	fl.waitMessages(t, "/ecs/web", stream, 5)
	last := fx.c.lastTime()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if pos, ok, _ := fx.db.LogPosition(testTaskARN, "app"); ok && pos.Equal(last) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("position of the shipped lines not saved")
		}
	}
	s1.Close() // the agent dies
	fx.c.write(lines(5, 9)...)
	fx.c.stop() // the container exits while no agent watches

	for restart, want := range [][]string{lines(0, 9), lines(0, 9)} {
		before := len(fx.c.sinceList())
		s := fx.shipper(t)
		s.RestoreExited(context.Background(), task, info)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		s.Drain(ctx, task)
		drained := ctx.Err() == nil
		cancel()
		if !drained {
			t.Fatalf("restart %d: Drain returned only because its context ended", restart)
		}
		if d := cmp.Diff(want, fl.messages("/ecs/web", stream)); d != "" {
			t.Fatalf("restart %d: shipped (-want +got):\n%s", restart, d)
		}
		sinces := fx.c.sinceList()[before:]
		if len(sinces) != 1 || !sinces[0].Equal(last.Add(time.Nanosecond)) {
			t.Errorf("restart %d: reads from %v, want one from just after %v", restart, sinces, last)
		}
		pos, _, _ := fx.db.LogPosition(testTaskARN, "app")
		if !pos.Equal(fx.c.lastTime()) {
			t.Errorf("restart %d: saved position %v, want the last line's %v", restart, pos, fx.c.lastTime())
		}
		last = fx.c.lastTime()
		s.Close()
	}
}
