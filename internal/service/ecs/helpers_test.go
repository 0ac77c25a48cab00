// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
	"github.com/berthdev/berth/internal/store/storetest"
	"github.com/berthdev/berth/internal/testutil/poll"
)

const (
	testRegion  = "us-east-1"
	testAccount = "123456789012"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakePassRole allows the roles it lists.
type fakePassRole struct{ allowed map[string]bool }

func (f fakePassRole) CheckPassRole(_ context.Context, role string) (bool, string, error) {
	if f.allowed[role] {
		return true, "", nil
	}
	return false, "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:PassRole on resource: " + role, nil
}

type testEnv struct {
	t     *testing.T
	s     *Service
	st    *store.Store
	clock *fakeClock
	ctx   context.Context
}

type envOpt func(*Config, *Deps)

func withPassRole(p PassRoleChecker) envOpt { return func(_ *Config, d *Deps) { d.PassRole = p } }

// newEnv returns a Service on a fresh store, with a fake clock and a
// context carrying the account root.
func newEnv(t *testing.T, opts ...envOpt) *testEnv {
	t.Helper()
	st := storetest.New(t)
	return newEnvOn(t, st, opts...)
}

func newEnvOn(t *testing.T, st *store.Store, opts ...envOpt) *testEnv {
	t.Helper()
	clock := &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	cfg := Config{Region: testRegion, AccountID: testAccount, Clock: clock.Now, ResyncInterval: 50 * time.Millisecond,
		LeaderTTL: 3 * time.Second, GCInterval: time.Hour}
	deps := Deps{Store: st, Logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	s, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	root := &principal.Principal{Kind: principal.Root, AccountID: testAccount, ARN: "arn:aws:iam::" + testAccount + ":root"}
	ctx := principal.NewContext(context.Background(), root)
	return &testEnv{t: t, s: s, st: st, clock: clock, ctx: ctx}
}

// run starts the service's background loops until the test ends.
func (e *testEnv) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.s.Run(ctx)
	}()
	e.t.Cleanup(func() {
		cancel()
		<-done
	})
}

func must[T any](t *testing.T) func(T, error) T {
	t.Helper()
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// wantCode fails unless err is an AWS error with code (and message, if
// not empty).
func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if ae.Code != code || msg != "" && ae.Message != msg {
		t.Fatalf("error = %s %q, want %s %q", ae.Code, ae.Message, code, msg)
	}
}

func (e *testEnv) cluster(name string) {
	e.t.Helper()
	must[*ecsapi.CreateClusterOutput](e.t)(e.s.CreateCluster(e.ctx, &ecsapi.CreateClusterInput{ClusterName: ptr(name)}))
}

// instance registers a container instance the way the agent does and
// connects its agent; it returns the instance ARN.
func (e *testEnv) instance(cluster string, cpu, mem int32, attrs ...ecsapi.Attribute) string {
	e.t.Helper()
	out := must[*ecsapi.RegisterContainerInstanceOutput](e.t)(e.s.RegisterContainerInstance(e.ctx, &ecsapi.RegisterContainerInstanceInput{
		Cluster: ptr(cluster),
		TotalResources: []ecsapi.Resource{
			{Name: ptr("CPU"), Type: ptr("INTEGER"), IntegerValue: ptr(cpu)},
			{Name: ptr("MEMORY"), Type: ptr("INTEGER"), IntegerValue: ptr(mem)},
			{Name: ptr("PORTS"), Type: ptr("STRINGSET"), StringSetValue: []string{"22", "2375", "2376", "51678", "51679"}},
			{Name: ptr("PORTS_UDP"), Type: ptr("STRINGSET"), StringSetValue: []string{}},
		},
		Attributes: attrs,
	}))
	arn := *out.ContainerInstance.ContainerInstanceArn
	if _, err := e.s.ConnectAgent(e.ctx, cluster, arn); err != nil {
		e.t.Fatal(err)
	}
	return arn
}

// taskDef registers a one-container task definition.
func (e *testEnv) taskDef(family string, cpu, mem int32, ports ...ecsapi.PortMapping) string {
	e.t.Helper()
	out := must[*ecsapi.RegisterTaskDefinitionOutput](e.t)(e.s.RegisterTaskDefinition(e.ctx, &ecsapi.RegisterTaskDefinitionInput{
		Family: ptr(family),
		ContainerDefinitions: []ecsapi.ContainerDefinition{{
			Name: ptr("app"), Image: ptr("busybox"), Cpu: ptr(cpu), Memory: ptr(mem), PortMappings: ports,
		}},
	}))
	return *out.TaskDefinition.TaskDefinitionArn
}

func (e *testEnv) runTask(in *ecsapi.RunTaskInput) *ecsapi.RunTaskOutput {
	e.t.Helper()
	return must[*ecsapi.RunTaskOutput](e.t)(e.s.RunTask(e.ctx, in))
}

func (e *testEnv) describeInstance(cluster, arn string) ecsapi.ContainerInstance {
	e.t.Helper()
	out := must[*ecsapi.DescribeContainerInstancesOutput](e.t)(e.s.DescribeContainerInstances(e.ctx,
		&ecsapi.DescribeContainerInstancesInput{Cluster: ptr(cluster), ContainerInstances: []string{arn}}))
	if len(out.ContainerInstances) != 1 {
		e.t.Fatalf("DescribeContainerInstances %s: %+v", arn, out.Failures)
	}
	return out.ContainerInstances[0]
}

func (e *testEnv) describeTask(cluster, arn string) ecsapi.Task {
	e.t.Helper()
	out := must[*ecsapi.DescribeTasksOutput](e.t)(e.s.DescribeTasks(e.ctx, &ecsapi.DescribeTasksInput{Cluster: ptr(cluster), Tasks: []string{arn}}))
	if len(out.Tasks) != 1 {
		e.t.Fatalf("DescribeTasks %s: %+v", arn, out.Failures)
	}
	return out.Tasks[0]
}

// report submits a task state change as the agent does.
func (e *testEnv) report(cluster, taskARN, status string, containers ...ecsapi.ContainerStateChange) {
	e.t.Helper()
	must[*ecsapi.SubmitTaskStateChangeOutput](e.t)(e.s.SubmitTaskStateChange(e.ctx, &ecsapi.SubmitTaskStateChangeInput{
		Cluster: ptr(cluster), Task: ptr(taskARN), Status: ptr(status), Containers: containers}))
}

// remaining returns an instance's remaining CPU and memory.
func remaining(ci ecsapi.ContainerInstance) (cpu, mem int32) {
	for _, r := range ci.RemainingResources {
		switch deref(r.Name) {
		case "CPU":
			cpu = *r.IntegerValue
		case "MEMORY":
			mem = *r.IntegerValue
		}
	}
	return cpu, mem
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 10*time.Second, what, cond)
}
