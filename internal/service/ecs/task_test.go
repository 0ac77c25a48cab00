// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

func TestService_RunTask_Lifecycle(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	inst := e.instance("c1", 2048, 4096)
	td := e.taskDef("web", 256, 512, ecsapi.PortMapping{ContainerPort: ptr(int32(80))})

	out := e.runTask(&ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("web"), Count: ptr(int32(2)), StartedBy: ptr("me")})
	if len(out.Tasks) != 2 || len(out.Failures) != 0 {
		t.Fatalf("RunTask = %d tasks, failures %+v", len(out.Tasks), out.Failures)
	}
	for _, task := range out.Tasks {
		if got := deref(task.ContainerInstanceArn); got != inst {
			t.Errorf("task on %s, want %s", got, inst)
		}
		if deref(task.LastStatus) != "PENDING" || deref(task.DesiredStatus) != "RUNNING" || deref(task.TaskDefinitionArn) != td {
			t.Errorf("task = %s/%s %s", deref(task.LastStatus), deref(task.DesiredStatus), deref(task.TaskDefinitionArn))
		}
		if !strings.HasPrefix(deref(task.TaskArn), "arn:aws:ecs:us-east-1:123456789012:task/c1/") || len(deref(task.TaskArn)) != len("arn:aws:ecs:us-east-1:123456789012:task/c1/")+32 {
			t.Errorf("task ARN %s", deref(task.TaskArn))
		}
	}
	ci := e.describeInstance("c1", inst)
	if cpu, mem := remaining(ci); cpu != 2048-512 || mem != 4096-1024 {
		t.Errorf("remaining = %d CPU %d MiB, want %d %d", cpu, mem, 2048-512, 4096-1024)
	}
	if *ci.PendingTasksCount != 2 || *ci.RunningTasksCount != 0 {
		t.Errorf("pending/running = %d/%d, want 2/0", *ci.PendingTasksCount, *ci.RunningTasksCount)
	}

	// The agent reports RUNNING with the network binding of the dynamic port.
	task := deref(out.Tasks[0].TaskArn)
	e.report("c1", task, "RUNNING", ecsapi.ContainerStateChange{ContainerName: ptr("app"), Status: ptr("RUNNING"),
		RuntimeId: ptr("docker-1"), NetworkBindings: []ecsapi.NetworkBinding{{BindIP: ptr("0.0.0.0"), ContainerPort: ptr(int32(80)), HostPort: ptr(int32(49153)), Protocol: ptr("tcp")}}})
	got := e.describeTask("c1", task)
	if deref(got.LastStatus) != "RUNNING" || got.StartedAt == nil {
		t.Fatalf("after RUNNING: last %s startedAt %v", deref(got.LastStatus), got.StartedAt)
	}
	if diff := cmp.Diff([]ecsapi.NetworkBinding{{BindIP: ptr("0.0.0.0"), ContainerPort: ptr(int32(80)), HostPort: ptr(int32(49153)), Protocol: ptr("tcp")}},
		got.Containers[0].NetworkBindings); diff != "" {
		t.Errorf("network bindings (-want +got):\n%s", diff)
	}
	ci = e.describeInstance("c1", inst)
	if *ci.PendingTasksCount != 1 || *ci.RunningTasksCount != 1 {
		t.Errorf("pending/running = %d/%d, want 1/1", *ci.PendingTasksCount, *ci.RunningTasksCount)
	}
	// Reported twice: nothing changes (no new version).
	v := *got.Version
	e.report("c1", task, "RUNNING")
	if got := e.describeTask("c1", task); *got.Version != v {
		t.Errorf("version %d after a repeated report, want %d", *got.Version, v)
	}

	// StopTask: desired STOPPED, reason and stop code; resources stay
	// reserved until the agent reports STOPPED.
	stop := must[*ecsapi.StopTaskOutput](t)(e.s.StopTask(e.ctx, &ecsapi.StopTaskInput{Cluster: ptr("c1"), Task: ptr(task)}))
	if deref(stop.Task.DesiredStatus) != "STOPPED" || deref(stop.Task.StoppedReason) != "Task stopped by user" || deref(stop.Task.StopCode) != "UserInitiated" {
		t.Errorf("StopTask = desired %s reason %q code %s", deref(stop.Task.DesiredStatus), deref(stop.Task.StoppedReason), deref(stop.Task.StopCode))
	}
	if cpu, _ := remaining(e.describeInstance("c1", inst)); cpu != 2048-512 {
		t.Errorf("remaining CPU after StopTask = %d, want still %d", cpu, 2048-512)
	}
	e.report("c1", task, "STOPPED", ecsapi.ContainerStateChange{ContainerName: ptr("app"), Status: ptr("STOPPED"), ExitCode: ptr(int32(0))})
	got = e.describeTask("c1", task)
	if deref(got.LastStatus) != "STOPPED" || got.StoppedAt == nil || deref(got.StoppedReason) != "Task stopped by user" {
		t.Errorf("after STOPPED: %s at %v reason %q", deref(got.LastStatus), got.StoppedAt, deref(got.StoppedReason))
	}
	if got.Containers[0].ExitCode == nil || *got.Containers[0].ExitCode != 0 {
		t.Errorf("exit code = %v", got.Containers[0].ExitCode)
	}
	ci = e.describeInstance("c1", inst)
	if cpu, mem := remaining(ci); cpu != 2048-256 || mem != 4096-512 {
		t.Errorf("remaining after STOPPED = %d/%d, want %d/%d", cpu, mem, 2048-256, 4096-512)
	}
	if *ci.PendingTasksCount != 1 || *ci.RunningTasksCount != 0 {
		t.Errorf("pending/running = %d/%d, want 1/0", *ci.PendingTasksCount, *ci.RunningTasksCount)
	}
	// A late RUNNING report does not resurrect the task.
	e.report("c1", task, "RUNNING")
	if got := e.describeTask("c1", task); deref(got.LastStatus) != "STOPPED" {
		t.Errorf("after a late RUNNING: %s", deref(got.LastStatus))
	}
	if cpu, _ := remaining(e.describeInstance("c1", inst)); cpu != 2048-256 {
		t.Errorf("a late report changed the reservation: %d", cpu)
	}
}

