// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

func (e *testEnv) describeService(cluster, name string) ecsapi.Service {
	e.t.Helper()
	out := must[*ecsapi.DescribeServicesOutput](e.t)(e.s.DescribeServices(e.ctx, &ecsapi.DescribeServicesInput{Cluster: ptr(cluster), Services: []string{name}}))
	if len(out.Services) != 1 {
		e.t.Fatalf("DescribeServices %s: %+v", name, out.Failures)
	}
	return out.Services[0]
}

// serviceTasks lists a service's tasks with desired status RUNNING.
func (e *testEnv) serviceTasks(cluster, name string) []ecsapi.Task {
	e.t.Helper()
	list := must[*ecsapi.ListTasksOutput](e.t)(e.s.ListTasks(e.ctx, &ecsapi.ListTasksInput{Cluster: ptr(cluster), ServiceName: ptr(name)}))
	if len(list.TaskArns) == 0 {
		return nil
	}
	return must[*ecsapi.DescribeTasksOutput](e.t)(e.s.DescribeTasks(e.ctx, &ecsapi.DescribeTasksInput{Cluster: ptr(cluster), Tasks: list.TaskArns})).Tasks
}

// runAll reports every PENDING task of a service RUNNING, as agents would.
func (e *testEnv) runAll(cluster, name string) {
	e.t.Helper()
	for _, task := range e.serviceTasks(cluster, name) {
		if deref(task.LastStatus) == "PENDING" {
			e.report(cluster, deref(task.TaskArn), "RUNNING")
		}
	}
}

// stopRequested reports STOPPED for every task the controller asked to
// stop, as agents would.
func (e *testEnv) stopRequested(cluster, name string) int {
	e.t.Helper()
	list := must[*ecsapi.ListTasksOutput](e.t)(e.s.ListTasks(e.ctx, &ecsapi.ListTasksInput{Cluster: ptr(cluster), ServiceName: ptr(name), DesiredStatus: ptr("STOPPED")}))
	n := 0
	for _, arn := range list.TaskArns {
		if t := e.describeTask(cluster, arn); deref(t.LastStatus) != "STOPPED" {
			e.report(cluster, arn, "STOPPED")
			n++
		}
	}
	return n
}

func TestService_Service_KeepsDesiredCount(t *testing.T) {
	e := newEnv(t)
	e.run()
	e.cluster("c1")
	for range 3 {
		e.instance("c1", 2048, 4096)
	}
	e.taskDef("web", 256, 256)
	created := must[*ecsapi.CreateServiceOutput](t)(e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr("c1"),
		ServiceName: ptr("web"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(3)),
		PlacementStrategy: []ecsapi.PlacementStrategy{{Type: ptr("spread"), Field: ptr("instanceId")}}}))
	if got := deref(created.Service.ServiceArn); got != "arn:aws:ecs:us-east-1:123456789012:service/c1/web" {
		t.Errorf("service ARN %s", got)
	}
	eventually(t, "3 tasks", func() bool { return len(e.serviceTasks("c1", "web")) == 3 })
	perInstance := map[string]int{}
	for _, task := range e.serviceTasks("c1", "web") {
		perInstance[deref(task.ContainerInstanceArn)]++
		if deref(task.Group) != "service:web" || !strings.HasPrefix(deref(task.StartedBy), "ecs-svc/") {
			t.Errorf("task group %s startedBy %s", deref(task.Group), deref(task.StartedBy))
		}
	}
	if len(perInstance) != 3 {
		t.Errorf("service tasks not spread: %v", perInstance)
	}
	e.runAll("c1", "web")
	eventually(t, "steady state", func() bool {
		svc := e.describeService("c1", "web")
		return *svc.RunningCount == 3 && len(svc.Events) > 0 && strings.HasSuffix(deref(svc.Events[0].Message), "has reached a steady state.")
	})
	svc := e.describeService("c1", "web")
	if d := svc.Deployments; len(d) != 1 || deref(d[0].Status) != "PRIMARY" || deref(d[0].RolloutState) != "COMPLETED" || *d[0].RunningCount != 3 {
		t.Errorf("deployments = %+v", d)
	}

	// A task dies: the controller replaces it.
	dead := deref(e.serviceTasks("c1", "web")[0].TaskArn)
	e.report("c1", dead, "STOPPED", ecsapi.ContainerStateChange{ContainerName: ptr("app"), Status: ptr("STOPPED"), ExitCode: ptr(int32(1))})
	eventually(t, "a replacement", func() bool {
		tasks := e.serviceTasks("c1", "web")
		if len(tasks) != 3 {
			return false
		}
		for _, task := range tasks {
			if deref(task.TaskArn) == dead {
				return false
			}
		}
		return true
	})
	if d := e.describeTask("c1", dead); deref(d.StopCode) != "EssentialContainerExited" {
		t.Errorf("dead task stop code %s", deref(d.StopCode))
	}

	// Scale down to 1.
	e.runAll("c1", "web")
	must[*ecsapi.UpdateServiceOutput](t)(e.s.UpdateService(e.ctx, &ecsapi.UpdateServiceInput{Cluster: ptr("c1"), Service: ptr("web"), DesiredCount: ptr(int32(1))}))
	eventually(t, "scale down", func() bool { return len(e.serviceTasks("c1", "web")) == 1 })
	e.stopRequested("c1", "web")
}

