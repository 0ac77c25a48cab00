// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"fmt"
	"slices"
	"testing"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

// daemonPerInstance returns a DAEMON service's tasks with desired status
// RUNNING, counted by container instance ARN.
func (e *testEnv) daemonPerInstance(cluster, name string) map[string]int {
	e.t.Helper()
	out := map[string]int{}
	for _, task := range e.serviceTasks(cluster, name) {
		if deref(task.DesiredStatus) == "RUNNING" {
			out[deref(task.ContainerInstanceArn)]++
		}
	}
	return out
}

func (e *testEnv) createDaemon(cluster, name, taskDef string, cs ...ecsapi.PlacementConstraint) ecsapi.Service {
	e.t.Helper()
	return *must[*ecsapi.CreateServiceOutput](e.t)(e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr(cluster),
		ServiceName: ptr(name), TaskDefinition: ptr(taskDef), SchedulingStrategy: ptr("DAEMON"), PlacementConstraints: cs})).Service
}

// onEach reports whether the service runs one task (desired RUNNING) on
// each of arns and nowhere else.
func (e *testEnv) onEach(cluster, name string, arns ...string) bool {
	got := e.daemonPerInstance(cluster, name)
	if len(got) != len(arns) {
		return false
	}
	for _, a := range arns {
		if got[a] != 1 {
			return false
		}
	}
	return true
}

func TestService_Daemon_OnePerInstance(t *testing.T) {
	e := newEnv(t)
	e.run()
	e.cluster("c1")
	a, b := e.instance("c1", 1024, 2048), e.instance("c1", 1024, 2048)
	e.taskDef("agent", 128, 128)
	created := e.createDaemon("c1", "agent", "agent")
	if deref(created.SchedulingStrategy) != "DAEMON" || deref32(created.DesiredCount) != 2 {
		t.Errorf("created: strategy %s desired %d, want DAEMON 2", deref(created.SchedulingStrategy), deref32(created.DesiredCount))
	}
	dc := created.DeploymentConfiguration
	if deref32(dc.MaximumPercent) != 100 || deref32(dc.MinimumHealthyPercent) != 0 {
		t.Errorf("deployment configuration %d/%d, want 100/0", deref32(dc.MaximumPercent), deref32(dc.MinimumHealthyPercent))
	}
	eventually(t, "a task on each instance", func() bool { return e.onEach("c1", "agent", a, b) })
	e.runAll("c1", "agent")
	eventually(t, "steady state", func() bool {
		svc := e.describeService("c1", "agent")
		return len(svc.Events) > 0 && deref(svc.Events[0].Message) == "(service agent) has reached a steady state." &&
			deref32(svc.RunningCount) == 2 && deref(svc.Deployments[0].RolloutState) == "COMPLETED"
	})

	// A new instance gets a task; desiredCount follows.
	c := e.instance("c1", 1024, 2048)
	eventually(t, "a task on the new instance", func() bool { return e.onEach("c1", "agent", a, b, c) })
	eventually(t, "desired 3", func() bool { return deref32(e.describeService("c1", "agent").DesiredCount) == 3 })

	// A stopped task is replaced on the same instance.
	var onA string
	for _, task := range e.serviceTasks("c1", "agent") {
		if deref(task.ContainerInstanceArn) == a && deref(task.DesiredStatus) == "RUNNING" {
			onA = deref(task.TaskArn)
		}
	}
	e.report("c1", onA, "STOPPED")
	eventually(t, "a replacement on the same instance", func() bool {
		for _, task := range e.serviceTasks("c1", "agent") {
			if deref(task.ContainerInstanceArn) == a && deref(task.DesiredStatus) == "RUNNING" && deref(task.TaskArn) != onA {
				return true
			}
		}
		return false
	})

	// A DRAINING instance's task stops and is not replaced.
	must[*ecsapi.UpdateContainerInstancesStateOutput](t)(e.s.UpdateContainerInstancesState(e.ctx,
		&ecsapi.UpdateContainerInstancesStateInput{Cluster: ptr("c1"), ContainerInstances: []string{b}, Status: ptr("DRAINING")}))
	eventually(t, "no task on the draining instance", func() bool { return e.onEach("c1", "agent", a, c) })
	eventually(t, "desired 2", func() bool { return deref32(e.describeService("c1", "agent").DesiredCount) == 2 })
	e.stopRequested("c1", "agent")
	e.runAll("c1", "agent")
	eventually(t, "steady again", func() bool {
		svc := e.describeService("c1", "agent")
		return deref32(svc.RunningCount) == 2 && deref32(svc.PendingCount) == 0 &&
			deref(svc.Events[0].Message) == "(service agent) has reached a steady state."
	})
	if !e.onEach("c1", "agent", a, c) {
		t.Errorf("tasks %v, want one on each of %s %s", e.daemonPerInstance("c1", "agent"), a, c)
	}

	// Reactivated, it gets one again.
	must[*ecsapi.UpdateContainerInstancesStateOutput](t)(e.s.UpdateContainerInstancesState(e.ctx,
		&ecsapi.UpdateContainerInstancesStateInput{Cluster: ptr("c1"), ContainerInstances: []string{b}, Status: ptr("ACTIVE")}))
	eventually(t, "a task on the reactivated instance", func() bool { return e.onEach("c1", "agent", a, b, c) })

	// Listed under DAEMON, not REPLICA.
	list := func(st string) []string {
		return must[*ecsapi.ListServicesOutput](t)(e.s.ListServices(e.ctx, &ecsapi.ListServicesInput{Cluster: ptr("c1"), SchedulingStrategy: ptr(st)})).ServiceArns
	}
	if got := list("DAEMON"); len(got) != 1 {
		t.Errorf("ListServices DAEMON = %v", got)
	}
	if got := list("REPLICA"); len(got) != 0 {
		t.Errorf("ListServices REPLICA = %v", got)
	}
}

