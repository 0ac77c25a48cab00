// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/testutil"
)

// startSimAgents starts `berth sim-agents` with args against a server
// (environment: PATH and HOME plus env) and kills it when the test ends.
func startSimAgents(t testing.TB, env []string, args ...string) *agentProc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "sim-agents.log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testutil.Binary(t), append([]string{"sim-agents", "--progress-interval", "-1s"}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := &agentProc{cmd: cmd, log: logPath}
	t.Cleanup(func() { p.signal(syscall.SIGKILL) })
	return p
}

// The parts of ECS CLI output the tests read.
type (
	cliResource struct {
		Name           string
		IntegerValue   int
		StringSetValue []string
	}
	cliInstance struct {
		ContainerInstanceArn string
		AgentConnected       bool
		RunningTasksCount    int
		PendingTasksCount    int
		RegisteredResources  []cliResource
		RemainingResources   []cliResource
		Attributes           []struct{ Name, Value string }
	}
	cliTask struct {
		TaskArn              string
		ContainerInstanceArn string
		LastStatus           string
		DesiredStatus        string
		AvailabilityZone     string
		StopCode             string
		StoppedReason        string
		Group                string
		Containers           []struct {
			Name            string
			ExitCode        *int
			NetworkBindings []struct {
				ContainerPort int
				HostPort      int
				Protocol      string
			}
		}
	}
	cliFailure struct{ Arn, Reason, Detail string }
	cliRunTask struct {
		Tasks    []cliTask
		Failures []cliFailure
	}
)

// ecsResource returns the named resource of a list.
func ecsResource(rs []cliResource, name string) cliResource {
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	return cliResource{}
}

// cliWait polls cond every 200 ms until it holds or 60 s pass.
func cliWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *cli) describeTasks(cluster string, arns []string) []cliTask {
	c.t.Helper()
	var out struct {
		Tasks    []cliTask
		Failures []cliFailure
	}
	c.must(&out, append([]string{"ecs", "describe-tasks", "--cluster", cluster, "--tasks"}, arns...)...)
	if len(out.Failures) != 0 {
		c.t.Fatalf("describe-tasks failures: %+v", out.Failures)
	}
	return out.Tasks
}

func (c *cli) describeInstances(cluster string) []cliInstance {
	c.t.Helper()
	var list struct{ ContainerInstanceArns []string }
	c.must(&list, "ecs", "list-container-instances", "--cluster", cluster)
	var out struct{ ContainerInstances []cliInstance }
	c.must(&out, append([]string{"ecs", "describe-container-instances", "--cluster", cluster, "--container-instances"}, list.ContainerInstanceArns...)...)
	return out.ContainerInstances
}

func cliTaskARNs(ts []cliTask) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.TaskArn
	}
	return out
}

// stopAll stops tasks with the CLI and waits until they are STOPPED.
func (c *cli) stopAll(cluster string, arns []string, reason string) []cliTask {
	c.t.Helper()
	for _, arn := range arns {
		c.must(nil, "ecs", "stop-task", "--cluster", cluster, "--task", arn, "--reason", reason)
	}
	var got []cliTask
	cliWait(c.t, "the stopped tasks are STOPPED", func() bool {
		got = c.describeTasks(cluster, arns)
		for _, tk := range got {
			if tk.LastStatus != "STOPPED" {
				return false
			}
		}
		return true
	})
	return got
}

