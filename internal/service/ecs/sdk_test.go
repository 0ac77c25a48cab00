// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/testutil"
	"github.com/berthdev/berth/internal/testutil/poll"
)

const instanceRolePolicy = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"

func apiErr(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error = %s: %s, want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	return ae
}

// sdkEnv is a control plane with an ECS client signed by the root.
type sdkEnv struct {
	t   *testing.T
	cp  *testutil.ControlPlane
	ecs *ecs.Client
	ctx context.Context
}

func newSDKEnv(t *testing.T) *sdkEnv {
	cp := testutil.TestControlPlane(t)
	return &sdkEnv{t: t, cp: cp, ecs: ecs.NewFromConfig(cp.RootConfig()), ctx: context.Background()}
}

// register registers a container instance as the agent does.
func (e *sdkEnv) register(c *ecs.Client, cluster string, cpu, mem int32, attrs ...ecstypes.Attribute) string {
	e.t.Helper()
	out, err := c.RegisterContainerInstance(e.ctx, &ecs.RegisterContainerInstanceInput{
		Cluster: aws.String(cluster),
		TotalResources: []ecstypes.Resource{
			{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: cpu},
			{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: mem},
			{Name: aws.String("PORTS"), Type: aws.String("STRINGSET"), StringSetValue: []string{"22", "2375", "2376", "51678", "51679"}},
		},
		Attributes: append(attrs, ecstypes.Attribute{Name: aws.String("ecs.os-type"), Value: aws.String("linux")},
			ecstypes.Attribute{Name: aws.String("com.amazonaws.ecs.capability.task-iam-role")}),
	})
	if err != nil {
		e.t.Fatalf("RegisterContainerInstance: %v", err)
	}
	arn := aws.ToString(out.ContainerInstance.ContainerInstanceArn)
	if _, err := e.cp.ECS().ConnectAgent(e.ctx, cluster, arn); err != nil {
		e.t.Fatal(err)
	}
	return arn
}

func (e *sdkEnv) taskDef(family string, cpu, mem int32, mod ...func(*ecs.RegisterTaskDefinitionInput)) string {
	e.t.Helper()
	in := &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("web"), Image: aws.String("nginx"), Cpu: cpu, Memory: aws.Int32(mem),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(80)}},
		}},
	}
	for _, m := range mod {
		m(in)
	}
	out, err := e.ecs.RegisterTaskDefinition(e.ctx, in)
	if err != nil {
		e.t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

func (e *sdkEnv) remaining(cluster, inst string) (int32, int32) {
	e.t.Helper()
	out, err := e.ecs.DescribeContainerInstances(e.ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: []string{inst}})
	if err != nil || len(out.ContainerInstances) != 1 {
		e.t.Fatalf("DescribeContainerInstances: %v %+v", err, out)
	}
	var cpu, mem int32
	for _, r := range out.ContainerInstances[0].RemainingResources {
		switch aws.ToString(r.Name) {
		case "CPU":
			cpu = r.IntegerValue
		case "MEMORY":
			mem = r.IntegerValue
		}
	}
	return cpu, mem
}

func (e *sdkEnv) report(cluster, task, status string, containers ...ecstypes.ContainerStateChange) {
	e.t.Helper()
	if _, err := e.ecs.SubmitTaskStateChange(e.ctx, &ecs.SubmitTaskStateChangeInput{Cluster: aws.String(cluster),
		Task: aws.String(task), Status: aws.String(status), Containers: containers}); err != nil {
		e.t.Fatalf("SubmitTaskStateChange %s: %v", status, err)
	}
}