func TestService_RunTask_Failures(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	e.cluster("empty")
	inst := e.instance("c1", 1024, 1024)
	e.taskDef("big", 512, 2048)
	e.taskDef("wide", 2048, 128)
	e.taskDef("small", 128, 128)

	tests := []struct {
		name, cluster, def string
		count              int32
		wantTasks          int
		wantFail           []ecsapi.Failure
		wantErr            string
	}{
		{"memory", "c1", "big", 1, 0, []ecsapi.Failure{{Arn: ptr(inst), Reason: ptr("RESOURCE:MEMORY")}}, ""},
		{"cpu", "c1", "wide", 1, 0, []ecsapi.Failure{{Arn: ptr(inst), Reason: ptr("RESOURCE:CPU")}}, ""},
		{"some fit", "c1", "small", 10, 8, []ecsapi.Failure{{Arn: ptr(inst), Reason: ptr("RESOURCE:CPU")}}, ""},
		{"no instances", "empty", "small", 1, 0, nil, "InvalidParameterException"},
		{"count too high", "c1", "small", 11, 0, nil, "InvalidParameterException"},
		{"unknown cluster", "nope", "small", 1, 0, nil, "ClusterNotFoundException"},
		{"unknown task definition", "c1", "nope", 1, 0, nil, "ClientException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.s.RunTask(e.ctx, &ecsapi.RunTaskInput{Cluster: ptr(tc.cluster), TaskDefinition: ptr(tc.def), Count: ptr(tc.count)})
			if tc.wantErr != "" {
				wantCode(t, err, tc.wantErr, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Tasks) != tc.wantTasks {
				t.Errorf("%d tasks, want %d", len(out.Tasks), tc.wantTasks)
			}
			for i := range out.Failures {
				out.Failures[i].Detail = nil
			}
			if diff := cmp.Diff(tc.wantFail, out.Failures, cmp.Comparer(func(a, b ecsapi.Failure) bool {
				return deref(a.Arn) == deref(b.Arn) && deref(a.Reason) == deref(b.Reason)
			})); tc.wantFail != nil && diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
		})
	}
	_, err := e.s.RunTask(e.ctx, &ecsapi.RunTaskInput{Cluster: ptr("empty"), TaskDefinition: ptr("small")})
	wantCode(t, err, "InvalidParameterException", "No Container Instances were found in your cluster.")
}

