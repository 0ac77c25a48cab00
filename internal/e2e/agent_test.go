// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/netfilter"
	"github.com/berthdev/berth/internal/controlplane"
	"github.com/berthdev/berth/internal/firstrun"
	"github.com/berthdev/berth/internal/testutil"
)

const tasksTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// agentEnv is a control plane, first-run setup and a joined host's agent
// configuration on a test network: the control plane, the metadata
// service and the credentials endpoint listen on the network's gateway, so
// containers reach them (the metadata service only while lockdown is off);
// tasks are told 169.254.170.2:80, which the agent DNATs to the endpoint.
type agentEnv struct {
	bin     string
	cp      *testutil.ControlPlane
	ecs     *ecs.Client
	iam     *iam.Client
	gw      string
	imds    string
	creds   string
	comment string
	env     []string
}

func newAgentEnv(t testing.TB) (*agentEnv, *agentEnvDocker) {
	t.Helper()
	eng := agenttest.Docker(t)
	agenttest.RequireIPTables(t)
	agenttest.LockHostNetworking(t)
	nw := agenttest.CreateNetwork(t, eng, "agent")
	comment := agenttest.Comment()
	agenttest.LinkLocalGuard(t, comment)
	t.Cleanup(func() { removeRules(t, comment) })

	gw := nw.Gateway.String()
	cp := testutil.TestControlPlane(t, func(c *controlplane.Config) { c.Listen = gw + ":0" })
	cfg := cp.RootConfig()
	e := &agentEnv{bin: testutil.Binary(t), cp: cp, ecs: ecs.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg), gw: gw,
		imds: freeAddr(t, gw), creds: freeAddr(t, gw), comment: comment}
	token := firstRunInstance(t, cfg)
	e.env = []string{"HOME=" + t.TempDir(), "ECS_BACKEND_HOST=" + cp.URL, "ECS_DATADIR=" + filepath.Join(t.TempDir(), "agent"),
		"BERTH_IMDS_ADDR=" + e.imds, "BERTH_CREDENTIALS_ADDR=" + e.creds, "BERTH_CREDENTIALS_ENDPOINT=169.254.170.2:80",
		"BERTH_JOIN_TOKEN=" + token}
	e.env = append(e.env, dockerHostEnv()...)
	return e, &agentEnvDocker{probe: agenttest.ProbeImage(t, eng), whoami: whoamiImage(t, eng)}
}

// agentEnvDocker names the test images.
type agentEnvDocker struct{ probe, whoami string }

func (e *agentEnv) start(t testing.TB, extra ...string) *agentProc {
	return startAgent(t, e.bin, append(append([]string{}, e.env...), extra...), "--netfilter-comment", e.comment)
}

func removeRules(t testing.TB, comment string) {
	ipt, err := netfilter.NewIPTables(netfilter.Config{Comment: comment}, netfilter.Deps{})
	if err != nil {
		t.Errorf("netfilter: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ipt.Remove(ctx); err != nil {
		t.Errorf("removing the agent's rules: %v", err)
	}
}

func (e *agentEnv) registerTaskDef(t testing.TB, family, image string, roleARN string, command ...string) {
	t.Helper()
	c := ecstypes.ContainerDefinition{Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(64), Essential: aws.Bool(true),
		Command:      command,
		PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(0)}},
		Environment: []ecstypes.KeyValuePair{{Name: aws.String("AWS_ENDPOINT_URL"), Value: aws.String(e.cp.URL)},
			{Name: aws.String("AWS_REGION"), Value: aws.String(testutil.Region)}}}
	in := &ecs.RegisterTaskDefinitionInput{Family: aws.String(family), NetworkMode: ecstypes.NetworkModeBridge,
		ContainerDefinitions: []ecstypes.ContainerDefinition{c}}
	if roleARN != "" {
		in.TaskRoleArn = aws.String(roleARN)
	}
	if _, err := e.ecs.RegisterTaskDefinition(context.Background(), in); err != nil {
		t.Fatalf("RegisterTaskDefinition %s: %v", family, err)
	}
}

