// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"errors"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

// agentRegistration is a RegisterContainerInstance as the ECS agent sends
// it (docs/ecs-agent-protocol.md 1.5).
func agentRegistration(cluster string) *ecsapi.RegisterContainerInstanceInput {
	return &ecsapi.RegisterContainerInstanceInput{
		Cluster:                           ptr(cluster),
		InstanceIdentityDocument:          ptr(`{"instanceId":"i-0123456789abcdef0","instanceType":"m5.large","imageId":"ami-1","availabilityZone":"us-east-1c","architecture":"x86_64","region":"us-east-1"}`),
		InstanceIdentityDocumentSignature: ptr("c2ln"),
		TotalResources: []ecsapi.Resource{
			{Name: ptr("CPU"), Type: ptr("INTEGER"), IntegerValue: ptr(int32(2048))},
			{Name: ptr("MEMORY"), Type: ptr("INTEGER"), IntegerValue: ptr(int32(7680))},
			{Name: ptr("PORTS"), Type: ptr("STRINGSET"), StringSetValue: []string{"22", "2375", "2376", "51678", "51679"}},
			{Name: ptr("PORTS_UDP"), Type: ptr("STRINGSET"), StringSetValue: []string{}},
		},
		Attributes: []ecsapi.Attribute{
			{Name: ptr("com.amazonaws.ecs.capability.docker-remote-api.1.17")},
			{Name: ptr("com.amazonaws.ecs.capability.logging-driver.json-file")},
			{Name: ptr("ecs.capability.task-eni")},
			{Name: ptr("ecs.os-type"), Value: ptr("linux")},
			{Name: ptr("ecs.os-family"), Value: ptr("LINUX")},
			{Name: ptr("stack"), Value: ptr("prod")},
		},
		Tags: []ecsapi.Tag{{Key: ptr("owner"), Value: ptr("ops")}},
	}
}

func attrMap(attrs []ecsapi.Attribute) map[string]string {
	m := map[string]string{}
	for _, a := range attrs {
		m[deref(a.Name)] = deref(a.Value)
	}
	return m
}

func TestService_RegisterContainerInstance_Agent(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	in := agentRegistration("c1")
	out := must[*ecsapi.RegisterContainerInstanceOutput](t)(e.s.RegisterContainerInstance(e.ctx, in))
	ci := out.ContainerInstance
	arn := deref(ci.ContainerInstanceArn)
	if _, id, ok := e.s.childRef(arn, "container-instance"); !ok || !isHexID(id) || arn != "arn:aws:ecs:us-east-1:123456789012:container-instance/c1/"+id {
		t.Errorf("ARN %s", arn)
	}
	got := attrMap(ci.Attributes)
	for _, a := range in.Attributes { // every attribute sent is echoed, name and value
		if v, ok := got[deref(a.Name)]; !ok || v != deref(a.Value) {
			t.Errorf("attribute %s = %q, %v; want %q", deref(a.Name), v, ok, deref(a.Value))
		}
	}
	for k, want := range map[string]string{"ecs.availability-zone": "us-east-1c", "ecs.instance-type": "m5.large", "ecs.ami-id": "ami-1", "ecs.cpu-architecture": "x86_64"} {
		if got[k] != want {
			t.Errorf("built-in %s = %q, want %q", k, got[k], want)
		}
	}
	if deref(ci.Ec2InstanceId) != "i-0123456789abcdef0" || deref(ci.Status) != "ACTIVE" || *ci.AgentConnected {
		t.Errorf("ec2 %s status %s connected %v", deref(ci.Ec2InstanceId), deref(ci.Status), *ci.AgentConnected)
	}
	// Re-registration with the ARN updates the same instance.
	in.ContainerInstanceArn = ptr(arn)
	in.Attributes = append(in.Attributes, ecsapi.Attribute{Name: ptr("ecs.capability.new")})
	again := must[*ecsapi.RegisterContainerInstanceOutput](t)(e.s.RegisterContainerInstance(e.ctx, in))
	if deref(again.ContainerInstance.ContainerInstanceArn) != arn {
		t.Errorf("re-registration ARN %s, want %s", deref(again.ContainerInstance.ContainerInstanceArn), arn)
	}
	if _, ok := attrMap(again.ContainerInstance.Attributes)["ecs.capability.new"]; !ok {
		t.Error("re-registration lost the new attribute")
	}
	list := must[*ecsapi.ListContainerInstancesOutput](t)(e.s.ListContainerInstances(e.ctx, &ecsapi.ListContainerInstancesInput{Cluster: ptr("c1")}))
	if diff := cmp.Diff([]string{arn}, list.ContainerInstanceArns); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
	// Registered resources and the agent's view of them.
	d := e.describeInstance("c1", arn)
	if cpu, mem := remaining(d); cpu != 2048 || mem != 7680 {
		t.Errorf("remaining %d/%d", cpu, mem)
	}
	if _, err := e.s.ConnectAgent(e.ctx, "c1", arn); err != nil {
		t.Fatal(err)
	}
	if d := e.describeInstance("c1", arn); !*d.AgentConnected {
		t.Error("agentConnected false after ConnectAgent")
	}
}

