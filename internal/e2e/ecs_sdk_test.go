// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/acs/acstest"
	"github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/simagent"
	"github.com/berthdev/berth/internal/testutil"
	"github.com/berthdev/berth/internal/testutil/poll"
)

// runFleet runs a simulated fleet against cp until the test ends.
func runFleet(t *testing.T, cfg simagent.Config, awsCfg aws.Config) *simagent.Fleet {
	t.Helper()
	cfg.ProgressInterval = -1
	cfg.Session.MinBackoff, cfg.Session.MaxBackoff = 20*time.Millisecond, 200*time.Millisecond
	f, err := simagent.New(cfg, simagent.Deps{AWS: awsCfg, Logger: acstest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f.Run(ctx); err != nil {
			t.Errorf("fleet: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

// sdkWait polls cond every 50 ms until it holds or 60 s pass.
func sdkWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 60*time.Second, what, cond)
}

// TestSDK_ECS_ServiceOfTwentyStaysAtTwenty: a service of 20 on simulated
// instances whose tasks exit on their own (exit code 1, three seconds
// after RUNNING). Every task that dies is replaced: the first 20 all stop
// with EssentialContainerExited, and the service is back at 20 RUNNING
// tasks, all of them replacements, never asking for more than 20.
func TestSDK_ECS_ServiceOfTwentyStaysAtTwenty(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	api := ecs.NewFromConfig(cp.RootConfig())
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("svc")}); err != nil {
		t.Fatal(err)
	}
	f := runFleet(t, simagent.Config{Endpoint: cp.URL, Cluster: "svc", Count: 4, RunDuration: 3 * time.Second, ExitCode: 1}, cp.RootConfig())
	sdkWait(t, "the instances connected", func() bool { return f.Stats().Connected == 4 })
	if _, err := api.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("worker"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("w"), Image: aws.String("busybox"), Cpu: 64,
			Memory: aws.Int32(64), Essential: aws.Bool(true)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("svc"), ServiceName: aws.String("workers"),
		TaskDefinition: aws.String("worker"), DesiredCount: aws.Int32(20)}); err != nil {
		t.Fatal(err)
	}
	// desiredRunning lists the service's tasks with desired status
	// RUNNING, failing the test if the service ever wants more than 20.
	desiredRunning := func() []string {
		t.Helper()
		var arns []string
		p := ecs.NewListTasksPaginator(api, &ecs.ListTasksInput{Cluster: aws.String("svc"), ServiceName: aws.String("workers"),
			DesiredStatus: ecstypes.DesiredStatusRunning})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			arns = append(arns, out.TaskArns...)
		}
		if len(arns) > 20 {
			t.Fatalf("the service wants %d tasks running, more than its desired 20", len(arns))
		}
		return arns
	}
	describe := func(arns []string) []ecstypes.Task {
		t.Helper()
		var out []ecstypes.Task
		for i := 0; i < len(arns); i += 100 {
			d, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("svc"), Tasks: arns[i:min(i+100, len(arns))]})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, d.Tasks...)
		}
		return out
	}
	service := func() ecstypes.Service {
		t.Helper()
		out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("svc"), Services: []string{"workers"}})
		if err != nil || len(out.Services) != 1 {
			t.Fatalf("DescribeServices: %v %+v", err, out)
		}
		return out.Services[0]
	}
	allRunning := func(arns []string) bool {
		if len(arns) != 20 {
			return false
		}
		for _, tk := range describe(arns) {
			if aws.ToString(tk.LastStatus) != "RUNNING" {
				return false
			}
		}
		return true
	}
	var first []string
	sdkWait(t, "20 tasks RUNNING", func() bool { first = desiredRunning(); return allRunning(first) })

	sdkWait(t, "the first 20 tasks died", func() bool {
		for _, tk := range describe(first) {
			if aws.ToString(tk.LastStatus) != "STOPPED" {
				return false
			}
		}
		return true
	})
	for _, tk := range describe(first) {
		if tk.StopCode != ecstypes.TaskStopCodeEssentialContainerExited || aws.ToInt32(tk.Containers[0].ExitCode) != 1 ||
			aws.ToString(tk.DesiredStatus) != "STOPPED" {
			t.Errorf("dead task %s: stopCode %s, exit code %d, desired %s", aws.ToString(tk.TaskArn), tk.StopCode,
				aws.ToInt32(tk.Containers[0].ExitCode), aws.ToString(tk.DesiredStatus))
		}
	}
	sdkWait(t, "20 replacement tasks RUNNING", func() bool {
		now := desiredRunning()
		for _, a := range now {
			for _, d := range first {
				if a == d {
					return false
				}
			}
		}
		s := service()
		return s.DesiredCount == 20 && s.RunningCount == 20 && allRunning(now)
	})
	s := service()
	if len(s.Deployments) != 1 || aws.ToString(s.Deployments[0].Status) != "PRIMARY" || s.Deployments[0].DesiredCount != 20 {
		t.Errorf("deployments = %+v, want one PRIMARY of 20", s.Deployments)
	}
	started := 0
	for _, e := range s.Events {
		if strings.HasPrefix(aws.ToString(e.Message), "(service workers) has started ") {
			started++
		}
	}
	if started < 2 {
		t.Errorf("%d \"has started\" events, want the first launch and replacements: %+v", started, s.Events)
	}
}

