// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/store"
	"github.com/berthdev/berth/internal/store/storetest"
)

func TestService_AgentBackend(t *testing.T) {
	e := newEnv(t)
	e.run()
	e.cluster("c1")
	inst := e.instance("c1", 2048, 2048)
	conn, err := e.s.ConnectAgent(e.ctx, "arn:aws:ecs:us-east-1:123456789012:cluster/c1", inst)
	if err != nil || conn.ClusterARN != "arn:aws:ecs:us-east-1:123456789012:cluster/c1" || conn.Generation < 2 {
		t.Fatalf("ConnectAgent = %+v, %v", conn, err)
	}
	// The disconnect of the replaced session changes nothing.
	if err := e.s.DisconnectAgent(e.ctx, inst, conn.Generation-1); err != nil {
		t.Fatal(err)
	}
	if d := e.describeInstance("c1", inst); !*d.AgentConnected {
		t.Fatal("a stale DisconnectAgent cleared agentConnected")
	}
	if err := e.s.DisconnectAgent(e.ctx, inst, conn.Generation); err != nil {
		t.Fatal(err)
	}
	if d := e.describeInstance("c1", inst); *d.AgentConnected {
		t.Fatal("agentConnected after DisconnectAgent")
	}
	again, err := e.s.ConnectAgent(e.ctx, "c1", inst)
	if err != nil || again.Generation <= conn.Generation {
		t.Fatalf("ConnectAgent after a disconnect = %+v, %v; want a generation above %d", again, err, conn.Generation)
	}
	if _, err := e.s.ConnectAgent(e.ctx, "c1", "arn:aws:ecs:us-east-1:123456789012:container-instance/c1/"+newID()); !errors.Is(err, agentapi.ErrInactiveInstance) {
		t.Errorf("ConnectAgent of an unknown instance: %v", err)
	}
	v := *e.describeInstance("c1", inst).Version
	if _, err := e.s.ConnectAgent(e.ctx, "c1", inst); err != nil {
		t.Fatal(err)
	}
	if got := *e.describeInstance("c1", inst).Version; got != v {
		t.Errorf("a repeated ConnectAgent wrote the instance (version %d → %d)", v, got)
	}

	wctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := e.s.WatchInstance(wctx, inst)
	must[*ecsapi.RegisterTaskDefinitionOutput](t)(e.s.RegisterTaskDefinition(e.ctx, &ecsapi.RegisterTaskDefinitionInput{
		Family: ptr("web"), TaskRoleArn: ptr("arn:aws:iam::123456789012:role/app"),
		ContainerDefinitions: []ecsapi.ContainerDefinition{{Name: ptr("app"), Image: ptr("nginx"), Memory: ptr(int32(128)),
			PortMappings: []ecsapi.PortMapping{{ContainerPort: ptr(int32(80))}}}},
	}))
	must[*ecsapi.PutAttributesOutput](t)(e.s.PutAttributes(e.ctx, &ecsapi.PutAttributesInput{Cluster: ptr("c1"),
		Attributes: []ecsapi.Attribute{{Name: ptr(capTaskIAMRole), TargetId: ptr(inst)}}}))
	out := e.runTask(&ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("web"), StartedBy: ptr("me")})
	if len(out.Tasks) != 1 {
		t.Fatalf("RunTask: %+v", out.Failures)
	}
	task := deref(out.Tasks[0].TaskArn)
	waitSignal(t, ch, "placement")
	tasks, err := e.s.InstanceTasks(e.ctx, inst)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 {
		t.Fatalf("InstanceTasks = %d tasks", len(tasks))
	}
	got := tasks[0]
	if got.TaskARN != task || got.DesiredStatus != "RUNNING" || got.LastStatus != "PENDING" || got.StartedBy != "me" ||
		got.TaskRoleARN != "arn:aws:iam::123456789012:role/app" || deref(got.Definition.Family) != "web" {
		t.Errorf("InstanceTasks[0] = %+v", got)
	}
	if diff := cmp.Diff(map[string]int32{"app/80/tcp": 49153}, got.HostPorts); diff != "" {
		t.Errorf("host ports (-want +got):\n%s", diff)
	}
	// StopTask wakes the agent; the task stays listed until STOPPED.
	must[*ecsapi.StopTaskOutput](t)(e.s.StopTask(e.ctx, &ecsapi.StopTaskInput{Cluster: ptr("c1"), Task: ptr(task)}))
	waitSignal(t, ch, "stop")
	tasks = must[[]agentapi.Task](t)(e.s.InstanceTasks(e.ctx, inst))
	if len(tasks) != 1 || tasks[0].DesiredStatus != "STOPPED" || tasks[0].Version <= got.Version {
		t.Errorf("after StopTask: %+v", tasks)
	}
	e.report("c1", task, "STOPPED")
	if tasks := must[[]agentapi.Task](t)(e.s.InstanceTasks(e.ctx, inst)); len(tasks) != 0 {
		t.Errorf("after STOPPED: %d tasks", len(tasks))
	}
	cancel()
	for range ch {
	}
}

func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("no WatchInstance signal for %s", what)
	}
}