// TestAgent_EndToEnd drives `berth agent` (the binary) on the machine's
// Docker Engine: a task with a task role runs and its container gets the
// role's credentials with the unmodified SDK; the metadata service is
// locked away from containers; kill -9 of the agent leaves the task
// running and a restarted agent reattaches and stops it; an essential
// container's exit code stops its task; with lockdown off containers reach
// the metadata service; without ecs:Poll the agent cannot poll and says
// why.
func TestAgent_EndToEnd(t *testing.T) {
	e, d := newAgentEnv(t)
	eng := agenttest.Docker(t)
	ctx := context.Background()
	a := e.start(t)
	a.waitLog(t, 30*time.Second, "connected to ACS")
	if !strings.Contains(a.logText(), "source=EC2RoleProvider") {
		t.Errorf("the agent's credentials did not come from the metadata service; log:\n%s", a.logText())
	}
	// The credentials DNAT is verified before any container addresses 169.254.170.2.
	if nat := agenttest.IPTablesS(t, "nat", "PREROUTING"); !strings.Contains(nat, e.comment) || !strings.Contains(nat, "--to-destination "+e.creds) {
		t.Fatalf("no credentials DNAT to %s in:\n%s", e.creds, nat)
	}

	role, err := e.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app-task-role"), AssumeRolePolicyDocument: aws.String(tasksTrust)})
	if err != nil {
		t.Fatal(err)
	}
	e.registerTaskDef(t, "whoami", d.whoami, aws.ToString(role.Role.Arn))
	var taskARN, dockerID string
	top := t // containers outlive the subtest that started them

	t.Run("RunTask_TaskRoleCredentials", func(t *testing.T) {
		taskARN = runTask(t, e.ecs, "whoami")
		task := waitTask(t, e.ecs, taskARN, "RUNNING", 60*time.Second)
		c := task.Containers[0]
		dockerID = aws.ToString(c.RuntimeId)
		removeContainer(top, eng, dockerID)
		if len(c.NetworkBindings) != 1 || aws.ToInt32(c.NetworkBindings[0].HostPort) == 0 {
			t.Errorf("network bindings = %+v, want the host port Docker chose for 8080", c.NetworkBindings)
		}
		ps, err := exec.Command("docker", "ps", "-q", "--no-trunc", "--filter", "id="+dockerID).Output()
		if err != nil || strings.TrimSpace(string(ps)) != dockerID {
			t.Errorf("docker ps --filter id=%s = %q, %v", dockerID, ps, err)
		}
		var out struct{ Arn, Error string }
		deadline := time.Now().Add(30 * time.Second)
		for out.Arn == "" && out.Error == "" && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			stdout, _ := agenttest.Logs(t, eng, dockerID)
			_ = json.Unmarshal([]byte(stdout), &out)
		}
		want := "arn:aws:sts::" + testutil.AccountID + ":assumed-role/app-task-role/"
		if !strings.HasPrefix(out.Arn, want) {
			t.Fatalf("sts get-caller-identity in the task = %+v, want an ARN starting %s", out, want)
		}
	})

	t.Run("Lockdown_On", func(t *testing.T) {
		code, out := agenttest.RunToExit(t, eng, agenttest.RunSpec{Image: d.probe,
			Args: []string{"get", "-url", "http://" + e.imds + "/latest/meta-data/", "-timeout", "2s"}}, 30*time.Second)
		if code != 7 {
			t.Fatalf("a container reached the metadata service at %s with lockdown on: exit %d, %s", e.imds, code, out)
		}
	})

	t.Run("KillAgent_TaskKeepsRunning", func(t *testing.T) {
		if taskARN == "" {
			t.Skip("no task")
		}
		a.signal(syscall.SIGKILL)
		ins, err := eng.ContainerInspect(ctx, dockerID)
		if err != nil || ins.State == nil || !ins.State.Running {
			t.Fatalf("container %s after kill -9 of the agent: not running (%v)", dockerID, err)
		}
		a = e.start(top)
		a.waitLog(t, 30*time.Second, "reattached running tasks", "connected to ACS")
		time.Sleep(500 * time.Millisecond) // let a reconcile report reach the control plane
		waitTask(t, e.ecs, taskARN, "RUNNING", 10*time.Second)
		if _, err := e.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("default"), Task: aws.String(taskARN)}); err != nil {
			t.Fatal(err)
		}
		task := waitTask(t, e.ecs, taskARN, "STOPPED", 60*time.Second)
		if got := task.Containers[0].ExitCode; got == nil || *got != 0 {
			t.Errorf("exit code after StopTask = %v, want 0 (the program exits 0 on SIGTERM)", got)
		}
		if aws.ToString(task.Containers[0].RuntimeId) != dockerID {
			t.Errorf("the restarted agent ran a new container %s instead of reattaching %s", aws.ToString(task.Containers[0].RuntimeId), dockerID)
		}
	})

	t.Run("EssentialExit3", func(t *testing.T) {
		e.registerTaskDef(t, "exit3", d.probe, "", "exit", "-code", "3", "-after", "200ms")
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("agent log:\n%s", a.logText())
			}
		})
		arn := runTask(t, e.ecs, "exit3")
		task := waitTask(t, e.ecs, arn, "STOPPED", 60*time.Second)
		removeContainer(t, eng, aws.ToString(task.Containers[0].RuntimeId))
		if got := task.Containers[0].ExitCode; got == nil || *got != 3 {
			t.Fatalf("exit code = %v, want 3 (reason %q)", got, aws.ToString(task.StoppedReason))
		}
	})

	t.Run("LockdownOff_NoPoll_AccessDenied", func(t *testing.T) {
		a.signal(syscall.SIGTERM)
		removeRules(t, e.comment)
		// Replace the managed policy with the same actions minus ecs:Poll.
		if _, err := e.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(firstrun.RoleName), PolicyArn: aws.String(firstrun.PolicyARN)}); err != nil {
			t.Fatal(err)
		}
		noPoll := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:CreateCluster","ecs:DeregisterContainerInstance","ecs:DiscoverPollEndpoint","ecs:RegisterContainerInstance","ecs:StartTelemetrySession","ecs:Submit*","ecr:GetAuthorizationToken","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
		if _, err := e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(firstrun.RoleName), PolicyName: aws.String("no-poll"), PolicyDocument: aws.String(noPoll)}); err != nil {
			t.Fatal(err)
		}
		a = e.start(top, "BERTH_METADATA_LOCKDOWN=false")
		a.waitLog(t, 30*time.Second, "registered container instance", "AccessDenied", "ecs:Poll")
		if strings.Contains(a.logText(), "connected to ACS") {
			t.Errorf("the agent connected to ACS without ecs:Poll; log:\n%s", a.logText())
		}
		code, out := agenttest.RunToExit(t, eng, agenttest.RunSpec{Image: d.probe,
			Args: []string{"get", "-url", "http://" + e.imds + "/latest/meta-data/", "-timeout", "2s"}}, 30*time.Second)
		if code == 7 {
			t.Fatalf("with lockdown off a container could not reach the metadata service at %s: %s", e.imds, out)
		}
	})
}