// instanceRoleActions are the AmazonEC2ContainerServiceforEC2Role
// actions, to copy without one of them.
var instanceRoleActions = []string{
	"ec2:DescribeTags", "ecs:CreateCluster", "ecs:DeregisterContainerInstance", "ecs:DiscoverPollEndpoint", "ecs:Poll",
	"ecs:RegisterContainerInstance", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState", "ecs:Submit*",
	"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
	"logs:CreateLogStream", "logs:PutLogEvents",
}

func policyWithout(action string) string {
	var quoted []string
	for _, a := range instanceRoleActions {
		if a != action {
			quoted = append(quoted, `"`+a+`"`)
		}
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + strings.Join(quoted, ",") + `],"Resource":"*"}]}`
}

// TestSDK_ECS_InstanceRolePrincipal: simulated agents signing as a role
// session. With the managed instance-role policy they register, poll and
// run a task. With its actions but ecs:CreateCluster they still register
// and poll, and CreateCluster is denied. With its actions but ecs:Poll
// they register, and every ACS handshake is refused with
// AccessDeniedException, so the instance never shows as connected.
func TestSDK_ECS_InstanceRolePrincipal(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := iam.NewFromConfig(cp.RootConfig())
	api := ecs.NewFromConfig(cp.RootConfig())
	check := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	launcher := sts.NewFromConfig(cp.User(t, "launcher", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`))
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/launcher"},"Action":"sts:AssumeRole"}]}`
	check(api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}))
	check(api.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("busybox"), Memory: aws.Int32(64),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(80)}}}}}))

	tests := []struct {
		role      string
		managed   bool
		inline    string
		canCreate bool
		canPoll   bool
	}{
		{role: "ecsInstanceRole", managed: true, canCreate: true, canPoll: true},
		{role: "noCreateCluster", inline: policyWithout("ecs:CreateCluster"), canPoll: true},
		{role: "noPoll", inline: policyWithout("ecs:Poll"), canCreate: true},
	}
	for _, tc := range tests {
		t.Run(tc.role, func(t *testing.T) {
			check(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(tc.role), AssumeRolePolicyDocument: aws.String(trust)}))
			if tc.managed {
				check(root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(tc.role), PolicyArn: aws.String(instanceRolePolicy)}))
			} else {
				check(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(tc.role), PolicyName: aws.String("agent"), PolicyDocument: aws.String(tc.inline)}))
			}
			out, err := launcher.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/" + tc.role),
				RoleSessionName: aws.String("i-0123456789abcdef0")})
			if err != nil {
				t.Fatal(err)
			}
			cr := out.Credentials
			session := testutil.Config(cp.URL, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
			var mu sync.Mutex
			var refusals []error
			f := runFleet(t, simagent.Config{Endpoint: cp.URL, Cluster: "prod", Count: 1, Session: acs.SessionConfig{
				OnConnectError: func(err error) { mu.Lock(); refusals = append(refusals, err); mu.Unlock() },
			}}, session)
			sdkWait(t, "the instance registered", func() bool { return f.Stats().Registered == 1 })
			inst := f.Instances()[0]
			if tc.canPoll {
				sdkWait(t, "the agent is connected", func() bool {
					d, err := api.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("prod"), ContainerInstances: []string{inst}})
					return err == nil && len(d.ContainerInstances) == 1 && d.ContainerInstances[0].AgentConnected
				})
				run, err := api.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("prod"), TaskDefinition: aws.String("web"),
					PlacementConstraints: []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeMemberOf,
						Expression: aws.String("ec2InstanceId == " + describeEC2ID(t, api, inst))}}})
				if err != nil || len(run.Tasks) != 1 || aws.ToString(run.Tasks[0].ContainerInstanceArn) != inst {
					t.Fatalf("RunTask on the instance: %v %+v", err, run)
				}
				sdkWait(t, "the task RUNNING (the agent's Submit calls allowed)", func() bool {
					d, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: []string{aws.ToString(run.Tasks[0].TaskArn)}})
					return err == nil && len(d.Tasks) == 1 && aws.ToString(d.Tasks[0].LastStatus) == "RUNNING"
				})
			} else {
				sdkWait(t, "an ACS handshake refused", func() bool { mu.Lock(); defer mu.Unlock(); return len(refusals) > 0 })
				mu.Lock()
				first := refusals[0]
				mu.Unlock()
				var he *acs.HandshakeError
				if !errors.As(first, &he) || he.Type != "AccessDeniedException" || !strings.Contains(he.Message, "ecs:Poll") {
					t.Fatalf("ACS handshake without ecs:Poll: %v, want AccessDeniedException naming ecs:Poll", first)
				}
				d, err := api.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("prod"), ContainerInstances: []string{inst}})
				if err != nil || len(d.ContainerInstances) != 1 || d.ContainerInstances[0].AgentConnected || f.Stats().Connected != 0 {
					t.Errorf("instance without ecs:Poll: %v %+v, want registered and not connected", err, d)
				}
			}
			_, err = ecs.NewFromConfig(session).CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("by-" + tc.role)})
			if tc.canCreate && err != nil {
				t.Errorf("CreateCluster with ecs:CreateCluster: %v", err)
			}
			if !tc.canCreate {
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" ||
					!strings.Contains(ae.ErrorMessage(), "is not authorized to perform: ecs:CreateCluster on resource: arn:aws:ecs:us-east-1:123456789012:cluster/by-"+tc.role) {
					t.Errorf("CreateCluster without ecs:CreateCluster: %v, want AccessDeniedException", err)
				}
			}
		})
	}
}