func TestService_Service_RollingDeployment(t *testing.T) {
	e := newEnv(t) // no background controller: the test drives each step
	e.cluster("c1")
	for range 2 {
		e.instance("c1", 4096, 8192)
	}
	e.taskDef("web", 128, 128)
	must[*ecsapi.CreateServiceOutput](t)(e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr("c1"),
		ServiceName: ptr("web"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(4)),
		DeploymentConfiguration: &ecsapi.DeploymentConfiguration{MinimumHealthyPercent: ptr(int32(50)), MaximumPercent: ptr(int32(150))}}))
	must[struct{}](t)(struct{}{}, e.s.reconcile(e.ctx, "c1/web"))
	e.runAll("c1", "web")
	v2 := e.taskDef("web", 128, 128)
	up := must[*ecsapi.UpdateServiceOutput](t)(e.s.UpdateService(e.ctx, &ecsapi.UpdateServiceInput{Cluster: ptr("c1"), Service: ptr("web"), TaskDefinition: ptr("web:2")}))
	if len(up.Service.Deployments) != 2 || deref(up.Service.Deployments[0].TaskDefinition) != v2 {
		t.Fatalf("deployments after update = %+v", up.Service.Deployments)
	}
	// Drive the rollout: agents run new tasks and stop the old ones.
	// Never fewer than 2 RUNNING (50%), never more than 6 tasks (150%).
	for round := 0; ; round++ {
		if round > 200 {
			t.Fatal("rollout did not finish")
		}
		svc := e.describeService("c1", "web")
		if *svc.RunningCount < 2 {
			t.Fatalf("running %d < minimum healthy 2", *svc.RunningCount)
		}
		if *svc.RunningCount+*svc.PendingCount > 6 {
			t.Fatalf("%d tasks > maximum 6", *svc.RunningCount+*svc.PendingCount)
		}
		if len(svc.Deployments) == 1 && *svc.RunningCount == 4 && deref(svc.Deployments[0].RolloutState) == "COMPLETED" {
			break
		}
		e.runAll("c1", "web")
		e.stopRequested("c1", "web")
		_ = e.s.reconcile(e.ctx, "c1/web")
	}
	for _, task := range e.serviceTasks("c1", "web") {
		if deref(task.TaskDefinitionArn) != v2 {
			t.Errorf("task %s runs %s after the rollout", deref(task.TaskArn), deref(task.TaskDefinitionArn))
		}
	}
}

