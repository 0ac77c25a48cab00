// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs_test

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

	"github.com/berthdev/berth/internal/acs/acstest"
	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/testutil"
	"github.com/berthdev/berth/internal/testutil/poll"
)

// payloads collects payload tasks.
type payloads struct {
	mu    sync.Mutex
	tasks map[string]*wire.Task
}

func (p *payloads) HandlePayload(_ context.Context, m *wire.PayloadMessage) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range m.Tasks {
		p.tasks[t.ARN] = t
	}
	return nil
}

func (p *payloads) get(arn string) *wire.Task {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tasks[arn]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 20*time.Second, what, cond)
}

// TestClient_ControlPlane_EndToEnd drives the agent client against a real
// control plane: register (creating the default cluster), discover, open
// ACS, receive a task placed by RunTask with its host port, report it
// RUNNING and see DescribeTasks agree, then receive its stop.
func TestClient_ControlPlane_EndToEnd(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := acs.NewClient(cp.RootConfig(), acs.ClientConfig{Endpoint: cp.URL, Logger: acstest.Logger()})
	reg, err := c.RegisterContainerInstance(ctx, acs.RegisterInput{CPU: 1024, MemoryMiB: 2048, ReservedPorts: acs.DefaultReservedPorts,
		Attributes: map[string]string{"ecs.os-type": "linux"}})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	ep, err := c.DiscoverPollEndpoint(ctx, reg.ContainerInstanceARN)
	if err != nil || ep.ACS != cp.URL+"/acs" || ep.TCS != cp.URL+"/tcs" {
		t.Fatalf("endpoints = %+v, %v", ep, err)
	}
	got := &payloads{tasks: map[string]*wire.Task{}}
	connected := make(chan struct{})
	var once sync.Once
	s := acs.NewSession(c, acs.SessionConfig{InstanceARN: reg.ContainerInstanceARN, OnConnect: func() { once.Do(func() { close(connected) }) }},
		acs.Handlers{Payload: got})
	go func() { _ = s.Run(ctx) }()
	<-connected

	api := ecs.NewFromConfig(cp.RootConfig())
	waitFor(t, "the instance shows its agent connected", func() bool {
		out, err := api.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{ContainerInstances: []string{reg.ContainerInstanceARN}})
		return err == nil && len(out.ContainerInstances) == 1 && out.ContainerInstances[0].AgentConnected
	})
	if _, err := api.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"), ContainerDefinitions: []ecstypes.ContainerDefinition{{
		Name: aws.String("web"), Image: aws.String("busybox"), Cpu: 128, Memory: aws.Int32(128), Essential: aws.Bool(true),
		PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(80)}},
	}}}); err != nil {
		t.Fatal(err)
	}
	run, err := api.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("web")})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask = %+v, %v", run, err)
	}
	taskARN := aws.ToString(run.Tasks[0].TaskArn)
	waitFor(t, "the task arrives over ACS", func() bool { return got.get(taskARN) != nil })
	wt := got.get(taskARN)
	if wt.DesiredStatus != "RUNNING" || wt.Family != "web" || len(wt.Containers) != 1 || wt.Containers[0].PortMappings[0].HostPort == 0 {
		t.Fatalf("delivered task = %+v", wt)
	}
	hostPort := wt.Containers[0].PortMappings[0].HostPort
	err = c.SubmitTaskStateChange(ctx, acs.TaskStateChange{TaskARN: taskARN, Status: "RUNNING", Containers: []acs.ContainerStateChange{{
		Name: "web", RuntimeID: "c1", Status: "RUNNING",
		NetworkBindings: []acs.NetworkBinding{{BindIP: "0.0.0.0", ContainerPort: 80, HostPort: hostPort, Protocol: "tcp"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{taskARN}})
	if err != nil || len(desc.Tasks) != 1 || aws.ToString(desc.Tasks[0].LastStatus) != "RUNNING" ||
		aws.ToInt32(desc.Tasks[0].Containers[0].NetworkBindings[0].HostPort) != hostPort {
		t.Fatalf("DescribeTasks = %+v, %v", desc, err)
	}

	if _, err := api.StopTask(ctx, &ecs.StopTaskInput{Task: aws.String(taskARN)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stop arrives over ACS", func() bool { return got.get(taskARN).DesiredStatus == "STOPPED" })
}

// instanceRoleActions are the AmazonEC2ContainerServiceforEC2Role
// actions; the test leaves ecs:Poll out of one copy.
var instanceRoleActions = []string{
	"ec2:DescribeTags", "ecs:CreateCluster", "ecs:DeregisterContainerInstance", "ecs:DiscoverPollEndpoint", "ecs:Poll",
	"ecs:RegisterContainerInstance", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState", "ecs:Submit*",
	"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
	"logs:CreateLogStream", "logs:PutLogEvents",
}

// TestClient_ControlPlane_InstanceRolePolicy: a role session holding the
// AWS-managed instance-role policy registers and polls (ACS and TCS);
// holding the same actions but ecs:Poll, its ACS handshake is refused
// with AccessDeniedException.
func TestClient_ControlPlane_InstanceRolePolicy(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := iam.NewFromConfig(cp.RootConfig())
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	launcher := cp.User(t, "launcher", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/launcher"},"Action":"sts:AssumeRole"}]}`
	var noPoll []string
	for _, a := range instanceRoleActions {
		if a != "ecs:Poll" {
			noPoll = append(noPoll, `"`+a+`"`)
		}
	}
	must(ecs.NewFromConfig(cp.RootConfig()).CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}))
	roles := []struct {
		name     string
		attach   bool
		inline   string
		wantPoll bool
	}{
		{name: "ecsInstanceRole", attach: true, wantPoll: true},
		{name: "noPoll", inline: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + strings.Join(noPoll, ",") + `],"Resource":"*"}]}`},
	}
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r.name), AssumeRolePolicyDocument: aws.String(trust)}))
			if r.attach {
				must(root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(r.name),
					PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role")}))
			} else {
				must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.name), PolicyName: aws.String("agent"), PolicyDocument: aws.String(r.inline)}))
			}
			out, err := sts.NewFromConfig(launcher).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/" + r.name), RoleSessionName: aws.String("i-0123456789abcdef0")})
			if err != nil {
				t.Fatal(err)
			}
			cr := out.Credentials
			sess := testutil.Config(cp.URL, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
			c := acs.NewClient(sess, acs.ClientConfig{Endpoint: cp.URL, Cluster: "prod", Logger: acstest.Logger()})
			reg, err := c.RegisterContainerInstance(ctx, acs.RegisterInput{CPU: 1024, MemoryMiB: 1024})
			if err != nil {
				t.Fatalf("register with the instance role: %v", err)
			}
			events := make(chan error, 16)
			sctx, scancel := context.WithCancel(ctx)
			defer scancel()
			s := acs.NewSession(c, acs.SessionConfig{InstanceARN: reg.ContainerInstanceARN, MinBackoff: 50 * time.Millisecond,
				OnConnect: func() { events <- nil }, OnConnectError: func(err error) { events <- err }}, acs.Handlers{Payload: &payloads{tasks: map[string]*wire.Task{}}})
			go func() { _ = s.Run(sctx) }()
			var first error
			select {
			case first = <-events:
			case <-time.After(20 * time.Second):
				t.Fatal("no connection attempt")
			}
			var he *acs.HandshakeError
			switch {
			case r.wantPoll && first != nil:
				t.Fatalf("ACS with ecs:Poll: %v", first)
			case !r.wantPoll && (!errors.As(first, &he) || he.Type != "AccessDeniedException" || !strings.Contains(he.Message, "ecs:Poll")):
				t.Fatalf("ACS without ecs:Poll: %v, want AccessDeniedException naming ecs:Poll", first)
			}
			if r.wantPoll {
				tel := acs.NewTelemetry(c, acs.TelemetryConfig{InstanceARN: reg.ContainerInstanceARN, PublishInterval: 50 * time.Millisecond}, idle{})
				go func() { _ = tel.Run(sctx) }()
				waitFor(t, "telemetry is acknowledged", func() bool { return tel.Acks() > 0 })
			}
		})
	}
}