func describeEC2ID(t *testing.T, api *ecs.Client, inst string) string {
	t.Helper()
	d, err := api.DescribeContainerInstances(context.Background(), &ecs.DescribeContainerInstancesInput{Cluster: aws.String("prod"), ContainerInstances: []string{inst}})
	if err != nil || len(d.ContainerInstances) != 1 {
		t.Fatalf("DescribeContainerInstances: %v", err)
	}
	return aws.ToString(d.ContainerInstances[0].Ec2InstanceId)
}

// TestSDK_ECS_DrainingMovesServiceTasks: setting a simulated instance
// DRAINING moves its service tasks to the other instance: they are
// stopped there by the scheduler once replacements run, and the service
// stays at its desired count.
func TestSDK_ECS_DrainingMovesServiceTasks(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	api := ecs.NewFromConfig(cp.RootConfig())
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("d")}); err != nil {
		t.Fatal(err)
	}
	f := runFleet(t, simagent.Config{Endpoint: cp.URL, Cluster: "d", Count: 2}, cp.RootConfig())
	sdkWait(t, "the instances connected", func() bool { return f.Stats().Connected == 2 })
	if _, err := api.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("busybox"), Cpu: 64,
			Memory: aws.Int32(64), PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(80)}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("d"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String("web"), DesiredCount: aws.Int32(4),
		PlacementStrategy: []ecstypes.PlacementStrategy{{Type: ecstypes.PlacementStrategyTypeSpread, Field: aws.String("instanceId")}}}); err != nil {
		t.Fatal(err)
	}
	tasks := func() []ecstypes.Task {
		t.Helper()
		l, err := api.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("d"), ServiceName: aws.String("web")})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.TaskArns) == 0 {
			return nil
		}
		d, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("d"), Tasks: l.TaskArns})
		if err != nil {
			t.Fatal(err)
		}
		return d.Tasks
	}
	var before []ecstypes.Task
	sdkWait(t, "4 service tasks RUNNING", func() bool {
		before = tasks()
		if len(before) != 4 {
			return false
		}
		for _, tk := range before {
			if aws.ToString(tk.LastStatus) != "RUNNING" {
				return false
			}
		}
		return true
	})
	drained := aws.ToString(before[0].ContainerInstanceArn)
	var onDrained []string
	for _, tk := range before {
		if aws.ToString(tk.ContainerInstanceArn) == drained {
			onDrained = append(onDrained, aws.ToString(tk.TaskArn))
		}
	}
	if len(onDrained) != 2 {
		t.Fatalf("spread put %d of 4 tasks on %s, want 2", len(onDrained), drained)
	}
	if _, err := api.UpdateContainerInstancesState(ctx, &ecs.UpdateContainerInstancesStateInput{Cluster: aws.String("d"),
		ContainerInstances: []string{drained}, Status: ecstypes.ContainerInstanceStatusDraining}); err != nil {
		t.Fatal(err)
	}
	sdkWait(t, "the service's tasks moved off the draining instance", func() bool {
		now := tasks()
		if len(now) != 4 {
			return false
		}
		for _, tk := range now {
			if aws.ToString(tk.ContainerInstanceArn) == drained || aws.ToString(tk.LastStatus) != "RUNNING" {
				return false
			}
		}
		return true
	})
	// The replacements run before the old tasks have necessarily reported
	// STOPPED: their agent reports the stop on its own schedule.
	var d *ecs.DescribeTasksOutput
	sdkWait(t, "the draining instance's tasks STOPPED", func() bool {
		var err error
		d, err = api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("d"), Tasks: onDrained})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range d.Tasks {
			if aws.ToString(tk.LastStatus) != "STOPPED" {
				return false
			}
		}
		return len(d.Tasks) == len(onDrained)
	})
	for _, tk := range d.Tasks {
		if aws.ToString(tk.LastStatus) != "STOPPED" || tk.StopCode != ecstypes.TaskStopCodeServiceSchedulerInitiated {
			t.Errorf("task %s from the draining instance: %s, stopCode %s", aws.ToString(tk.TaskArn), aws.ToString(tk.LastStatus), tk.StopCode)
		}
	}
	ci, err := api.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("d"), ContainerInstances: []string{drained}})
	if err != nil || len(ci.ContainerInstances) != 1 || aws.ToString(ci.ContainerInstances[0].Status) != "DRAINING" ||
		ci.ContainerInstances[0].RunningTasksCount != 0 {
		t.Errorf("drained instance = %v %+v", err, ci)
	}
	s, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("d"), Services: []string{"web"}})
	if err != nil || len(s.Services) != 1 || s.Services[0].RunningCount != 4 || s.Services[0].DesiredCount != 4 {
		t.Errorf("service after draining = %v %+v", err, s)
	}
}