func TestService_Daemon_Constraint(t *testing.T) {
	e := newEnv(t)
	e.run()
	e.cluster("c1")
	role := func(v string) ecsapi.Attribute { return ecsapi.Attribute{Name: ptr("role"), Value: ptr(v)} }
	web1, _, web2 := e.instance("c1", 1024, 2048, role("web")), e.instance("c1", 1024, 2048, role("db")), e.instance("c1", 1024, 2048, role("web"))
	e.taskDef("agent", 128, 128)
	created := e.createDaemon("c1", "agent", "agent", ecsapi.PlacementConstraint{Type: ptr("memberOf"), Expression: ptr("attribute:role == web")})
	if deref32(created.DesiredCount) != 2 {
		t.Errorf("desired %d, want 2", deref32(created.DesiredCount))
	}
	eventually(t, "tasks on the web instances only", func() bool { return e.onEach("c1", "agent", web1, web2) })
	// An instance that stops matching loses its task.
	must[*ecsapi.PutAttributesOutput](t)(e.s.PutAttributes(e.ctx, &ecsapi.PutAttributesInput{Cluster: ptr("c1"),
		Attributes: []ecsapi.Attribute{{Name: ptr("role"), Value: ptr("db"), TargetType: ptr("container-instance"), TargetId: ptr(web2)}}}))
	eventually(t, "task on web1 only", func() bool { return e.onEach("c1", "agent", web1) })
	// A deregistered instance's task stops and is not placed elsewhere.
	must[*ecsapi.DeregisterContainerInstanceOutput](t)(e.s.DeregisterContainerInstance(e.ctx,
		&ecsapi.DeregisterContainerInstanceInput{Cluster: ptr("c1"), ContainerInstance: ptr(web1), Force: ptr(true)}))
	eventually(t, "no task, desired 0", func() bool {
		return len(e.daemonPerInstance("c1", "agent")) == 0 && deref32(e.describeService("c1", "agent").DesiredCount) == 0
	})
}