type idle struct{}

func (idle) TaskMetrics(context.Context) []wire.TaskMetric { return nil }

// TestClient_ControlPlane_TaskRoleCredentials: a task's role credentials
// arrive with the task, work (they are the role's, as
// ecs-tasks.amazonaws.com assumed it), keep their credentials id after
// the control plane restarts, and a role whose trust policy does not
// allow ecs-tasks.amazonaws.com gives its task none.
func TestClient_ControlPlane_TaskRoleCredentials(t *testing.T) {
	dir := t.TempDir()
	cp := testutil.TestControlPlane(t, testutil.WithDataDir(dir))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := iam.NewFromConfig(cp.RootConfig())
	for name, svc := range map[string]string{"app": "ecs-tasks.amazonaws.com", "ec2only": "ec2.amazonaws.com"} {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + svc + `"},"Action":"sts:AssumeRole"}]}`
		if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
	}
	api := ecs.NewFromConfig(cp.RootConfig())
	for _, role := range []string{"app", "ec2only"} {
		if _, err := api.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String(role),
			TaskRoleArn:          aws.String("arn:aws:iam::123456789012:role/" + role),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("c"), Image: aws.String("busybox"), Memory: aws.Int32(64)}}}); err != nil {
			t.Fatal(err)
		}
	}
	c := acs.NewClient(cp.RootConfig(), acs.ClientConfig{Endpoint: cp.URL, Logger: acstest.Logger()})
	reg, err := c.RegisterContainerInstance(ctx, acs.RegisterInput{CPU: 1024, MemoryMiB: 1024,
		Attributes: map[string]string{"com.amazonaws.ecs.capability.task-iam-role": ""}})
	if err != nil {
		t.Fatal(err)
	}
	got := startSession(t, ctx, c, reg.ContainerInstanceARN)
	var arns []string
	for _, role := range []string{"app", "ec2only"} {
		run, err := api.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String(role)})
		if err != nil || len(run.Tasks) != 1 {
			t.Fatalf("RunTask %s = %+v, %v", role, run, err)
		}
		arns = append(arns, aws.ToString(run.Tasks[0].TaskArn))
	}
	waitFor(t, "both tasks arrive", func() bool { return got.get(arns[0]) != nil && got.get(arns[1]) != nil })
	creds := got.get(arns[0]).RoleCredentials
	if creds == nil || creds.RoleARN != "arn:aws:iam::123456789012:role/app" {
		t.Fatalf("task role credentials = %+v", creds)
	}
	if got.get(arns[1]).RoleCredentials != nil {
		t.Errorf("a role that does not trust ecs-tasks.amazonaws.com delivered credentials")
	}
	taskCfg := testutil.Config(cp.URL, creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	id, err := sts.NewFromConfig(taskCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	taskID := arns[0][strings.LastIndexByte(arns[0], '/')+1:]
	if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::123456789012:assumed-role/app/"+taskID {
		t.Fatalf("task credentials identity = %v, %v; want the app role session named after the task", id, err)
	}

	// Restart the control plane on the same data directory: the agent
	// reconnects (asking for credentials again) and the id is unchanged.
	cancel()
	closeCtx, closeCancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer closeCancel()
	if err := cp.Close(closeCtx); err != nil {
		t.Fatal(err)
	}
	cp2 := testutil.TestControlPlane(t, testutil.WithDataDir(dir))
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	c2 := acs.NewClient(cp2.RootConfig(), acs.ClientConfig{Endpoint: cp2.URL, Logger: acstest.Logger()})
	got2 := startSession(t, ctx2, c2, reg.ContainerInstanceARN)
	waitFor(t, "the task arrives after the restart", func() bool { return got2.get(arns[0]) != nil })
	if c := got2.get(arns[0]).RoleCredentials; c == nil || c.CredentialsID != creds.CredentialsID {
		t.Errorf("credentials after restart = %+v, want id %s", c, creds.CredentialsID)
	}
}

// startSession runs an ACS session for the instance until ctx ends and
// waits until it is connected.
func startSession(t *testing.T, ctx context.Context, c *acs.Client, inst string) *payloads {
	t.Helper()
	got := &payloads{tasks: map[string]*wire.Task{}}
	connected := make(chan struct{})
	var once sync.Once
	s := acs.NewSession(c, acs.SessionConfig{InstanceARN: inst, OnConnect: func() { once.Do(func() { close(connected) }) }}, acs.Handlers{Payload: got})
	go func() { _ = s.Run(ctx) }()
	select {
	case <-connected:
	case <-time.After(20 * time.Second):
		t.Fatal("the session did not connect")
	}
	return got
}