// TestService_Replicas runs two Services on one store cluster, as two
// berth servers: a task placed on one wakes the agent session on the
// other, and concurrent RunTask calls on both never overcommit.
func TestService_Replicas(t *testing.T) {
	first := storetest.New(t, func(c *store.Config) { c.ClientURL = "http://127.0.0.1:0" })
	second, err := store.Open(context.Background(), store.Config{Endpoints: first.ClientURLs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	a, b := newEnvOn(t, first), newEnvOn(t, second)
	a.run()
	b.run()
	a.cluster("c1")
	a.taskDef("t", 128, 64)
	var insts []string
	for range 3 {
		insts = append(insts, a.instance("c1", 1024, 1024))
	}
	eventually(t, "replica b to see the instances", func() bool { return len(b.s.view.Instances("c1")) == 3 })
	wctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := b.s.WatchInstance(wctx, insts[0])
	out := a.runTask(&ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("t"), Count: ptr(int32(10)),
		PlacementStrategy: []ecsapi.PlacementStrategy{{Type: ptr("spread"), Field: ptr("instanceId")}}})
	if len(out.Tasks) != 10 {
		t.Fatalf("RunTask on a: %+v", out.Failures)
	}
	waitSignal(t, ch, "a placement on the other replica")
	eventually(t, "b's InstanceTasks", func() bool {
		ts, _ := b.s.InstanceTasks(b.ctx, insts[0])
		return len(ts) > 0
	})

	// Both replicas fill the cluster at once: 24 tasks in all fit.
	done := make(chan int, 2)
	for _, env := range []*testEnv{a, b} {
		go func() {
			n := 0
			for range 10 {
				out, err := env.s.RunTask(env.ctx, &ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("t"), Count: ptr(int32(3))})
				if err != nil {
					t.Error(err)
					break
				}
				n += len(out.Tasks)
			}
			done <- n
		}()
	}
	total := <-done + <-done
	if total != 14 {
		t.Errorf("placed %d more tasks, want 14", total)
	}
	if _, err := a.st.Sync(a.ctx); err != nil {
		t.Fatal(err)
	}
	for _, inst := range insts {
		if cpu, _ := remaining(a.describeInstance("c1", inst)); cpu < 0 {
			t.Errorf("%s overcommitted: %d CPU", inst, cpu)
		}
	}
}

// TestService_AgentConnected_Replicas: an agent reconnects to another
// replica while its old session is still being torn down. Whatever the
// order of the new replica's connect and the old one's disconnect, the
// instance ends up connected, and only the current session's disconnect
// clears it.
func TestService_AgentConnected_Replicas(t *testing.T) {
	first := storetest.New(t, func(c *store.Config) { c.ClientURL = "http://127.0.0.1:0" })
	second, err := store.Open(context.Background(), store.Config{Endpoints: first.ClientURLs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	a, b := newEnvOn(t, first), newEnvOn(t, second)
	a.run()
	b.run()
	a.cluster("c1")
	inst := a.instance("c1", 1024, 1024) // connected on a
	connected := func(t *testing.T, env *testEnv) bool {
		t.Helper()
		if _, err := env.st.Sync(env.ctx); err != nil {
			t.Fatal(err)
		}
		r, err := env.s.t.instances.Get(env.ctx, storeID("c1", inst[strings.LastIndex(inst, "/")+1:]))
		if err != nil {
			t.Fatal(err)
		}
		return r.Value.Connected
	}
	tests := []struct {
		name string
		// oldFirst: the old replica's disconnect lands before the new
		// replica's connect.
		oldFirst bool
	}{
		{"new connect, then old disconnect", false},
		{"old disconnect, then new connect", true},
	}
	old := a
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			oldConn, err := old.s.ConnectAgent(old.ctx, "c1", inst)
			if err != nil {
				t.Fatal(err)
			}
			cur := b
			if old == b {
				cur = a
			}
			if _, err := cur.st.Sync(cur.ctx); err != nil {
				t.Fatal(err)
			}
			var newConn agentapi.Connection
			connect := func() {
				if newConn, err = cur.s.ConnectAgent(cur.ctx, "c1", inst); err != nil {
					t.Fatal(err)
				}
			}
			if !tc.oldFirst {
				connect()
			}
			if err := old.s.DisconnectAgent(old.ctx, inst, oldConn.Generation); err != nil {
				t.Fatal(err)
			}
			if tc.oldFirst {
				connect()
			}
			if newConn.Generation == oldConn.Generation {
				t.Fatalf("both connections have generation %d", newConn.Generation)
			}
			for _, env := range []*testEnv{a, b} {
				if !connected(t, env) {
					t.Errorf("agentConnected false after the agent reconnected")
				}
			}
			// A late disconnect of the old session again changes nothing.
			if err := old.s.DisconnectAgent(old.ctx, inst, oldConn.Generation); err != nil {
				t.Fatal(err)
			}
			if !connected(t, cur) {
				t.Errorf("a repeated stale disconnect cleared agentConnected")
			}
			if err := cur.s.DisconnectAgent(cur.ctx, inst, newConn.Generation); err != nil {
				t.Fatal(err)
			}
			for _, env := range []*testEnv{a, b} {
				if connected(t, env) {
					t.Errorf("agentConnected true after the current session disconnected")
				}
			}
			old = cur
		})
	}
}