func TestService_RunTask_Strategies(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	var insts []string
	for range 4 {
		insts = append(insts, e.instance("c1", 4096, 8192))
	}
	e.taskDef("t", 128, 128)
	place := func(strategy ecsapi.PlacementStrategy) map[string]int {
		out := e.runTask(&ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("t"), Count: ptr(int32(8)),
			PlacementStrategy: []ecsapi.PlacementStrategy{strategy}, Group: ptr("g-" + deref(strategy.Type))})
		per := map[string]int{}
		for _, task := range out.Tasks {
			per[deref(task.ContainerInstanceArn)]++
		}
		return per
	}
	spread := place(ecsapi.PlacementStrategy{Type: ptr("spread"), Field: ptr("instanceId")})
	if diff := cmp.Diff(map[string]int{insts[0]: 2, insts[1]: 2, insts[2]: 2, insts[3]: 2}, spread); diff != "" {
		t.Errorf("spread (-want +got):\n%s", diff)
	}
	binpack := place(ecsapi.PlacementStrategy{Type: ptr("binpack"), Field: ptr("memory")})
	if len(binpack) != 1 {
		t.Errorf("binpack used %d instances, want 1: %v", len(binpack), binpack)
	}
}

func TestService_RunTask_ClientToken(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	e.instance("c1", 4096, 8192)
	e.taskDef("t", 128, 128)
	in := &ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("t"), Count: ptr(int32(3)), ClientToken: ptr("tok-1")}
	first := e.runTask(in)
	second := e.runTask(in)
	arns := func(o *ecsapi.RunTaskOutput) []string {
		var out []string
		for _, t := range o.Tasks {
			out = append(out, deref(t.TaskArn))
		}
		sort.Strings(out)
		return out
	}
	if diff := cmp.Diff(arns(first), arns(second)); diff != "" || len(arns(first)) != 3 {
		t.Errorf("retry returned other tasks (-first +second):\n%s", diff)
	}
	list := must[*ecsapi.ListTasksOutput](t)(e.s.ListTasks(e.ctx, &ecsapi.ListTasksInput{Cluster: ptr("c1")}))
	if len(list.TaskArns) != 3 {
		t.Errorf("%d tasks after a retried RunTask, want 3", len(list.TaskArns))
	}
	in2 := *in
	in2.Count = ptr(int32(2))
	_, err := e.s.RunTask(e.ctx, &in2)
	wantCode(t, err, "InvalidParameterException", "")
}