// TestSDK_ECS_DeregisteredInstanceSession: deregistering a simulated
// instance whose agent is connected ends its ACS session, and the agent's
// reconnection is refused with InactiveInstanceException.
func TestSDK_ECS_DeregisteredInstanceSession(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	api := ecs.NewFromConfig(cp.RootConfig())
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var refusals []error
	f := runFleet(t, simagent.Config{Endpoint: cp.URL, Cluster: "g", Count: 1, Session: acs.SessionConfig{
		OnConnectError: func(err error) { mu.Lock(); refusals = append(refusals, err); mu.Unlock() },
	}}, cp.RootConfig())
	sdkWait(t, "the instance connected", func() bool { return f.Stats().Connected == 1 })
	if _, err := api.DeregisterContainerInstance(ctx, &ecs.DeregisterContainerInstanceInput{Cluster: aws.String("g"),
		ContainerInstance: aws.String(f.Instances()[0]), Force: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	sdkWait(t, "the reconnection refused", func() bool { mu.Lock(); defer mu.Unlock(); return len(refusals) > 0 })
	mu.Lock()
	first := refusals[0]
	mu.Unlock()
	var he *acs.HandshakeError
	if !errors.As(first, &he) || he.Type != "InactiveInstanceException" {
		t.Fatalf("reconnection of a deregistered instance: %v, want InactiveInstanceException", first)
	}
	if n := f.Stats().Connected; n != 0 {
		t.Errorf("%d sessions still connected", n)
	}
}