func TestService_SDK_TaskLifecycle(t *testing.T) {
	e := newSDKEnv(t)
	ctx := e.ctx
	if _, err := e.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	inst := e.register(e.ecs, "prod", 2048, 4096)
	td := e.taskDef("web", 256, 512)

	run, err := e.ecs.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("prod"), TaskDefinition: aws.String("web"), Count: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Tasks) != 2 || len(run.Failures) != 0 {
		t.Fatalf("RunTask: %d tasks, failures %+v", len(run.Tasks), run.Failures)
	}
	for _, task := range run.Tasks {
		if aws.ToString(task.ContainerInstanceArn) != inst || aws.ToString(task.TaskDefinitionArn) != td || aws.ToString(task.LastStatus) != "PENDING" {
			t.Errorf("task %s on %s, %s", aws.ToString(task.TaskArn), aws.ToString(task.ContainerInstanceArn), aws.ToString(task.LastStatus))
		}
	}
	if cpu, mem := e.remaining("prod", inst); cpu != 2048-512 || mem != 4096-1024 {
		t.Errorf("remaining %d/%d after RunTask", cpu, mem)
	}
	task := aws.ToString(run.Tasks[0].TaskArn)
	e.report("prod", task, "RUNNING", ecstypes.ContainerStateChange{ContainerName: aws.String("web"), Status: aws.String("RUNNING"),
		NetworkBindings: []ecstypes.NetworkBinding{{BindIP: aws.String("0.0.0.0"), ContainerPort: aws.Int32(80), HostPort: aws.Int32(49153), Protocol: ecstypes.TransportProtocolTcp}}})
	desc, err := e.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: []string{task, "0123456789abcdef0123456789abcdef"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(desc.Tasks) != 1 || aws.ToString(desc.Tasks[0].LastStatus) != "RUNNING" || len(desc.Failures) != 1 || aws.ToString(desc.Failures[0].Reason) != "MISSING" {
		t.Fatalf("DescribeTasks = %+v", desc)
	}
	if nb := desc.Tasks[0].Containers[0].NetworkBindings; len(nb) != 1 || aws.ToInt32(nb[0].HostPort) != 49153 {
		t.Errorf("network bindings %+v", nb)
	}
	stop, err := e.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(task), Reason: aws.String("done")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(stop.Task.DesiredStatus) != "STOPPED" || aws.ToString(stop.Task.StoppedReason) != "done" || stop.Task.StopCode != ecstypes.TaskStopCodeUserInitiated {
		t.Errorf("StopTask = %s %q %s", aws.ToString(stop.Task.DesiredStatus), aws.ToString(stop.Task.StoppedReason), stop.Task.StopCode)
	}
	e.report("prod", task, "STOPPED")
	if cpu, mem := e.remaining("prod", inst); cpu != 2048-256 || mem != 4096-512 {
		t.Errorf("remaining %d/%d after STOPPED", cpu, mem)
	}

	// A task too big for any instance fails with RESOURCE:MEMORY.
	e.taskDef("huge", 128, 8192)
	big, err := e.ecs.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("prod"), TaskDefinition: aws.String("huge")})
	if err != nil {
		t.Fatal(err)
	}
	if len(big.Tasks) != 0 || len(big.Failures) != 1 || aws.ToString(big.Failures[0].Reason) != "RESOURCE:MEMORY" || aws.ToString(big.Failures[0].Arn) != inst {
		t.Errorf("RunTask of a huge task = %+v", big.Failures)
	}

	// Idempotent RunTask with a client token.
	first, err := e.ecs.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("prod"), TaskDefinition: aws.String("web"), ClientToken: aws.String("once")})
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.ecs.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("prod"), TaskDefinition: aws.String("web"), ClientToken: aws.String("once")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(first.Tasks[0].TaskArn) != aws.ToString(again.Tasks[0].TaskArn) {
		t.Errorf("retried RunTask started another task")
	}

	// DeleteCluster is refused while the instance is registered.
	_, err = e.ecs.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("prod")})
	ae := apiErr(t, err, "ClusterContainsContainerInstancesException")
	if ae.ErrorMessage() != "The Cluster cannot be deleted while Container Instances are active or draining." {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	_, err = e.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"prod"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("nope")})
	if ae := apiErr(t, err, "ClusterNotFoundException"); ae.ErrorMessage() != "Cluster not found." {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	poll, err := e.ecs.DiscoverPollEndpoint(ctx, &ecs.DiscoverPollEndpointInput{Cluster: aws.String("prod"), ContainerInstance: aws.String(inst)})
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(e.cp.URL, "http://")
	if aws.ToString(poll.Endpoint) != "http://"+host+"/acs" || aws.ToString(poll.TelemetryEndpoint) != "http://"+host+"/tcs" {
		t.Errorf("DiscoverPollEndpoint = %s %s", aws.ToString(poll.Endpoint), aws.ToString(poll.TelemetryEndpoint))
	}
}