// TestService_RunTask_ConcurrentNoOvercommit runs many RunTask calls at
// once on a small cluster: every instance ends exactly full, never over.
func TestService_RunTask_ConcurrentNoOvercommit(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	var insts []string
	for range 5 {
		insts = append(insts, e.instance("c1", 1024, 1024)) // 8 tasks of 128 CPU each
	}
	e.taskDef("t", 128, 64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	placed := 0
	for range 20 {
		wg.Go(func() {
			for range 3 {
				out, err := e.s.RunTask(e.ctx, &ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("t"), Count: ptr(int32(2))})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				placed += len(out.Tasks)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if placed != 40 {
		t.Errorf("placed %d tasks, want 40 (the cluster's capacity)", placed)
	}
	total := 0
	for _, arn := range insts {
		ci := e.describeInstance("c1", arn)
		cpu, _ := remaining(ci)
		if cpu < 0 {
			t.Errorf("%s overcommitted: remaining CPU %d", arn, cpu)
		}
		total += int(*ci.PendingTasksCount)
	}
	if total != 40 {
		t.Errorf("instances count %d pending tasks, want 40", total)
	}
}

func TestService_ListTasks_Filters(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	i1 := e.instance("c1", 4096, 8192)
	i2 := e.instance("c1", 4096, 8192)
	e.taskDef("a", 128, 128)
	e.taskDef("b", 128, 128)
	run := func(def, inst, startedBy string) string {
		out := must[*ecsapi.StartTaskOutput](t)(e.s.StartTask(e.ctx, &ecsapi.StartTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr(def),
			ContainerInstances: []string{inst}, StartedBy: ptr(startedBy)}))
		if len(out.Tasks) != 1 {
			t.Fatalf("StartTask: %+v", out.Failures)
		}
		return deref(out.Tasks[0].TaskArn)
	}
	a1 := run("a", i1, "x")
	a2 := run("a", i2, "y")
	b1 := run("b", i1, "x")
	must[*ecsapi.StopTaskOutput](t)(e.s.StopTask(e.ctx, &ecsapi.StopTaskInput{Cluster: ptr("c1"), Task: ptr(b1)}))
	tests := []struct {
		name string
		in   ecsapi.ListTasksInput
		want []string
	}{
		{"all running", ecsapi.ListTasksInput{}, []string{a1, a2}},
		{"stopped", ecsapi.ListTasksInput{DesiredStatus: ptr("STOPPED")}, []string{b1}},
		{"family", ecsapi.ListTasksInput{Family: ptr("a")}, []string{a1, a2}},
		{"instance", ecsapi.ListTasksInput{ContainerInstance: ptr(i1)}, []string{a1}},
		{"instance by id", ecsapi.ListTasksInput{ContainerInstance: ptr(lastPathPart(i2))}, []string{a2}},
		{"startedBy", ecsapi.ListTasksInput{StartedBy: ptr("x")}, []string{a1}},
		{"startedBy and family", ecsapi.ListTasksInput{StartedBy: ptr("y"), Family: ptr("a")}, []string{a2}},
		{"fargate", ecsapi.ListTasksInput{LaunchType: ptr("FARGATE")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Cluster = ptr("c1")
			out := must[*ecsapi.ListTasksOutput](t)(e.s.ListTasks(e.ctx, &in))
			want := append([]string{}, tc.want...)
			sort.Strings(want)
			sort.Strings(out.TaskArns)
			if diff := cmp.Diff(want, out.TaskArns); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// Pagination covers every task once.
	var all []string
	var next *string
	for {
		out := must[*ecsapi.ListTasksOutput](t)(e.s.ListTasks(e.ctx, &ecsapi.ListTasksInput{Cluster: ptr("c1"), MaxResults: ptr(int32(1)), NextToken: next}))
		all = append(all, out.TaskArns...)
		if next = out.NextToken; next == nil {
			break
		}
	}
	if len(all) != 2 {
		t.Errorf("paged ListTasks = %v", all)
	}
}

func TestService_DescribeTasks_Failures(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	missing := fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/c1/%032x", 7)
	out := must[*ecsapi.DescribeTasksOutput](t)(e.s.DescribeTasks(e.ctx, &ecsapi.DescribeTasksInput{Cluster: ptr("c1"), Tasks: []string{missing}}))
	if diff := cmp.Diff([]ecsapi.Failure{{Arn: ptr(missing), Reason: ptr("MISSING")}}, out.Failures); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}

func TestService_PassRole_Denied(t *testing.T) {
	role := "arn:aws:iam::123456789012:role/app"
	e := newEnv(t, withPassRole(fakePassRole{}))
	e.cluster("c1")
	e.instance("c1", 4096, 8192, ecsapi.Attribute{Name: ptr(capTaskIAMRole)})
	must[*ecsapi.RegisterTaskDefinitionOutput](t)(e.s.RegisterTaskDefinition(e.ctx, &ecsapi.RegisterTaskDefinitionInput{
		Family: ptr("r"), TaskRoleArn: ptr(role),
		ContainerDefinitions: []ecsapi.ContainerDefinition{{Name: ptr("c"), Image: ptr("i"), Memory: ptr(int32(64))}},
	}))
	_, err := e.s.RunTask(e.ctx, &ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("r")})
	wantCode(t, err, "AccessDeniedException", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:PassRole on resource: "+role)
	_, err = e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr("c1"), ServiceName: ptr("s"), TaskDefinition: ptr("r"), DesiredCount: ptr(int32(1))})
	wantCode(t, err, "AccessDeniedException", "")

	e2 := newEnv(t, withPassRole(fakePassRole{allowed: map[string]bool{role: true}}))
	e2.cluster("c1")
	e2.instance("c1", 4096, 8192, ecsapi.Attribute{Name: ptr(capTaskIAMRole)})
	must[*ecsapi.RegisterTaskDefinitionOutput](t)(e2.s.RegisterTaskDefinition(e2.ctx, &ecsapi.RegisterTaskDefinitionInput{
		Family: ptr("r"), TaskRoleArn: ptr(role),
		ContainerDefinitions: []ecsapi.ContainerDefinition{{Name: ptr("c"), Image: ptr("i"), Memory: ptr(int32(64))}},
	}))
	if out := e2.runTask(&ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("r")}); len(out.Tasks) != 1 {
		t.Errorf("RunTask with PassRole allowed: %+v", out.Failures)
	}
}
