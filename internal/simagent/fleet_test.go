// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package simagent

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	acssrv "github.com/berthdev/berth/internal/acs"
	"github.com/berthdev/berth/internal/acs/acstest"
	"github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/testutil/poll"
)

func simTaskFor(inst string, i int) agentapi.Task {
	return agentapi.Task{
		TaskARN: fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/test/%032x", i), ClusterARN: acstest.ClusterARN("test"),
		Version: 1, DesiredStatus: "RUNNING", LastStatus: "PENDING",
		Definition: &ecsapi.TaskDefinition{Family: aws.String("web"), Revision: aws.Int32(1), ContainerDefinitions: []ecsapi.ContainerDefinition{{
			Name: aws.String("web"), Image: aws.String("busybox"), PortMappings: []ecsapi.PortMapping{{ContainerPort: aws.Int32(80)}},
		}}},
		HostPorts: map[string]int32{"web/80/tcp": int32(40000 + i)},
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 20*time.Second, what, cond)
}

// TestFleet_Lifecycle runs 50 simulated instances against the ACS server:
// each registers (AZs spread), connects, reports its task PENDING then
// RUNNING with the scheduler's host port, stops it on request with the
// stop exit code, and a task with a run duration exits on its own.
func TestFleet_Lifecycle(t *testing.T) {
	const n = 50
	p := acstest.NewPlane(t, acstest.Options{Config: acssrv.Config{ResendInterval: 500 * time.Millisecond}})
	f, err := New(Config{
		Endpoint: p.URL, Cluster: "test", Count: n, AZs: []string{"us-east-1a", "us-east-1b", "us-east-1c"},
		Attributes: map[string]string{"stack": "sim"}, StopExitCode: 143, ProgressInterval: -1,
		Session: acs.SessionConfig{MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond},
	}, Deps{AWS: p.AWSConfig(""), Logger: acstest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := f.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	defer func() { cancel(); wg.Wait() }()
	eventually(t, "every instance connected", func() bool { s := f.Stats(); return s.Registered == n && s.Connected == n })

	azs := map[string]int{}
	for _, r := range p.ECS.Registrations() {
		for _, a := range r.Attributes {
			if aws.ToString(a.Name) == "ecs.availability-zone" {
				azs[aws.ToString(a.Value)]++
			}
		}
	}
	if diff := cmp.Diff(map[string]int{"us-east-1a": 17, "us-east-1b": 17, "us-east-1c": 16}, azs); diff != "" {
		t.Errorf("availability zones (-want +got):\n%s", diff)
	}

	insts := f.Instances()
	for i, inst := range insts {
		p.Backend.SetTasks(inst, simTaskFor(inst, i))
	}
	eventually(t, "every task RUNNING", func() bool { return f.Stats().TasksRunning == n })
	statuses := map[string][]string{}
	for _, ch := range p.ECS.Changes() {
		task := aws.ToString(ch.Task)
		statuses[task] = append(statuses[task], aws.ToString(ch.Status))
		if aws.ToString(ch.Status) == "RUNNING" {
			nb := ch.Containers[0].NetworkBindings
			if len(nb) != 1 || aws.ToInt32(nb[0].HostPort) < 40000 || aws.ToInt32(nb[0].ContainerPort) != 80 {
				t.Errorf("%s RUNNING bindings = %+v", task, nb)
			}
		}
	}
	for task, st := range statuses {
		if diff := cmp.Diff([]string{"PENDING", "RUNNING"}, st); diff != "" {
			t.Errorf("%s statuses (-want +got):\n%s", task, diff)
		}
	}

	// Stop the first task: it reports STOPPED with the stop exit code.
	first := simTaskFor(insts[0], 0)
	p.Backend.UpdateTask(insts[0], first.TaskARN, func(t *agentapi.Task) { t.DesiredStatus = "STOPPED" })
	eventually(t, "the stopped task reported", func() bool { return f.Stats().TasksStopped == 1 })
	var stopped *ecsapi.SubmitTaskStateChangeInput
	for _, ch := range p.ECS.Changes() {
		if aws.ToString(ch.Task) == first.TaskARN && aws.ToString(ch.Status) == "STOPPED" {
			stopped = ch
		}
	}
	if stopped == nil || aws.ToInt32(stopped.Containers[0].ExitCode) != 143 {
		t.Fatalf("STOPPED change = %+v", stopped)
	}
	if s := f.Stats(); s.TasksRunning != n-1 || s.SubmitErrors != 0 {
		t.Errorf("stats = %+v", s)
	}
}

// TestFleet_RunDuration: tasks exit on their own with the exit code.
func TestFleet_RunDuration(t *testing.T) {
	p := acstest.NewPlane(t, acstest.Options{})
	f, err := New(Config{Endpoint: p.URL, Cluster: "test", Count: 2, RunDuration: 100 * time.Millisecond, ExitCode: 3,
		SkipPending: true, ProgressInterval: -1}, Deps{AWS: p.AWSConfig(""), Logger: acstest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = f.Run(ctx) }()
	defer func() { cancel(); <-done }()
	eventually(t, "instances connected", func() bool { return f.Stats().Connected == 2 })
	for i, inst := range f.Instances() {
		p.Backend.SetTasks(inst, simTaskFor(inst, i))
	}
	eventually(t, "tasks exited", func() bool { return f.Stats().TasksStopped == 2 })
	var got []string
	for _, ch := range p.ECS.Changes() {
		s := aws.ToString(ch.Status)
		if s == "STOPPED" {
			s += fmt.Sprintf(" %d %s", aws.ToInt32(ch.Containers[0].ExitCode), aws.ToString(ch.Reason))
		}
		got = append(got, s)
	}
	want := []string{"RUNNING", "RUNNING", "STOPPED 3 Essential container in task exited", "STOPPED 3 Essential container in task exited"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}