func TestService_ListContainerInstances_FilterAndStatus(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	a := e.instance("c1", 1024, 1024, ecsapi.Attribute{Name: ptr("stack"), Value: ptr("prod")})
	b := e.instance("c1", 1024, 1024, ecsapi.Attribute{Name: ptr("stack"), Value: ptr("dev")})
	c := e.instance("c1", 1024, 1024)
	must[*ecsapi.UpdateContainerInstancesStateOutput](t)(e.s.UpdateContainerInstancesState(e.ctx,
		&ecsapi.UpdateContainerInstancesStateInput{Cluster: ptr("c1"), ContainerInstances: []string{c}, Status: ptr("DRAINING")}))
	tests := []struct {
		name, filter, status string
		want                 []string
	}{
		{"all", "", "", []string{a, b, c}},
		{"attribute", "attribute:stack == prod", "", []string{a}},
		{"attribute not", "attribute:stack != prod", "", []string{b}},
		{"draining", "", "DRAINING", []string{c}},
		{"active", "", "ACTIVE", []string{a, b}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &ecsapi.ListContainerInstancesInput{Cluster: ptr("c1")}
			if tc.filter != "" {
				in.Filter = ptr(tc.filter)
			}
			if tc.status != "" {
				in.Status = ptr(tc.status)
			}
			out := must[*ecsapi.ListContainerInstancesOutput](t)(e.s.ListContainerInstances(e.ctx, in))
			want := append([]string{}, tc.want...)
			sort.Strings(want)
			sort.Strings(out.ContainerInstanceArns)
			if diff := cmp.Diff(want, out.ContainerInstanceArns); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	_, err := e.s.ListContainerInstances(e.ctx, &ecsapi.ListContainerInstancesInput{Cluster: ptr("c1"), Filter: ptr("attribute:stack ==")})
	wantCode(t, err, "InvalidParameterException", "")
}

func TestService_DeregisterContainerInstance_Force(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	inst := e.instance("c1", 1024, 1024)
	e.taskDef("t", 128, 128)
	out := e.runTask(&ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("t")})
	task := deref(out.Tasks[0].TaskArn)
	_, err := e.s.DeregisterContainerInstance(e.ctx, &ecsapi.DeregisterContainerInstanceInput{Cluster: ptr("c1"), ContainerInstance: ptr(inst)})
	wantCode(t, err, "InvalidParameterException", "")
	d := must[*ecsapi.DeregisterContainerInstanceOutput](t)(e.s.DeregisterContainerInstance(e.ctx,
		&ecsapi.DeregisterContainerInstanceInput{Cluster: ptr("c1"), ContainerInstance: ptr(inst), Force: ptr(true)}))
	if deref(d.ContainerInstance.Status) != "INACTIVE" {
		t.Errorf("status %s", deref(d.ContainerInstance.Status))
	}
	got := e.describeTask("c1", task)
	if deref(got.LastStatus) != "STOPPED" || deref(got.DesiredStatus) != "STOPPED" {
		t.Errorf("task on a forcibly deregistered instance: %s/%s", deref(got.LastStatus), deref(got.DesiredStatus))
	}
	if _, err := e.s.ConnectAgent(e.ctx, "c1", inst); err == nil {
		t.Error("ConnectAgent accepted a deregistered instance")
	}
	if _, err := e.s.InstanceTasks(e.ctx, inst); !errors.Is(err, agentapi.ErrInactiveInstance) {
		t.Errorf("InstanceTasks of a deregistered instance: %v, want ErrInactiveInstance", err)
	}
	_, err = e.s.RunTask(e.ctx, &ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("t")})
	wantCode(t, err, "InvalidParameterException", "No Container Instances were found in your cluster.")
}