func TestService_SDK_Placement(t *testing.T) {
	e := newSDKEnv(t)
	ctx := e.ctx
	if _, err := e.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c")}); err != nil {
		t.Fatal(err)
	}
	insts := map[string]bool{}
	for range 3 {
		insts[e.register(e.ecs, "c", 4096, 8192)] = true
	}
	e.taskDef("small", 128, 128, func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].PortMappings = nil })
	place := func(s ecstypes.PlacementStrategy) map[string]int {
		out, err := e.ecs.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("c"), TaskDefinition: aws.String("small"),
			Count: aws.Int32(6), PlacementStrategy: []ecstypes.PlacementStrategy{s}, Group: aws.String(string(s.Type))})
		if err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		for _, task := range out.Tasks {
			per[aws.ToString(task.ContainerInstanceArn)]++
		}
		return per
	}
	if spread := place(ecstypes.PlacementStrategy{Type: ecstypes.PlacementStrategyTypeSpread, Field: aws.String("instanceId")}); len(spread) != 3 {
		t.Errorf("spread over %d instances: %v", len(spread), spread)
	} else {
		for i, n := range spread {
			if n != 2 {
				t.Errorf("spread put %d tasks on %s", n, i)
			}
		}
	}
	if binpack := place(ecstypes.PlacementStrategy{Type: ecstypes.PlacementStrategyTypeBinpack, Field: aws.String("memory")}); len(binpack) != 1 {
		t.Errorf("binpack over %d instances: %v", len(binpack), binpack)
	}
}

func TestService_SDK_ServiceKeepsDesiredCount(t *testing.T) {
	e := newSDKEnv(t)
	ctx := e.ctx
	if _, err := e.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c")}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		e.register(e.ecs, "c", 4096, 8192)
	}
	e.taskDef("web", 128, 128)
	if _, err := e.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("c"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String("web"), DesiredCount: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	tasks := func() []string {
		out, err := e.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("c"), ServiceName: aws.String("web")})
		if err != nil {
			t.Fatal(err)
		}
		return out.TaskArns
	}
	waitFor(t, "3 service tasks", func() bool { return len(tasks()) == 3 })
	for _, task := range tasks() {
		e.report("c", task, "RUNNING")
	}
	waitFor(t, "runningCount 3", func() bool {
		out, err := e.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"web"}})
		return err == nil && len(out.Services) == 1 && out.Services[0].RunningCount == 3
	})
	// Tasks die; replacements appear.
	dead := tasks()[:2]
	for _, task := range dead {
		e.report("c", task, "STOPPED")
	}
	waitFor(t, "replacements", func() bool {
		now := tasks()
		if len(now) != 3 {
			return false
		}
		for _, d := range dead {
			for _, n := range now {
				if d == n {
					return false
				}
			}
		}
		return true
	})
	out, err := e.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	svc := out.Services[0]
	if svc.DesiredCount != 3 || len(svc.Deployments) != 1 || len(svc.Events) == 0 {
		t.Errorf("service = desired %d, deployments %d, events %d", svc.DesiredCount, len(svc.Deployments), len(svc.Events))
	}
	if !strings.Contains(aws.ToString(svc.Events[0].Message), "(service web) has started") {
		t.Errorf("latest event %q", aws.ToString(svc.Events[0].Message))
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 15*time.Second, what, cond)
}