// TestCLI_ECS_SimAgents drives ECS with the AWS CLI against `berth server`
// and `berth sim-agents` (four simulated instances in two zones): a task
// definition, RunTask until RUNNING with network bindings, the resources
// and host ports the tasks hold and give back when stopped, a task too big
// for every instance (failures[] RESOURCE:MEMORY), spread across an
// attribute's values and binpack filling one instance first.
func TestCLI_ECS_SimAgents(t *testing.T) {
	dir := t.TempDir()
	srv := testutil.StartServer(t, dir, nil)
	c := newCLI(t, srv)
	c.must(nil, "ecs", "create-cluster", "--cluster-name", "sim")
	const instances, instCPU, instMem = 4, 1024, 2048
	startSimAgents(t, nil, "--endpoint", srv.URL, "--data-dir", dir, "--cluster", "sim", "--count", strconv.Itoa(instances),
		"--cpu", strconv.Itoa(instCPU), "--memory", strconv.Itoa(instMem), "--azs", "us-east-1a,us-east-1b")
	cliWait(t, "every simulated agent is connected", func() bool {
		var out struct{ ContainerInstanceArns []string }
		c.must(&out, "ecs", "list-container-instances", "--cluster", "sim", "--filter", "agentConnected == true")
		return len(out.ContainerInstanceArns) == instances
	})

	var td struct {
		TaskDefinition struct{ TaskDefinitionArn string }
	}
	c.must(&td, "ecs", "register-task-definition", "--family", "web", "--container-definitions",
		`[{"name":"web","image":"busybox","cpu":128,"memory":256,"essential":true,"portMappings":[{"containerPort":8080,"hostPort":0}]}]`)
	if !strings.HasSuffix(td.TaskDefinition.TaskDefinitionArn, ":task-definition/web:1") {
		t.Fatalf("task definition ARN %q", td.TaskDefinition.TaskDefinitionArn)
	}

	// Run four tasks; they reach RUNNING with a dynamic host port each.
	var run cliRunTask
	c.must(&run, "ecs", "run-task", "--cluster", "sim", "--task-definition", "web", "--count", "4", "--started-by", "cli-test")
	if len(run.Tasks) != 4 || len(run.Failures) != 0 {
		t.Fatalf("run-task = %d tasks, failures %+v", len(run.Tasks), run.Failures)
	}
	arns := cliTaskARNs(run.Tasks)
	var tasks []cliTask
	cliWait(t, "the tasks are RUNNING", func() bool {
		tasks = c.describeTasks("sim", arns)
		for _, tk := range tasks {
			if tk.LastStatus != "RUNNING" {
				return false
			}
		}
		return true
	})
	hostPorts := map[string][]string{} // instance → host ports of its tasks
	for _, tk := range tasks {
		if len(tk.Containers) != 1 || len(tk.Containers[0].NetworkBindings) != 1 {
			t.Fatalf("task %s containers %+v, want one with one network binding", tk.TaskArn, tk.Containers)
		}
		nb := tk.Containers[0].NetworkBindings[0]
		if nb.ContainerPort != 8080 || nb.HostPort < 1024 || nb.Protocol != "tcp" {
			t.Errorf("task %s binding %+v, want 8080 on a dynamic tcp host port", tk.TaskArn, nb)
		}
		hostPorts[tk.ContainerInstanceArn] = append(hostPorts[tk.ContainerInstanceArn], strconv.Itoa(nb.HostPort))
	}
	var listed struct{ TaskArns []string }
	c.must(&listed, "ecs", "list-tasks", "--cluster", "sim", "--started-by", "cli-test", "--desired-status", "RUNNING")
	if len(listed.TaskArns) != 4 {
		t.Errorf("list-tasks --started-by = %d tasks, want 4", len(listed.TaskArns))
	}

	// The instances account for the tasks: CPU, memory, host ports, counts.
	usedCPU, usedMem, running := 0, 0, 0
	for _, in := range c.describeInstances("sim") {
		reg, rem := in.RegisteredResources, in.RemainingResources
		usedCPU += ecsResource(reg, "CPU").IntegerValue - ecsResource(rem, "CPU").IntegerValue
		usedMem += ecsResource(reg, "MEMORY").IntegerValue - ecsResource(rem, "MEMORY").IntegerValue
		running += in.RunningTasksCount
		for _, p := range hostPorts[in.ContainerInstanceArn] {
			if !slices.Contains(ecsResource(rem, "PORTS").StringSetValue, p) {
				t.Errorf("instance %s: host port %s of its task missing from remaining PORTS %v", in.ContainerInstanceArn, p, ecsResource(rem, "PORTS").StringSetValue)
			}
		}
	}
	if usedCPU != 4*128 || usedMem != 4*256 || running != 4 {
		t.Errorf("instances use %d CPU, %d MiB for %d running tasks; want %d, %d for 4", usedCPU, usedMem, running, 4*128, 4*256)
	}

	// Stop them: STOPPED as the user asked, and every resource returns.
	for _, tk := range c.stopAll("sim", arns, "cli test done") {
		if tk.DesiredStatus != "STOPPED" || tk.StopCode != "UserInitiated" || tk.StoppedReason != "cli test done" {
			t.Errorf("stopped task %s: desired %s, stopCode %s, reason %q", tk.TaskArn, tk.DesiredStatus, tk.StopCode, tk.StoppedReason)
		}
		if ec := tk.Containers[0].ExitCode; ec == nil || *ec != 143 {
			t.Errorf("stopped task %s exit code %v, want 143", tk.TaskArn, ec)
		}
	}
	cliWait(t, "every resource returned", func() bool {
		for _, in := range c.describeInstances("sim") {
			reg, rem := in.RegisteredResources, in.RemainingResources
			if ecsResource(reg, "CPU").IntegerValue != ecsResource(rem, "CPU").IntegerValue ||
				ecsResource(reg, "MEMORY").IntegerValue != ecsResource(rem, "MEMORY").IntegerValue ||
				!slices.Equal(ecsResource(reg, "PORTS").StringSetValue, ecsResource(rem, "PORTS").StringSetValue) ||
				in.RunningTasksCount != 0 || in.PendingTasksCount != 0 {
				return false
			}
		}
		return true
	})

	// A task too big for every instance is a failure, not an error.
	c.must(nil, "ecs", "register-task-definition", "--family", "huge", "--container-definitions",
		`[{"name":"big","image":"busybox","cpu":128,"memory":4096,"essential":true}]`)
	var big cliRunTask
	c.must(&big, "ecs", "run-task", "--cluster", "sim", "--task-definition", "huge")
	if len(big.Tasks) != 0 || len(big.Failures) == 0 {
		t.Fatalf("run-task of a too-big task = %+v", big)
	}
	for _, f := range big.Failures {
		if f.Reason != "RESOURCE:MEMORY" || !strings.Contains(f.Arn, ":container-instance/sim/") {
			t.Errorf("failure %+v, want RESOURCE:MEMORY naming a container instance", f)
		}
	}

	// spread over ecs.availability-zone: two tasks in each zone.
	var spread cliRunTask
	c.must(&spread, "ecs", "run-task", "--cluster", "sim", "--task-definition", "web", "--count", "4", "--group", "spread",
		"--placement-strategy", "type=spread,field=attribute:ecs.availability-zone")
	if len(spread.Tasks) != 4 {
		t.Fatalf("spread run-task: %+v", spread.Failures)
	}
	perAZ := map[string]int{}
	for _, tk := range c.describeTasks("sim", cliTaskARNs(spread.Tasks)) {
		perAZ[tk.AvailabilityZone]++
	}
	if perAZ["us-east-1a"] != 2 || perAZ["us-east-1b"] != 2 {
		t.Errorf("spread tasks per zone = %v, want 2 and 2", perAZ)
	}
	c.stopAll("sim", cliTaskARNs(spread.Tasks), "spread checked")
	cliWait(t, "the spread tasks' resources returned", func() bool {
		for _, in := range c.describeInstances("sim") {
			if in.RunningTasksCount != 0 || ecsResource(in.RemainingResources, "MEMORY").IntegerValue != instMem {
				return false
			}
		}
		return true
	})

	// binpack on memory: all four fit on one instance, so they share one.
	var packed cliRunTask
	c.must(&packed, "ecs", "run-task", "--cluster", "sim", "--task-definition", "web", "--count", "4", "--group", "binpack",
		"--placement-strategy", "type=binpack,field=memory")
	if len(packed.Tasks) != 4 {
		t.Fatalf("binpack run-task: %+v", packed.Failures)
	}
	on := map[string]int{}
	for _, tk := range packed.Tasks {
		on[tk.ContainerInstanceArn]++
	}
	if len(on) != 1 {
		t.Errorf("binpack placed the tasks on %d instances: %v", len(on), on)
	}
	// A fifth binpacked task still goes to the fullest instance that fits.
	var fifth cliRunTask
	c.must(&fifth, "ecs", "run-task", "--cluster", "sim", "--task-definition", "web", "--placement-strategy", "type=binpack,field=memory")
	if len(fifth.Tasks) != 1 || on[fifth.Tasks[0].ContainerInstanceArn] != 4 {
		t.Errorf("fifth binpacked task on %v, want the instance holding the other four", cliTaskARNs(fifth.Tasks))
	}
	var raw json.RawMessage
	c.must(&raw, "ecs", "describe-clusters", "--clusters", "sim", "--include", "STATISTICS")
	var cl struct {
		Clusters []struct {
			RunningTasksCount                 int
			PendingTasksCount                 int
			RegisteredContainerInstancesCount int
		}
	}
	if err := json.Unmarshal(raw, &cl); err != nil || len(cl.Clusters) != 1 || cl.Clusters[0].RegisteredContainerInstancesCount != instances ||
		cl.Clusters[0].RunningTasksCount+cl.Clusters[0].PendingTasksCount != 5 {
		t.Errorf("describe-clusters = %s", raw)
	}
}
