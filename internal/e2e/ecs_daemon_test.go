// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/simagent"
	"github.com/berthdev/berth/internal/testutil"
)

// daemonClient lists a cluster's service tasks through the SDK.
type daemonClient struct {
	t       *testing.T
	api     *ecs.Client
	cluster string
}

// tasks returns the service's tasks with the given desired status.
func (c daemonClient) tasks(service string, desired ecstypes.DesiredStatus) []ecstypes.Task {
	c.t.Helper()
	ctx := context.Background()
	l, err := c.api.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(c.cluster), ServiceName: aws.String(service), DesiredStatus: desired})
	if err != nil {
		c.t.Fatal(err)
	}
	var out []ecstypes.Task
	for chunk := range slices.Chunk(l.TaskArns, 100) {
		d, err := c.api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(c.cluster), Tasks: chunk})
		if err != nil {
			c.t.Fatal(err)
		}
		out = append(out, d.Tasks...)
	}
	return out
}

// runningOn reports whether the service runs exactly one RUNNING task on
// each of instances and no other task with desired status RUNNING.
func (c daemonClient) runningOn(service string, instances ...string) bool {
	ts := c.tasks(service, ecstypes.DesiredStatusRunning)
	if len(ts) != len(instances) {
		return false
	}
	seen := map[string]bool{}
	for _, tk := range ts {
		inst := aws.ToString(tk.ContainerInstanceArn)
		if !slices.Contains(instances, inst) || seen[inst] || aws.ToString(tk.LastStatus) != "RUNNING" {
			return false
		}
		seen[inst] = true
	}
	return true
}

func (c daemonClient) service(name string) ecstypes.Service {
	c.t.Helper()
	out, err := c.api.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(c.cluster), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		c.t.Fatalf("DescribeServices %s: %v %+v", name, err, out)
	}
	return out.Services[0]
}

func registerDaemonDef(t *testing.T, api *ecs.Client, family string) {
	t.Helper()
	if _, err := api.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{Family: aws.String(family),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("agent"), Image: aws.String("busybox"), Cpu: 64,
			Memory: aws.Int32(64)}}}); err != nil {
		t.Fatal(err)
	}
}

// TestSDK_ECS_DaemonService: a DAEMON service on simulated instances runs
// one task per instance (3, then 4 when an instance registers), stops and
// does not replace the task of a DRAINING instance, and a memberOf
// constraint limits a second daemon to the matching instances.
func TestSDK_ECS_DaemonService(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	api := ecs.NewFromConfig(cp.RootConfig())
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("dm")}); err != nil {
		t.Fatal(err)
	}
	c := daemonClient{t: t, api: api, cluster: "dm"}
	web := runFleet(t, simagent.Config{Endpoint: cp.URL, Cluster: "dm", Count: 3, Attributes: map[string]string{"role": "web"}}, cp.RootConfig())
	sdkWait(t, "3 instances connected", func() bool { return web.Stats().Connected == 3 })
	registerDaemonDef(t, api, "agent")
	_, err := api.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("dm"), ServiceName: aws.String("agent"),
		TaskDefinition: aws.String("agent"), SchedulingStrategy: ecstypes.SchedulingStrategyDaemon, DesiredCount: aws.Int32(3)})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterException" {
		t.Fatalf("DAEMON with desiredCount: %v, want InvalidParameterException", err)
	}
	out, err := api.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("dm"), ServiceName: aws.String("agent"),
		TaskDefinition: aws.String("agent"), SchedulingStrategy: ecstypes.SchedulingStrategyDaemon})
	if err != nil {
		t.Fatal(err)
	}
	if out.Service.SchedulingStrategy != ecstypes.SchedulingStrategyDaemon || out.Service.DesiredCount != 3 {
		t.Errorf("created: %s desired %d, want DAEMON 3", out.Service.SchedulingStrategy, out.Service.DesiredCount)
	}
	sdkWait(t, "one RUNNING task on each of the 3 instances", func() bool { return c.runningOn("agent", web.Instances()...) })
	sdkWait(t, "steady state", func() bool {
		s := c.service("agent")
		return s.RunningCount == 3 && len(s.Events) > 0 && aws.ToString(s.Events[0].Message) == "(service agent) has reached a steady state."
	})

	// A 4th instance registers (role db): it gets the daemon task.
	db := runFleet(t, simagent.Config{Endpoint: cp.URL, Cluster: "dm", Count: 1, Attributes: map[string]string{"role": "db"}}, cp.RootConfig())
	sdkWait(t, "the 4th instance connected", func() bool { return db.Stats().Connected == 1 })
	all := append(web.Instances(), db.Instances()...)
	sdkWait(t, "one RUNNING task on each of the 4 instances", func() bool { return c.runningOn("agent", all...) })
	sdkWait(t, "desiredCount 4", func() bool { return c.service("agent").DesiredCount == 4 })

	// A memberOf constraint: only the role=web instances.
	if _, err := api.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("dm"), ServiceName: aws.String("webonly"),
		TaskDefinition: aws.String("agent"), SchedulingStrategy: ecstypes.SchedulingStrategyDaemon,
		PlacementConstraints: []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeMemberOf,
			Expression: aws.String("attribute:role == web")}}}); err != nil {
		t.Fatal(err)
	}
	sdkWait(t, "webonly on the 3 web instances only", func() bool { return c.runningOn("webonly", web.Instances()...) })
	if s := c.service("webonly"); s.DesiredCount != 3 {
		t.Errorf("webonly desiredCount %d, want 3", s.DesiredCount)
	}

	// Drain one web instance: its task stops and is not replaced.
	drained := web.Instances()[0]
	var onDrained string
	for _, tk := range c.tasks("agent", ecstypes.DesiredStatusRunning) {
		if aws.ToString(tk.ContainerInstanceArn) == drained {
			onDrained = aws.ToString(tk.TaskArn)
		}
	}
	if _, err := api.UpdateContainerInstancesState(ctx, &ecs.UpdateContainerInstancesStateInput{Cluster: aws.String("dm"),
		ContainerInstances: []string{drained}, Status: ecstypes.ContainerInstanceStatusDraining}); err != nil {
		t.Fatal(err)
	}
	rest := slices.DeleteFunc(slices.Clone(all), func(a string) bool { return a == drained })
	sdkWait(t, "agent on the 3 other instances only", func() bool { return c.runningOn("agent", rest...) })
	sdkWait(t, "desiredCount 3 after draining", func() bool { return c.service("agent").DesiredCount == 3 })
	var d *ecs.DescribeTasksOutput
	sdkWait(t, "the drained instance's task STOPPED", func() bool {
		d, err = api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("dm"), Tasks: []string{onDrained}})
		return err == nil && len(d.Tasks) == 1 && aws.ToString(d.Tasks[0].LastStatus) == "STOPPED"
	})
	if d.Tasks[0].StopCode != ecstypes.TaskStopCodeServiceSchedulerInitiated {
		t.Errorf("drained task stopCode %s", d.Tasks[0].StopCode)
	}
	sdkWait(t, "steady state after draining", func() bool {
		s := c.service("agent")
		return s.RunningCount == 3 && s.PendingCount == 0 && aws.ToString(s.Events[0].Message) == "(service agent) has reached a steady state."
	})
	// Still not replaced, and nothing runs on the drained instance.
	for _, tk := range c.tasks("agent", ecstypes.DesiredStatusRunning) {
		if aws.ToString(tk.ContainerInstanceArn) == drained {
			t.Errorf("task %s placed on the DRAINING instance", aws.ToString(tk.TaskArn))
		}
	}
	l, err := api.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("dm"), SchedulingStrategy: ecstypes.SchedulingStrategyDaemon})
	if err != nil || len(l.ServiceArns) != 2 {
		t.Errorf("ListServices DAEMON = %v %v, want 2", err, l)
	}
}