func TestService_Attributes(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	inst := e.instance("c1", 1024, 1024)
	put := must[*ecsapi.PutAttributesOutput](t)(e.s.PutAttributes(e.ctx, &ecsapi.PutAttributesInput{Cluster: ptr("c1"),
		Attributes: []ecsapi.Attribute{{Name: ptr("stack"), Value: ptr("prod"), TargetId: ptr(lastPathPart(inst))}}}))
	if diff := cmp.Diff([]ecsapi.Attribute{{Name: ptr("stack"), Value: ptr("prod"), TargetType: ptr("container-instance"), TargetId: ptr(inst)}}, put.Attributes); diff != "" {
		t.Errorf("PutAttributes (-want +got):\n%s", diff)
	}
	list := must[*ecsapi.ListAttributesOutput](t)(e.s.ListAttributes(e.ctx, &ecsapi.ListAttributesInput{Cluster: ptr("c1"),
		TargetType: ptr("container-instance"), AttributeName: ptr("stack")}))
	if len(list.Attributes) != 1 || deref(list.Attributes[0].Value) != "prod" {
		t.Errorf("ListAttributes = %+v", list.Attributes)
	}
	// The placement view sees the attribute at once.
	e.taskDef("t", 128, 128)
	out := e.runTask(&ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("t"),
		PlacementConstraints: []ecsapi.PlacementConstraint{{Type: ptr("memberOf"), Expression: ptr("attribute:stack == prod")}}})
	if len(out.Tasks) != 1 {
		t.Errorf("memberOf on a new attribute: %+v", out.Failures)
	}
	var attrs []ecsapi.Attribute
	for i := range 11 {
		attrs = append(attrs, ecsapi.Attribute{Name: ptr("a" + itoa(i)), Value: ptr("v"), TargetId: ptr(inst)})
	}
	_, err := e.s.PutAttributes(e.ctx, &ecsapi.PutAttributesInput{Cluster: ptr("c1"), Attributes: attrs[:10]})
	wantCode(t, err, "AttributeLimitExceededException", "")
	must[*ecsapi.DeleteAttributesOutput](t)(e.s.DeleteAttributes(e.ctx, &ecsapi.DeleteAttributesInput{Cluster: ptr("c1"),
		Attributes: []ecsapi.Attribute{{Name: ptr("stack"), TargetId: ptr(inst)}}}))
	list = must[*ecsapi.ListAttributesOutput](t)(e.s.ListAttributes(e.ctx, &ecsapi.ListAttributesInput{Cluster: ptr("c1"),
		TargetType: ptr("container-instance"), AttributeName: ptr("stack")}))
	if len(list.Attributes) != 0 {
		t.Errorf("after DeleteAttributes: %+v", list.Attributes)
	}
	// Paging ListAttributes visits each attribute once.
	all := map[string]bool{}
	var next *string
	for {
		out := must[*ecsapi.ListAttributesOutput](t)(e.s.ListAttributes(e.ctx, &ecsapi.ListAttributesInput{Cluster: ptr("c1"),
			TargetType: ptr("container-instance"), MaxResults: ptr(int32(1)), NextToken: next}))
		for _, a := range out.Attributes {
			if all[deref(a.Name)] {
				t.Fatalf("attribute %s listed twice", deref(a.Name))
			}
			all[deref(a.Name)] = true
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	if !all["ecs.availability-zone"] || !all["ecs.os-type"] {
		t.Errorf("paged attributes = %v", all)
	}
}