func TestService_Daemon_RollingUpdate(t *testing.T) {
	e := newEnv(t)
	e.run()
	e.cluster("c1")
	// Each instance has room for both versions: maximumPercent 100, not
	// the resources, makes the update stop before it starts.
	a, b := e.instance("c1", 1024, 1024), e.instance("c1", 1024, 1024)
	v1 := e.taskDef("agent", 256, 256)
	e.createDaemon("c1", "agent", "agent")
	eventually(t, "v1 on each", func() bool { return e.onEach("c1", "agent", a, b) })
	e.runAll("c1", "agent")
	eventually(t, "running", func() bool { return deref32(e.describeService("c1", "agent").RunningCount) == 2 })
	v2 := e.taskDef("agent", 256, 256)
	upd := must[*ecsapi.UpdateServiceOutput](t)(e.s.UpdateService(e.ctx, &ecsapi.UpdateServiceInput{Cluster: ptr("c1"), Service: ptr("agent"), TaskDefinition: ptr(v2)}))
	if n := len(upd.Service.Deployments); n != 2 || deref(upd.Service.Deployments[0].TaskDefinition) != v2 ||
		deref(upd.Service.Deployments[1].TaskDefinition) != v1 || deref32(upd.Service.Deployments[0].DesiredCount) != 2 {
		t.Fatalf("deployments after update: %d, %+v", n, upd.Service.Deployments)
	}
	// minimumHealthyPercent 0, maximumPercent 100: both v1 tasks stop first.
	eventually(t, "v1 tasks asked to stop", func() bool { return len(e.daemonPerInstance("c1", "agent")) == 0 })
	for _, task := range e.serviceTasks("c1", "agent") {
		if deref(task.TaskDefinitionArn) == v2 {
			t.Fatalf("v2 task %s started before v1 stopped", deref(task.TaskArn))
		}
	}
	e.stopRequested("c1", "agent")
	eventually(t, "v2 on each", func() bool { return e.onEach("c1", "agent", a, b) })
	for _, task := range e.serviceTasks("c1", "agent") {
		if deref(task.DesiredStatus) == "RUNNING" && deref(task.TaskDefinitionArn) != v2 {
			t.Errorf("task %s runs %s, want %s", deref(task.TaskArn), deref(task.TaskDefinitionArn), v2)
		}
	}
	e.runAll("c1", "agent")
	eventually(t, "deployment completed", func() bool {
		svc := e.describeService("c1", "agent")
		return len(svc.Deployments) == 1 && deref(svc.Deployments[0].RolloutState) == "COMPLETED" &&
			slices.ContainsFunc(svc.Events, func(ev ecsapi.ServiceEvent) bool {
				return deref(ev.Message) == fmt.Sprintf("(service agent) (deployment %s) deployment completed.", deref(svc.Deployments[0].Id))
			})
	})
	// DeleteService needs no force: the service drains and goes INACTIVE.
	must[*ecsapi.DeleteServiceOutput](t)(e.s.DeleteService(e.ctx, &ecsapi.DeleteServiceInput{Cluster: ptr("c1"), Service: ptr("agent")}))
	eventually(t, "tasks asked to stop", func() bool { return len(e.daemonPerInstance("c1", "agent")) == 0 })
	e.stopRequested("c1", "agent")
	eventually(t, "INACTIVE", func() bool { return deref(e.describeService("c1", "agent").Status) == "INACTIVE" })
}

func TestService_Daemon_Errors(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	e.taskDef("agent", 128, 128)
	_, err := e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr("c1"), ServiceName: ptr("d"), TaskDefinition: ptr("agent"),
		SchedulingStrategy: ptr("DAEMON"), DesiredCount: ptr(int32(1))})
	wantCode(t, err, "InvalidParameterException", msgDaemonDesired)
	_, err = e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr("c1"), ServiceName: ptr("d"), TaskDefinition: ptr("agent"),
		SchedulingStrategy: ptr("DAEMON"), PlacementStrategy: []ecsapi.PlacementStrategy{{Type: ptr("spread"), Field: ptr("instanceId")}}})
	wantCode(t, err, "InvalidParameterException", msgDaemonStrategies)
	_, err = e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr("c1"), ServiceName: ptr("d"), TaskDefinition: ptr("agent"),
		SchedulingStrategy: ptr("SOMETIMES")})
	wantCode(t, err, "InvalidParameterException", "")
	// Nothing was created.
	out := must[*ecsapi.DescribeServicesOutput](t)(e.s.DescribeServices(e.ctx, &ecsapi.DescribeServicesInput{Cluster: ptr("c1"), Services: []string{"d"}}))
	if len(out.Services) != 0 {
		t.Fatalf("refused CreateService created %+v", out.Services)
	}
	e.createDaemon("c1", "d", "agent")
	_, err = e.s.UpdateService(e.ctx, &ecsapi.UpdateServiceInput{Cluster: ptr("c1"), Service: ptr("d"), DesiredCount: ptr(int32(2))})
	wantCode(t, err, "InvalidParameterException", msgDaemonDesired)
	_, err = e.s.UpdateService(e.ctx, &ecsapi.UpdateServiceInput{Cluster: ptr("c1"), Service: ptr("d"),
		PlacementStrategy: []ecsapi.PlacementStrategy{{Type: ptr("binpack"), Field: ptr("memory")}}})
	wantCode(t, err, "InvalidParameterException", msgDaemonStrategies)
	if svc := e.describeService("c1", "d"); deref32(svc.DesiredCount) != 0 || len(svc.PlacementStrategy) != 0 || deref(svc.SchedulingStrategy) != "DAEMON" {
		t.Errorf("after refused updates: desired %d strategy %v scheduling %s", deref32(svc.DesiredCount), svc.PlacementStrategy, deref(svc.SchedulingStrategy))
	}
}
