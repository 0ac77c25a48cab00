// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"testing"
	"time"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

func TestService_Collect_StoppedTasksAfterRetention(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	inst := e.instance("c1", 1024, 1024)
	e.taskDef("t", 128, 128)
	out := e.runTask(&ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("t"), Count: ptr(int32(2))})
	stopped, running := deref(out.Tasks[0].TaskArn), deref(out.Tasks[1].TaskArn)
	e.report("c1", stopped, "STOPPED")
	e.report("c1", running, "RUNNING")

	e.clock.Advance(59 * time.Minute)
	if err := e.s.collect(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.describeTask("c1", stopped) // still visible within the hour

	e.clock.Advance(2 * time.Minute)
	if err := e.s.collect(e.ctx); err != nil {
		t.Fatal(err)
	}
	d := must[*ecsapi.DescribeTasksOutput](t)(e.s.DescribeTasks(e.ctx, &ecsapi.DescribeTasksInput{Cluster: ptr("c1"), Tasks: []string{stopped, running}}))
	if len(d.Tasks) != 1 || deref(d.Tasks[0].TaskArn) != running || len(d.Failures) != 1 {
		t.Errorf("after the retention: tasks %d, failures %+v", len(d.Tasks), d.Failures)
	}

	must[*ecsapi.DeregisterContainerInstanceOutput](t)(e.s.DeregisterContainerInstance(e.ctx,
		&ecsapi.DeregisterContainerInstanceInput{Cluster: ptr("c1"), ContainerInstance: ptr(inst), Force: ptr(true)}))
	must[*ecsapi.DeleteClusterOutput](t)(e.s.DeleteCluster(e.ctx, &ecsapi.DeleteClusterInput{Cluster: ptr("c1")}))
	e.clock.Advance(61 * time.Minute)
	if err := e.s.collect(e.ctx); err != nil {
		t.Fatal(err)
	}
	c := must[*ecsapi.DescribeClustersOutput](t)(e.s.DescribeClusters(e.ctx, &ecsapi.DescribeClustersInput{Clusters: []string{"c1"}}))
	if len(c.Clusters) != 0 {
		t.Errorf("INACTIVE cluster kept past the retention: %+v", c.Clusters)
	}
	if _, err := e.s.t.instances.Get(e.ctx, storeID("c1", lastPathPart(inst))); !isNotFound(err) {
		t.Errorf("deregistered instance kept past the retention: %v", err)
	}
	if _, err := e.s.t.tasks.Get(e.ctx, storeID("c1", lastPathPart(running))); !isNotFound(err) {
		t.Errorf("forcibly stopped task kept past the retention: %v", err)
	}
}