// TestAgent_NoCreateCluster_ExitsNamingPermission runs `berth agent` with no
// cluster configured, for an instance role that may do everything an agent
// does except ecs:CreateCluster, against a control plane with no default
// cluster: the agent exits non-zero and says ecs:CreateCluster is missing.
// It needs neither Docker nor iptables (BERTH_NETFILTER=false, loopback
// addresses).
func TestAgent_NoCreateCluster_ExitsNamingPermission(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	cfg := cp.RootConfig()
	ctx := context.Background()
	iamc := iam.NewFromConfig(cfg)
	const name = "noCreateClusterRole"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:DeregisterContainerInstance","ecs:DiscoverPollEndpoint","ecs:Poll","ecs:RegisterContainerInstance","ecs:StartTelemetrySession","ecs:Submit*"],"Resource":"*"}]}`
	steps := []func() error{
		func() error {
			_, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
			return err
		},
		func() error {
			_, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("agent-but-no-create-cluster"), PolicyDocument: aws.String(policy)})
			return err
		},
		func() error {
			_, err := iamc.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)})
			return err
		},
		func() error {
			_, err := iamc.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String(name)})
			return err
		},
	}
	for i, s := range steps {
		if err := s(); err != nil {
			t.Fatalf("IAM setup step %d: %v", i, err)
		}
	}
	if out, err := ecs.NewFromConfig(cfg).ListClusters(ctx, &ecs.ListClustersInput{}); err != nil || len(out.ClusterArns) != 0 {
		t.Fatalf("ListClusters = %v, %v: want no cluster at all", out, err)
	}
	token := launchInstance(t, cfg, name)
	env := []string{"HOME=" + t.TempDir(), "ECS_BACKEND_HOST=" + cp.URL, "ECS_DATADIR=" + filepath.Join(t.TempDir(), "agent"),
		"BERTH_IMDS_ADDR=" + freeAddr(t, "127.0.0.1"), "BERTH_CREDENTIALS_ADDR=" + freeAddr(t, "127.0.0.1"),
		"BERTH_NETFILTER=false", "BERTH_JOIN_TOKEN=" + token, "DOCKER_HOST=unix://" + filepath.Join(t.TempDir(), "no-docker.sock")}
	a := startAgent(t, testutil.Binary(t), env)
	done := make(chan error, 1)
	go func() { done <- a.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the agent is still running after 60s; want it to exit; log:\n%s", a.logText())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("agent exit = %v, want exit status 1", err)
	}
	log := a.logText()
	for _, want := range []string{"ecs:CreateCluster", "AccessDeniedException", "cluster default does not exist"} {
		if !strings.Contains(log, want) {
			t.Errorf("agent output lacks %q:\n%s", want, log)
		}
	}
	if out, err := ecs.NewFromConfig(cfg).ListClusters(ctx, &ecs.ListClustersInput{}); err != nil || len(out.ClusterArns) != 0 {
		t.Errorf("ListClusters after the agent = %v, %v: want still no cluster", out.ClusterArns, err)
	}
}
