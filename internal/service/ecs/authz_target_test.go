// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/gateway"
)

func TestService_AuthzTarget(t *testing.T) {
	e := newEnv(t)
	must[*ecsapi.CreateClusterOutput](t)(e.s.CreateCluster(e.ctx, &ecsapi.CreateClusterInput{ClusterName: ptr("c1"),
		Tags: []ecsapi.Tag{{Key: ptr("env"), Value: ptr("prod")}}}))
	td := e.taskDef("web", 128, 128)
	const (
		arnPrefix = "arn:aws:ecs:us-east-1:123456789012:"
		c1        = arnPrefix + "cluster/c1"
		id        = "0123456789abcdef0123456789abcdef"
	)
	tests := []struct {
		op   string
		in   any
		want gateway.Target
	}{
		{"CreateCluster", &ecsapi.CreateClusterInput{ClusterName: ptr("new"), Tags: []ecsapi.Tag{{Key: ptr("team"), Value: ptr("a")}}},
			gateway.Target{Action: "ecs:CreateCluster", Resources: []string{arnPrefix + "cluster/new"},
				Context: map[string][]string{"aws:RequestTag/team": {"a"}, "aws:TagKeys": {"team"}},
				Extra: []gateway.Check{{Action: "ecs:TagResource", Resources: []string{arnPrefix + "cluster/new"},
					Context: map[string][]string{"aws:RequestTag/team": {"a"}, "aws:TagKeys": {"team"}, "ecs:CreateAction": {"CreateCluster"}}}}}},
		{"RunTask", &ecsapi.RunTaskInput{Cluster: ptr("c2"), TaskDefinition: ptr("web"), Tags: []ecsapi.Tag{{Key: ptr("k"), Value: ptr("")}}},
			gateway.Target{Action: "ecs:RunTask", Resources: []string{td},
				Context: map[string][]string{"ecs:cluster": {arnPrefix + "cluster/c2"}, "aws:RequestTag/k": {""}, "aws:TagKeys": {"k"}},
				Extra: []gateway.Check{{Action: "ecs:TagResource", Resources: []string{arnPrefix + "task/c2/*"},
					Context: map[string][]string{"aws:RequestTag/k": {""}, "aws:TagKeys": {"k"}, "ecs:CreateAction": {"RunTask"}}}}}},
		{"RegisterTaskDefinition", &ecsapi.RegisterTaskDefinitionInput{Family: ptr("tagged"), Tags: []ecsapi.Tag{{Key: ptr("k"), Value: ptr("v")}}},
			gateway.Target{Action: "ecs:RegisterTaskDefinition", Resources: []string{arnPrefix + "task-definition/tagged:*"},
				Context: map[string][]string{"aws:RequestTag/k": {"v"}, "aws:TagKeys": {"k"}, "ecs:privileged": {"false"}},
				Extra: []gateway.Check{{Action: "ecs:TagResource", Resources: []string{arnPrefix + "task-definition/tagged:*"},
					Context: map[string][]string{"aws:RequestTag/k": {"v"}, "aws:TagKeys": {"k"}, "ecs:CreateAction": {"RegisterTaskDefinition"}}}}}},
		{"CreateService", &ecsapi.CreateServiceInput{Cluster: ptr("c2"), ServiceName: ptr("ts"), Tags: []ecsapi.Tag{{Key: ptr("k"), Value: ptr("v")}}},
			gateway.Target{Action: "ecs:CreateService", Resources: []string{arnPrefix + "service/c2/ts"},
				Context: map[string][]string{"ecs:cluster": {arnPrefix + "cluster/c2"}, "aws:RequestTag/k": {"v"}, "aws:TagKeys": {"k"}},
				Extra: []gateway.Check{{Action: "ecs:TagResource", Resources: []string{arnPrefix + "service/c2/ts"},
					Context: map[string][]string{"aws:RequestTag/k": {"v"}, "aws:TagKeys": {"k"}, "ecs:CreateAction": {"CreateService"}}}}}},
		{"RegisterContainerInstance", &ecsapi.RegisterContainerInstanceInput{Cluster: ptr("c2"), Tags: []ecsapi.Tag{{Key: ptr("k"), Value: ptr("v")}}},
			gateway.Target{Action: "ecs:RegisterContainerInstance", Resources: []string{arnPrefix + "cluster/c2"},
				Context: map[string][]string{"aws:RequestTag/k": {"v"}, "aws:TagKeys": {"k"}},
				Extra: []gateway.Check{{Action: "ecs:TagResource", Resources: []string{arnPrefix + "container-instance/c2/*"},
					Context: map[string][]string{"aws:RequestTag/k": {"v"}, "aws:TagKeys": {"k"}, "ecs:CreateAction": {"RegisterContainerInstance"}}}}}},
		{"CreateCluster", &ecsapi.CreateClusterInput{}, gateway.Target{Action: "ecs:CreateCluster", Resources: []string{arnPrefix + "cluster/default"}}},
		{"ListClusters", &ecsapi.ListClustersInput{}, gateway.Target{Action: "ecs:ListClusters"}},
		{"DescribeClusters", &ecsapi.DescribeClustersInput{Clusters: []string{"c1"}},
			gateway.Target{Action: "ecs:DescribeClusters", Resources: []string{c1},
				Context: map[string][]string{"aws:ResourceTag/env": {"prod"}, "ecs:ResourceTag/env": {"prod"}}}},
		{"RegisterContainerInstance", &ecsapi.RegisterContainerInstanceInput{Cluster: ptr(c1)},
			gateway.Target{Action: "ecs:RegisterContainerInstance", Resources: []string{c1},
				Context: map[string][]string{"aws:ResourceTag/env": {"prod"}, "ecs:ResourceTag/env": {"prod"}}}},
		{"SubmitTaskStateChange", &ecsapi.SubmitTaskStateChangeInput{Cluster: ptr("other")},
			gateway.Target{Action: "ecs:SubmitTaskStateChange", Resources: []string{arnPrefix + "cluster/other"}}},
		{"DescribeContainerInstances", &ecsapi.DescribeContainerInstancesInput{Cluster: ptr("c2"), ContainerInstances: []string{id}},
			gateway.Target{Action: "ecs:DescribeContainerInstances", Resources: []string{arnPrefix + "container-instance/c2/" + id},
				Context: map[string][]string{"ecs:cluster": {arnPrefix + "cluster/c2"}}}},
		{"StopTask", &ecsapi.StopTaskInput{Task: ptr(arnPrefix + "task/c2/" + id)},
			gateway.Target{Action: "ecs:StopTask", Resources: []string{arnPrefix + "task/c2/" + id},
				Context: map[string][]string{"ecs:cluster": {arnPrefix + "cluster/default"}}}},
		{"ListTasks", &ecsapi.ListTasksInput{Cluster: ptr("c2")},
			gateway.Target{Action: "ecs:ListTasks", Resources: []string{arnPrefix + "container-instance/c2/*"},
				Context: map[string][]string{"ecs:cluster": {arnPrefix + "cluster/c2"}}}},
		{"RunTask", &ecsapi.RunTaskInput{Cluster: ptr("c2"), TaskDefinition: ptr("web"), EnableExecuteCommand: ptr(false)},
			gateway.Target{Action: "ecs:RunTask", Resources: []string{td},
				Context: map[string][]string{"ecs:cluster": {arnPrefix + "cluster/c2"}, "ecs:enable-execute-command": {"false"}}}},
		{"StartTask", &ecsapi.StartTaskInput{Cluster: ptr("c2"), TaskDefinition: ptr("web:1"), ContainerInstances: []string{id}},
			gateway.Target{Action: "ecs:StartTask", Resources: []string{td},
				Context: map[string][]string{"ecs:cluster": {arnPrefix + "cluster/c2"}, "ecs:container-instances": {arnPrefix + "container-instance/c2/" + id}}}},
		{"RegisterTaskDefinition", &ecsapi.RegisterTaskDefinitionInput{Family: ptr("web"), Cpu: ptr("1 vcpu"),
			ContainerDefinitions: []ecsapi.ContainerDefinition{{Name: ptr("a"), Privileged: ptr(true)}}},
			gateway.Target{Action: "ecs:RegisterTaskDefinition", Resources: []string{arnPrefix + "task-definition/web:*"},
				Context: map[string][]string{"ecs:task-cpu": {"1024"}, "ecs:privileged": {"true"}}}},
		{"DescribeTaskDefinition", &ecsapi.DescribeTaskDefinitionInput{TaskDefinition: ptr("web")}, gateway.Target{Action: "ecs:DescribeTaskDefinition"}},
		{"CreateService", &ecsapi.CreateServiceInput{Cluster: ptr("c2"), ServiceName: ptr("s"), TaskDefinition: ptr("web")},
			gateway.Target{Action: "ecs:CreateService", Resources: []string{arnPrefix + "service/c2/s"},
				Context: map[string][]string{"ecs:cluster": {arnPrefix + "cluster/c2"}, "ecs:task-definition": {td}}}},
		{"DescribeServices", &ecsapi.DescribeServicesInput{Cluster: ptr("c2"), Services: []string{"a", "b"}},
			gateway.Target{Action: "ecs:DescribeServices", Resources: []string{arnPrefix + "service/c2/a", arnPrefix + "service/c2/b"},
				Context: map[string][]string{"ecs:cluster": {arnPrefix + "cluster/c2"}}}},
		{"ListServices", &ecsapi.ListServicesInput{}, gateway.Target{Action: "ecs:ListServices",
			Context: map[string][]string{"ecs:cluster": {arnPrefix + "cluster/default"}}}},
		{"DiscoverPollEndpoint", &ecsapi.DiscoverPollEndpointInput{}, gateway.Target{Action: "ecs:DiscoverPollEndpoint"}},
		{"TagResource", &ecsapi.TagResourceInput{ResourceArn: ptr(c1), Tags: []ecsapi.Tag{{Key: ptr("k"), Value: ptr("v")}}},
			gateway.Target{Action: "ecs:TagResource", Resources: []string{c1}, Context: map[string][]string{
				"aws:RequestTag/k": {"v"}, "aws:TagKeys": {"k"}, "aws:ResourceTag/env": {"prod"}, "ecs:ResourceTag/env": {"prod"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			got, err := e.s.AuthzTarget(e.ctx, tc.op, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