func TestService_Service_DrainingInstance(t *testing.T) {
	e := newEnv(t) // no background controller: the test drives each step
	e.cluster("c1")
	a := e.instance("c1", 4096, 8192)
	must[*ecsapi.CreateServiceOutput](t)(e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr("c1"),
		ServiceName: ptr("web"), TaskDefinition: ptr(e.taskDef("web", 128, 128)), DesiredCount: ptr(int32(2))}))
	must[struct{}](t)(struct{}{}, e.s.reconcile(e.ctx, "c1/web"))
	e.runAll("c1", "web")
	b := e.instance("c1", 4096, 8192)
	must[*ecsapi.UpdateContainerInstancesStateOutput](t)(e.s.UpdateContainerInstancesState(e.ctx,
		&ecsapi.UpdateContainerInstancesStateInput{Cluster: ptr("c1"), ContainerInstances: []string{a}, Status: ptr("DRAINING")}))
	for round := 0; ; round++ {
		if round > 200 {
			t.Fatal("draining did not move the tasks")
		}
		tasks := e.serviceTasks("c1", "web")
		moved := len(tasks) == 2
		for _, task := range tasks {
			moved = moved && deref(task.ContainerInstanceArn) == b && deref(task.LastStatus) == "RUNNING"
		}
		if moved {
			break
		}
		e.runAll("c1", "web")
		e.stopRequested("c1", "web")
		_ = e.s.reconcile(e.ctx, "c1/web")
	}
}

func TestService_Service_Errors(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	e.instance("c1", 1024, 1024)
	e.taskDef("web", 128, 128)
	must[*ecsapi.CreateServiceOutput](t)(e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr("c1"),
		ServiceName: ptr("web"), TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1)), ClientToken: ptr("t1")}))
	// Same token: the same service; another: not idempotent.
	if _, err := e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr("c1"), ServiceName: ptr("web"),
		TaskDefinition: ptr("web"), DesiredCount: ptr(int32(1)), ClientToken: ptr("t1")}); err != nil {
		t.Errorf("retried CreateService: %v", err)
	}
	_, err := e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr("c1"), ServiceName: ptr("web"), TaskDefinition: ptr("web")})
	wantCode(t, err, "InvalidParameterException", "Creation of service was not idempotent.")
	_, err = e.s.DeleteService(e.ctx, &ecsapi.DeleteServiceInput{Cluster: ptr("c1"), Service: ptr("web")})
	wantCode(t, err, "InvalidParameterException", "The service cannot be stopped while it is scaled above 0.")
	_, err = e.s.UpdateService(e.ctx, &ecsapi.UpdateServiceInput{Cluster: ptr("c1"), Service: ptr("nope")})
	wantCode(t, err, "ServiceNotFoundException", "Service not found.")
	d := must[*ecsapi.DeleteServiceOutput](t)(e.s.DeleteService(e.ctx, &ecsapi.DeleteServiceInput{Cluster: ptr("c1"), Service: ptr("web"), Force: ptr(true)}))
	if deref(d.Service.Status) != "DRAINING" {
		t.Errorf("deleted service status %s", deref(d.Service.Status))
	}
	_, err = e.s.UpdateService(e.ctx, &ecsapi.UpdateServiceInput{Cluster: ptr("c1"), Service: ptr("web"), DesiredCount: ptr(int32(2))})
	wantCode(t, err, "ServiceNotActiveException", "Service was not ACTIVE.")
	_, err = e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr("c1"), ServiceName: ptr("x"), TaskDefinition: ptr("web"),
		PlacementStrategy: []ecsapi.PlacementStrategy{{Type: ptr("binpack"), Field: ptr("disk")}}})
	wantCode(t, err, "InvalidParameterException", "")
	list := must[*ecsapi.ListServicesOutput](t)(e.s.ListServices(e.ctx, &ecsapi.ListServicesInput{Cluster: ptr("c1")}))
	if len(list.ServiceArns) != 1 {
		t.Errorf("ListServices = %v", list.ServiceArns)
	}
}
