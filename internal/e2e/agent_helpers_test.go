// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/firstrun"
)

// agentProc is a `berth agent` process whose log goes to a file.
type agentProc struct {
	cmd *exec.Cmd
	log string
}

// startAgent starts `berth agent` with exactly env (plus PATH) and kills it
// in t.Cleanup.
func startAgent(t testing.TB, bin string, env []string, args ...string) *agentProc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "agent.log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"agent"}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := &agentProc{cmd: cmd, log: logPath}
	t.Cleanup(func() { p.signal(syscall.SIGKILL) })
	return p
}

func (p *agentProc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// signal sends sig and waits for the process to exit.
func (p *agentProc) signal(sig syscall.Signal) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	_ = p.cmd.Wait()
}

// waitLog waits until the agent's log contains every one of subs.
func (p *agentProc) waitLog(t testing.TB, timeout time.Duration, subs ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		text := p.logText()
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(text, s)
		}
		if ok {
			return
		}
		if p.cmd.ProcessState != nil || time.Now().After(deadline) {
			t.Fatalf("agent log lacks %q (exited: %v); log:\n%s", subs, p.cmd.ProcessState, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns an unused TCP address on ip.
func freeAddr(t testing.TB, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// whoamiImage builds (once per process) the FROM-scratch image of
// testdata/whoami: sts:GetCallerIdentity with the SDK's default chain.
func whoamiImage(t testing.TB, eng *docker.Engine) string {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	return agenttest.ScratchImageOnce(t, eng, "whoami", filepath.Join(filepath.Dir(self), "testdata", "whoami"))
}

// waitTask polls DescribeTasks until the task's lastStatus is want.
func waitTask(t testing.TB, c *ecs.Client, taskARN, want string, timeout time.Duration) ecstypes.Task {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last ecstypes.Task
	for {
		out, err := c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("default"), Tasks: []string{taskARN}})
		if err == nil && len(out.Tasks) == 1 {
			last = out.Tasks[0]
			if aws.ToString(last.LastStatus) == want {
				return last
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s is %s (%s), want %s after %s (err %v)", taskARN, aws.ToString(last.LastStatus),
				aws.ToString(last.StoppedReason), want, timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runTask runs one task of family in cluster default.
func runTask(t testing.TB, c *ecs.Client, family string) string {
	t.Helper()
	out, err := c.RunTask(context.Background(), &ecs.RunTaskInput{Cluster: aws.String("default"), TaskDefinition: aws.String(family)})
	if err != nil {
		t.Fatalf("RunTask %s: %v", family, err)
	}
	if len(out.Tasks) != 1 {
		var why []string
		for _, f := range out.Failures {
			why = append(why, aws.ToString(f.Reason)+" "+aws.ToString(f.Detail))
		}
		t.Fatalf("RunTask %s: %d tasks, failures %q", family, len(out.Tasks), why)
	}
	return aws.ToString(out.Tasks[0].TaskArn)
}

// launchInstance runs one EC2 instance with the instance profile named
// profile and returns its join token.
func launchInstance(t testing.TB, cfg aws.Config, profile string) string {
	t.Helper()
	run, err := ec2.NewFromConfig(cfg).RunInstances(context.Background(), &ec2.RunInstancesInput{ImageId: aws.String("ami-berth"),
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String(profile)}})
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	return joinToken(run.Instances[0])
}

// joinToken returns an instance's berth:join-token tag ("" without one).
func joinToken(inst ec2types.Instance) string {
	var token string
	for _, tg := range inst.Tags {
		if aws.ToString(tg.Key) == "berth:join-token" {
			token = aws.ToString(tg.Value)
		}
	}
	return token
}

// firstRunInstance sets the account up as `berth up` does (firstrun.Ensure)
// and launches an instance with berth's instance profile; it returns the
// instance's join token.
func firstRunInstance(t testing.TB, cfg aws.Config) string {
	t.Helper()
	rep, err := firstrun.Ensure(context.Background(), firstrun.FromSDK(iam.NewFromConfig(cfg), ecs.NewFromConfig(cfg)))
	if err != nil || !rep.Complete() {
		t.Fatalf("firstrun.Ensure: %v\n%s", err, rep)
	}
	return launchInstance(t, cfg, firstrun.ProfileName)
}

// dockerHostEnv passes DOCKER_HOST on to a child when the test has it.
func dockerHostEnv() []string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return []string{"DOCKER_HOST=" + h}
	}
	return nil
}

// removeContainer force-removes a task's container at the end of the test.
func removeContainer(t testing.TB, eng *docker.Engine, id string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = eng.ContainerRemove(ctx, id)
	})
}

// netnsClient is an HTTP client whose every connection is dialled inside
// the network namespace ns.
func netnsClient(t testing.TB, ns *agenttest.NetNS, timeout time.Duration) *http.Client {
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var c net.Conn
			var err error
			ns.Do(t, func() { c, err = (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp4", addr) })
			return c, err
		}}
	return &http.Client{Transport: tr, Timeout: timeout}
}