// TestService_SDK_Authorization checks ECS's IAM actions and iam:PassRole
// with real users: the container instance role's policy allows the agent's
// calls and nothing else, and a user without iam:PassRole cannot launch a
// task definition that names a task role.
func TestService_SDK_Authorization(t *testing.T) {
	e := newSDKEnv(t)
	ctx := e.ctx
	iamc := iam.NewFromConfig(e.cp.RootConfig())
	user := func(name string, attach string, inline string) *ecs.Client {
		t.Helper()
		if _, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if attach != "" {
			if _, err := iamc.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(attach)}); err != nil {
				t.Fatal(err)
			}
		}
		if inline != "" {
			if _, err := iamc.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(inline)}); err != nil {
				t.Fatal(err)
			}
		}
		key, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return ecs.NewFromConfig(testutil.Config(e.cp.URL, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""))
	}
	if _, err := e.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c")}); err != nil {
		t.Fatal(err)
	}

	agent := user("agent", instanceRolePolicy, "")
	inst := e.register(agent, "c", 2048, 2048)
	_, err := agent.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("mine")})
	if err != nil {
		// The managed policy grants ecs:CreateCluster (the agent creates
		// "default"): only an explicitly narrower policy is denied.
		t.Fatalf("CreateCluster with the instance role policy: %v", err)
	}
	e.taskDef("web", 128, 128)
	run, err := e.ecs.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("c"), TaskDefinition: aws.String("web")})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %v %+v", err, run)
	}
	if _, err := agent.SubmitTaskStateChange(ctx, &ecs.SubmitTaskStateChangeInput{Cluster: aws.String("c"),
		Task: run.Tasks[0].TaskArn, Status: aws.String("RUNNING")}); err != nil {
		t.Errorf("SubmitTaskStateChange as the agent: %v", err)
	}
	if _, err := agent.DiscoverPollEndpoint(ctx, &ecs.DiscoverPollEndpointInput{Cluster: aws.String("c"), ContainerInstance: aws.String(inst)}); err != nil {
		t.Errorf("DiscoverPollEndpoint as the agent: %v", err)
	}
	_, err = agent.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("c"), TaskDefinition: aws.String("web")})
	ae := apiErr(t, err, "AccessDeniedException")
	want := "User: arn:aws:iam::123456789012:user/agent is not authorized to perform: ecs:RunTask on resource: arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
	if !strings.HasPrefix(ae.ErrorMessage(), want) {
		t.Errorf("message %q, want prefix %q", ae.ErrorMessage(), want)
	}

	// A policy with only the agent's narrow actions cannot create clusters.
	narrow := user("narrow", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:RegisterContainerInstance","ecs:Submit*","ecs:DiscoverPollEndpoint"],"Resource":"*"}]}`)
	e.register(narrow, "c", 1024, 1024)
	_, err = narrow.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("x")})
	ae = apiErr(t, err, "AccessDeniedException")
	want = "User: arn:aws:iam::123456789012:user/narrow is not authorized to perform: ecs:CreateCluster on resource: arn:aws:ecs:us-east-1:123456789012:cluster/x"
	if !strings.HasPrefix(ae.ErrorMessage(), want) {
		t.Errorf("message %q, want prefix %q", ae.ErrorMessage(), want)
	}

	// iam:PassRole.
	role := "arn:aws:iam::123456789012:role/app"
	e.taskDef("withrole", 128, 128, func(in *ecs.RegisterTaskDefinitionInput) { in.TaskRoleArn = aws.String(role) })
	runner := user("runner", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`)
	_, err = runner.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("c"), TaskDefinition: aws.String("withrole")})
	ae = apiErr(t, err, "AccessDeniedException")
	if !strings.Contains(ae.ErrorMessage(), "iam:PassRole on resource: "+role) {
		t.Errorf("PassRole denial message %q", ae.ErrorMessage())
	}
	passer := user("passer", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"},
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+role+`","Condition":{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}}]}`)
	out, err := passer.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("c"), TaskDefinition: aws.String("withrole")})
	if err != nil || len(out.Tasks) != 1 {
		t.Errorf("RunTask with iam:PassRole: %v %+v", err, out)
	}
	// An override's task role is passed too: the gateway refuses one the
	// caller may not pass, with nothing launched.
	other := "arn:aws:iam::123456789012:role/other"
	before, err := e.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("c")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = passer.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("c"), TaskDefinition: aws.String("withrole"),
		Overrides: &ecstypes.TaskOverride{TaskRoleArn: aws.String(other)}})
	ae = apiErr(t, err, "AccessDeniedException")
	want = "User: arn:aws:iam::123456789012:user/passer is not authorized to perform: iam:PassRole on resource: " + other
	if !strings.HasPrefix(ae.ErrorMessage(), want) {
		t.Errorf("override PassRole denial %q, want prefix %q", ae.ErrorMessage(), want)
	}
	after, err := e.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("c")})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.TaskArns) != len(before.TaskArns) {
		t.Errorf("denied RunTask launched tasks: %d before, %d after", len(before.TaskArns), len(after.TaskArns))
	}
}
