// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/creds"
	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/agent/taskrunner"
)

var quiet = slog.New(slog.DiscardHandler)

// recorder collects state changes.
type recorder struct {
	mu      sync.Mutex
	changes []taskrunner.StateChange
	notify  chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) add(c taskrunner.StateChange) {
	r.mu.Lock()
	r.changes = append(r.changes, c)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) all() []taskrunner.StateChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]taskrunner.StateChange(nil), r.changes...)
}

// waitFor returns the first change of taskARN (after skip earlier ones)
// satisfying pred.
func (r *recorder) waitFor(t testing.TB, taskARN string, timeout time.Duration, pred func(taskrunner.StateChange) bool) taskrunner.StateChange {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for _, c := range r.all() {
			if c.TaskARN == taskARN && pred(c) {
				return c
			}
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("no state change of %s matched within %v; got:\n%s", taskARN, timeout, dump(r.all()))
		}
	}
}

func dump(cs []taskrunner.StateChange) string {
	s := ""
	for _, c := range cs {
		s += fmt.Sprintf("  %s %s %q:", c.TaskARN[len(c.TaskARN)-6:], c.Status, c.Reason)
		for _, cc := range c.Containers {
			code := "-"
			if cc.ExitCode != nil {
				code = fmt.Sprint(*cc.ExitCode)
			}
			s += fmt.Sprintf(" [%s %s exit=%s %q %v]", cc.Name, cc.Status, code, cc.Reason, cc.NetworkBindings)
		}
		s += "\n"
	}
	return s
}

func status(s string) func(taskrunner.StateChange) bool {
	return func(c taskrunner.StateChange) bool { return c.Status == s }
}

type fixture struct {
	r   *taskrunner.Runner
	rec *recorder
	m   *creds.Memory
	reg *creds.Registry
}

func newFixture(t testing.TB, d docker.Client, store taskrunner.Store, mod func(*taskrunner.Config, *taskrunner.Deps)) *fixture {
	t.Helper()
	f := &fixture{rec: newRecorder(), m: creds.NewMemory(), reg: creds.NewRegistry()}
	cfg := taskrunner.Config{
		Cluster: "test-cluster", Region: "us-east-1", StopTimeout: 2 * time.Second, CleanupWait: time.Hour,
		PullBehavior: taskrunner.PullPreferCached, HealthInterval: 20 * time.Millisecond,
	}
	deps := taskrunner.Deps{Docker: d, Credentials: f.m, Registry: f.reg, Store: store, OnStateChange: f.rec.add, Logger: quiet}
	if mod != nil {
		mod(&cfg, &deps)
	}
	r, err := taskrunner.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	f.r = r
	return f
}

var taskSeq int

func taskARN() string {
	taskSeq++
	return fmt.Sprintf("arn:aws:ecs:us-east-1:000000000000:task/test-cluster/%032x", taskSeq)
}

func roleCreds(id, key string) *taskrunner.RoleCredentials {
	return &taskrunner.RoleCredentials{CredentialsID: id, Credentials: creds.Credentials{
		RoleARN: "arn:aws:iam::000000000000:role/app", AccessKeyID: key, SecretAccessKey: "secret-" + key,
		SessionToken: "token-" + key, Expiration: "2030-01-01T00:00:00Z"}}
}

func apply(t testing.TB, r *taskrunner.Runner, task taskrunner.Task) {
	t.Helper()
	if err := r.Apply(context.Background(), task); err != nil {
		t.Fatal(err)
	}
}

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func derefTest(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