// TestSDK_ECS_DaemonReplacesExitedTask: simulated daemon tasks that exit
// on their own (1 s after RUNNING) are each replaced on the instance they
// ran on, never with two live tasks on one instance.
func TestSDK_ECS_DaemonReplacesExitedTask(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	api := ecs.NewFromConfig(cp.RootConfig())
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("dx")}); err != nil {
		t.Fatal(err)
	}
	c := daemonClient{t: t, api: api, cluster: "dx"}
	f := runFleet(t, simagent.Config{Endpoint: cp.URL, Cluster: "dx", Count: 2, RunDuration: time.Second, ExitCode: 1}, cp.RootConfig())
	sdkWait(t, "2 instances connected", func() bool { return f.Stats().Connected == 2 })
	registerDaemonDef(t, api, "agent")
	if _, err := api.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("dx"), ServiceName: aws.String("agent"),
		TaskDefinition: aws.String("agent"), SchedulingStrategy: ecstypes.SchedulingStrategyDaemon}); err != nil {
		t.Fatal(err)
	}
	insts := f.Instances()
	sdkWait(t, "an exited task replaced on each instance", func() bool {
		exited := map[string]int{}
		for _, tk := range c.tasks("agent", ecstypes.DesiredStatusStopped) {
			if tk.StopCode == ecstypes.TaskStopCodeEssentialContainerExited && aws.ToString(tk.LastStatus) == "STOPPED" {
				exited[aws.ToString(tk.ContainerInstanceArn)]++
			}
		}
		live := map[string]int{}
		for _, tk := range c.tasks("agent", ecstypes.DesiredStatusRunning) {
			inst := aws.ToString(tk.ContainerInstanceArn)
			if !slices.Contains(insts, inst) {
				t.Fatalf("task %s on unknown instance %s", aws.ToString(tk.TaskArn), inst)
			}
			if live[inst]++; live[inst] > 1 {
				t.Fatalf("two live daemon tasks on %s", inst)
			}
		}
		// Each instance ran at least two tasks: an exited one and its
		// replacement (which may itself have exited since).
		for _, inst := range insts {
			if exited[inst] < 1 || exited[inst]+live[inst] < 2 {
				return false
			}
		}
		return true
	})
	if s := c.service("agent"); s.DesiredCount != 2 {
		t.Errorf("desiredCount %d, want 2", s.DesiredCount)
	}
}
