// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

func TestService_CreateCluster_Idempotent(t *testing.T) {
	e := newEnv(t)
	first := must[*ecsapi.CreateClusterOutput](t)(e.s.CreateCluster(e.ctx, &ecsapi.CreateClusterInput{ClusterName: ptr("c1"),
		Tags: []ecsapi.Tag{{Key: ptr("team"), Value: ptr("a")}}}))
	if got, want := deref(first.Cluster.ClusterArn), "arn:aws:ecs:us-east-1:123456789012:cluster/c1"; got != want {
		t.Errorf("ARN = %s, want %s", got, want)
	}
	again := must[*ecsapi.CreateClusterOutput](t)(e.s.CreateCluster(e.ctx, &ecsapi.CreateClusterInput{ClusterName: ptr("c1")}))
	if diff := cmp.Diff(first.Cluster.Tags, again.Cluster.Tags); diff != "" {
		t.Errorf("a second CreateCluster changed the cluster (-first +second):\n%s", diff)
	}
	def := must[*ecsapi.CreateClusterOutput](t)(e.s.CreateCluster(e.ctx, &ecsapi.CreateClusterInput{}))
	if deref(def.Cluster.ClusterName) != "default" {
		t.Errorf("unnamed cluster = %s, want default", deref(def.Cluster.ClusterName))
	}
	_, err := e.s.CreateCluster(e.ctx, &ecsapi.CreateClusterInput{ClusterName: ptr("bad name")})
	wantCode(t, err, "InvalidParameterException", "")
}

func TestService_DescribeClusters_CountsAndIncludes(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	e.instance("c1", 2048, 2048)
	e.instance("c1", 2048, 2048)
	e.taskDef("t", 128, 128)
	out := e.runTask(&ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("t"), Count: ptr(int32(3))})
	e.report("c1", deref(out.Tasks[0].TaskArn), "RUNNING")
	must[*ecsapi.TagResourceOutput](t)(e.s.TagResource(e.ctx, &ecsapi.TagResourceInput{ResourceArn: ptr("arn:aws:ecs:us-east-1:123456789012:cluster/c1"),
		Tags: []ecsapi.Tag{{Key: ptr("k"), Value: ptr("v")}}}))
	got := must[*ecsapi.DescribeClustersOutput](t)(e.s.DescribeClusters(e.ctx, &ecsapi.DescribeClustersInput{
		Clusters: []string{"c1", "arn:aws:ecs:us-east-1:123456789012:cluster/nope"}, Include: []string{"STATISTICS", "TAGS"}}))
	if len(got.Clusters) != 1 {
		t.Fatalf("clusters = %+v", got)
	}
	c := got.Clusters[0]
	counts := [4]int32{*c.RegisteredContainerInstancesCount, *c.RunningTasksCount, *c.PendingTasksCount, *c.ActiveServicesCount}
	if counts != [4]int32{2, 1, 2, 0} {
		t.Errorf("instances/running/pending/services = %v, want [2 1 2 0]", counts)
	}
	if diff := cmp.Diff([]ecsapi.Tag{{Key: ptr("k"), Value: ptr("v")}}, c.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	stats := map[string]string{}
	for _, kv := range c.Statistics {
		stats[deref(kv.Name)] = deref(kv.Value)
	}
	if stats["runningEC2TasksCount"] != "1" || stats["pendingEC2TasksCount"] != "2" {
		t.Errorf("statistics = %v", stats)
	}
	if diff := cmp.Diff([]ecsapi.Failure{{Arn: ptr("arn:aws:ecs:us-east-1:123456789012:cluster/nope"), Reason: ptr("MISSING")}}, got.Failures); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}

func TestService_DeleteCluster_Refused(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	inst := e.instance("c1", 1024, 1024)
	_, err := e.s.DeleteCluster(e.ctx, &ecsapi.DeleteClusterInput{Cluster: ptr("c1")})
	wantCode(t, err, "ClusterContainsContainerInstancesException", "The Cluster cannot be deleted while Container Instances are active or draining.")
	// Still ACTIVE and usable.
	if _, err := e.s.ListContainerInstances(e.ctx, &ecsapi.ListContainerInstancesInput{Cluster: ptr("c1")}); err != nil {
		t.Fatalf("cluster unusable after a refused delete: %v", err)
	}
	must[*ecsapi.DeregisterContainerInstanceOutput](t)(e.s.DeregisterContainerInstance(e.ctx,
		&ecsapi.DeregisterContainerInstanceInput{Cluster: ptr("c1"), ContainerInstance: ptr(inst)}))
	e.taskDef("t", 128, 128)
	must[*ecsapi.CreateServiceOutput](t)(e.s.CreateService(e.ctx, &ecsapi.CreateServiceInput{Cluster: ptr("c1"), ServiceName: ptr("s"), TaskDefinition: ptr("t")}))
	_, err = e.s.DeleteCluster(e.ctx, &ecsapi.DeleteClusterInput{Cluster: ptr("c1")})
	wantCode(t, err, "ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.")
	must[*ecsapi.DeleteServiceOutput](t)(e.s.DeleteService(e.ctx, &ecsapi.DeleteServiceInput{Cluster: ptr("c1"), Service: ptr("s")}))
	if err := e.s.reconcile(e.ctx, "c1/s"); err != nil { // no tasks: the DRAINING service becomes INACTIVE
		t.Fatal(err)
	}
	del := must[*ecsapi.DeleteClusterOutput](t)(e.s.DeleteCluster(e.ctx, &ecsapi.DeleteClusterInput{Cluster: ptr("c1")}))
	if deref(del.Cluster.Status) != "INACTIVE" {
		t.Errorf("deleted cluster status %s", deref(del.Cluster.Status))
	}
	_, err = e.s.RegisterContainerInstance(e.ctx, &ecsapi.RegisterContainerInstanceInput{Cluster: ptr("c1")})
	wantCode(t, err, "ClusterNotFoundException", "Cluster not found.")
	list := must[*ecsapi.ListClustersOutput](t)(e.s.ListClusters(e.ctx, &ecsapi.ListClustersInput{}))
	if len(list.ClusterArns) != 0 {
		t.Errorf("ListClusters after delete = %v", list.ClusterArns)
	}
	// INACTIVE clusters stay describable.
	d := must[*ecsapi.DescribeClustersOutput](t)(e.s.DescribeClusters(e.ctx, &ecsapi.DescribeClustersInput{Clusters: []string{"c1"}}))
	if len(d.Clusters) != 1 || deref(d.Clusters[0].Status) != "INACTIVE" {
		t.Errorf("DescribeClusters after delete = %+v", d)
	}
}

func TestService_ListClusters_Pagination(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		e.cluster(n)
	}
	var got []string
	var next *string
	for pages := 0; ; pages++ {
		out := must[*ecsapi.ListClustersOutput](t)(e.s.ListClusters(e.ctx, &ecsapi.ListClustersInput{MaxResults: ptr(int32(2)), NextToken: next}))
		got = append(got, out.ClusterArns...)
		if next = out.NextToken; next == nil {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	want := []string{}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		want = append(want, "arn:aws:ecs:us-east-1:123456789012:cluster/"+n)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err := e.s.ListClusters(e.ctx, &ecsapi.ListClustersInput{NextToken: ptr("garbage!")})
	wantCode(t, err, "InvalidParameterException", "")
}
