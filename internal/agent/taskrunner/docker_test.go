// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/creds"
	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/agent/netfilter"
	"github.com/berthdev/berth/internal/agent/taskrunner"
)

// The tests in this file run tasks on the machine's Docker Engine with a
// FROM-scratch image holding the static probe program (built locally;
// nothing is pulled). They skip where there is no Docker Engine.

type dockerEnv struct {
	eng     *docker.Engine
	img     string
	cluster string
}

func newDockerEnv(t *testing.T) *dockerEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping a test on the real Docker Engine")
	}
	eng := agenttest.Docker(t)
	e := &dockerEnv{eng: eng, img: agenttest.ProbeImage(t, eng), cluster: "berth-test-" + agenttest.ID()}
	t.Cleanup(func() {
		// Whatever a failed test left: every container of this test's cluster.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		list, _ := eng.ContainerList(ctx, map[string]string{taskrunner.LabelCluster: e.cluster})
		for _, c := range list {
			_ = eng.ContainerRemove(ctx, c.ID)
		}
	})
	return e
}

func (e *dockerEnv) runner(t *testing.T, store taskrunner.Store, mod func(*taskrunner.Config, *taskrunner.Deps)) *fixture {
	t.Helper()
	return newFixture(t, e.eng, store, func(c *taskrunner.Config, d *taskrunner.Deps) {
		c.Cluster = e.cluster
		c.StopTimeout = 10 * time.Second
		c.HealthInterval = time.Second
		if mod != nil {
			mod(c, d)
		}
	})
}

func (e *dockerEnv) task(arn string, containers ...taskrunner.Container) taskrunner.Task {
	for i := range containers {
		containers[i].Image = e.img
		if containers[i].Memory == 0 {
			containers[i].Memory = 64
		}
	}
	return taskrunner.Task{ARN: arn, Family: "probe", Version: "1", DesiredStatus: "RUNNING", NetworkMode: "bridge", Containers: containers}
}

const dockerWait = 2 * time.Minute

// waitLog waits until a container's stdout contains want.
func waitLog(t *testing.T, eng *docker.Engine, id, want string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if out, _ := agenttest.Logs(t, eng, id); strings.Contains(out, want) {
			return
		}
	}
	t.Fatalf("container %s never printed %q", id, want)
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	c := agenttest.LoopbackOnlyClient()
	var last error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := c.Get(url)
		if err != nil {
			last = err
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

// TestRunner_Docker_RunningWithHostPort runs a task whose container
// publishes port 8080 on a dynamic host port: the container shows up in
// docker ps with the task's labels, the task is reported RUNNING with the
// host port Docker chose, that port answers on loopback, and stopping the
// task reports the container's exit code.
func TestRunner_Docker_RunningWithHostPort(t *testing.T) {
	e := newDockerEnv(t)
	f := e.runner(t, nil, nil)
	arn := taskARN()
	apply(t, f.r, e.task(arn, taskrunner.Container{Name: "web", Essential: true, CPU: 128,
		Command: []string{"serve", "-addr", ":8080", "-term-exit", "0"}, PortMappings: []taskrunner.PortMapping{{ContainerPort: 8080}}}))
	ch := f.rec.waitFor(t, arn, dockerWait, status("RUNNING"))
	web, _ := ch.Container("web")
	if len(web.NetworkBindings) != 1 || web.NetworkBindings[0].HostPort == 0 || web.NetworkBindings[0].ContainerPort != 8080 {
		t.Fatalf("bindings %+v", web.NetworkBindings)
	}
	hostPort := web.NetworkBindings[0].HostPort

	list, err := e.eng.ContainerList(context.Background(), map[string]string{taskrunner.LabelTaskARN: arn})
	if err != nil || len(list) != 1 || list[0].ID != web.RuntimeID || list[0].State != "running" {
		t.Fatalf("engine list: %v %+v", err, list)
	}
	if _, err := exec.LookPath("docker"); err == nil {
		out, err := exec.Command("docker", "ps", "--no-trunc", "--filter", "label="+taskrunner.LabelTaskARN+"="+arn, "--format", "{{.ID}} {{.Ports}}").CombinedOutput()
		if err != nil || !strings.Contains(string(out), web.RuntimeID) || !strings.Contains(string(out), fmt.Sprintf(":%d->8080/tcp", hostPort)) {
			t.Errorf("docker ps: %v\n%s", err, out)
		}
	}
	if body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", hostPort)); !strings.HasPrefix(body, "ok ") {
		t.Errorf("GET the host port: %q", body)
	}
	if err := f.r.Stop(arn); err != nil {
		t.Fatal(err)
	}
	ch = f.rec.waitFor(t, arn, dockerWait, status("STOPPED"))
	if w, _ := ch.Container("web"); w.ExitCode == nil || *w.ExitCode != 0 {
		t.Errorf("exit %+v", w)
	}
}

// TestRunner_Docker_EssentialExit3 shows an essential container exiting
// with 3 stops its task: the task is STOPPED, the container reports exit
// code 3, and the other container got SIGTERM (it exits 0 on it).
func TestRunner_Docker_EssentialExit3(t *testing.T) {
	e := newDockerEnv(t)
	f := e.runner(t, nil, nil)
	arn := taskARN()
	apply(t, f.r, e.task(arn,
		taskrunner.Container{Name: "app", Essential: true, Command: []string{"exit", "-code", "3", "-after", "1s"}},
		taskrunner.Container{Name: "side", Command: []string{"serve", "-addr", ":8080", "-term-exit", "0"}}))
	ch := f.rec.waitFor(t, arn, dockerWait, status("STOPPED"))
	app, _ := ch.Container("app")
	side, _ := ch.Container("side")
	if app.ExitCode == nil || *app.ExitCode != 3 {
		t.Errorf("app %+v, want exit code 3", app)
	}
	if side.ExitCode == nil || *side.ExitCode != 0 || side.Status != "STOPPED" {
		t.Errorf("side %+v, want stopped by SIGTERM with 0", side)
	}
	if ch.Reason != "Essential container in task exited" {
		t.Errorf("reason %q", ch.Reason)
	}
	if out, _ := agenttest.Logs(t, e.eng, side.RuntimeID); !strings.Contains(out, "terminating on terminated") {
		t.Errorf("side did not see SIGTERM: %q", out)
	}
}

// TestRunner_Docker_ReattachAfterRestart drops a runner as kill -9 would
// (Close: no container is touched), builds a new one from the same state
// file, and shows it reattaches to the running container (same id, same
// start time, no restart), then stops it and reports its exit code.
func TestRunner_Docker_ReattachAfterRestart(t *testing.T) {
	e := newDockerEnv(t)
	db := openState(t)
	f1 := e.runner(t, db, nil)
	arn := taskARN()
	apply(t, f1.r, e.task(arn, taskrunner.Container{Name: "web", Essential: true,
		Command: []string{"serve", "-addr", ":8080", "-term-exit", "42"}, PortMappings: []taskrunner.PortMapping{{ContainerPort: 8080}}}))
	web, _ := f1.rec.waitFor(t, arn, dockerWait, status("RUNNING")).Container("web")
	ctx := context.Background()
	before, err := e.eng.ContainerInspect(ctx, web.RuntimeID)
	if err != nil {
		t.Fatal(err)
	}
	f1.r.Close()

	after, err := e.eng.ContainerInspect(ctx, web.RuntimeID)
	if err != nil || !after.State.Running {
		t.Fatalf("container after the runner died: %v %+v", err, after.State)
	}
	f2 := e.runner(t, db, nil)
	if n, err := f2.r.Restore(ctx); err != nil || n != 1 {
		t.Fatalf("Restore = %d %v", n, err)
	}
	snap := f2.r.Snapshots()[0]
	w2, _ := snap.Container("web")
	if snap.Status != "RUNNING" || w2.RuntimeID != web.RuntimeID || w2.NetworkBindings[0].HostPort != web.NetworkBindings[0].HostPort {
		t.Fatalf("restored %s %+v", snap.Status, w2)
	}
	after, _ = e.eng.ContainerInspect(ctx, web.RuntimeID)
	if after.State.StartedAt != before.State.StartedAt || after.RestartCount != 0 || !after.State.Running {
		t.Errorf("container restarted: started %s → %s, restarts %d", before.State.StartedAt, after.State.StartedAt, after.RestartCount)
	}
	httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", w2.NetworkBindings[0].HostPort))
	if err := f2.r.Stop(arn); err != nil {
		t.Fatal(err)
	}
	ch := f2.rec.waitFor(t, arn, dockerWait, status("STOPPED"))
	if w, _ := ch.Container("web"); w.ExitCode == nil || *w.ExitCode != 42 {
		t.Errorf("exit after reattach %+v, want 42", w)
	}
}

// TestRunner_Docker_StopTimeoutSIGKILL stops a task whose container
// ignores SIGTERM: Docker sends SIGKILL after the container's stopTimeout
// (2s) and the exit code is 137.
func TestRunner_Docker_StopTimeoutSIGKILL(t *testing.T) {
	e := newDockerEnv(t)
	f := e.runner(t, nil, nil)
	arn := taskARN()
	apply(t, f.r, e.task(arn, taskrunner.Container{Name: "stubborn", Essential: true, StopTimeout: 2 * time.Second,
		Command: []string{"serve", "-addr", ":8080", "-ignore-term"}}))
	s0, _ := f.rec.waitFor(t, arn, dockerWait, status("RUNNING")).Container("stubborn")
	waitLog(t, e.eng, s0.RuntimeID, "serving on") // its SIGTERM handler is installed
	start := time.Now()
	if err := f.r.Stop(arn); err != nil {
		t.Fatal(err)
	}
	ch := f.rec.waitFor(t, arn, dockerWait, status("STOPPED"))
	if el := time.Since(start); el < 2*time.Second {
		t.Errorf("stopped after %v, before its 2s stopTimeout", el)
	}
	s, _ := ch.Container("stubborn")
	if s.ExitCode == nil || *s.ExitCode != 137 {
		t.Errorf("exit %+v (%v), want 137 (SIGKILL)", s, derefTest(s.ExitCode))
	}
	if out, errOut := agenttest.Logs(t, e.eng, s.RuntimeID); !strings.Contains(out, "ignoring terminated") {
		t.Logf("stderr: %s", errOut)
		t.Errorf("container did not get SIGTERM first: %q", out)
	}
}

// TestRunner_Docker_TaskRoleCredentialsThroughDNAT runs a container that
// reads its task role credentials with aws-sdk-go-v2's unmodified default
// chain, given only AWS_CONTAINER_CREDENTIALS_RELATIVE_URI by the creds
// hook: the SDK connects to 169.254.170.2:80, which the agent's netfilter
// DNAT rule rewrites to the credentials server on 127.0.0.1. The test
// verifies with `iptables -t nat -S` that the DNAT rule is installed and
// points to the local port before any container starts; a guard drops any
// forwarded packet to 169.254.170.2 or 169.254.169.254 meanwhile. A
// container outside the task asking for the same id is refused.
func TestRunner_Docker_TaskRoleCredentialsThroughDNAT(t *testing.T) {
	e := newDockerEnv(t)
	agenttest.RequireIPTables(t)
	agenttest.LockHostNetworking(t)
	comment := agenttest.Comment()
	agenttest.LinkLocalGuard(t, comment)

	m, reg := creds.NewMemory(), creds.NewRegistry()
	srv, err := creds.New(creds.Config{SettleTimeout: 10 * time.Second}, creds.Deps{Credentials: m, Registry: reg, Stats: e.eng, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	port := ln.Addr().(*net.TCPAddr).Port

	nf, err := netfilter.NewIPTables(netfilter.Config{
		Comment:             comment,
		CredentialsEndpoint: mustAddrPort("169.254.170.2:80"),
		CredentialsListen:   mustAddrPort(fmt.Sprintf("127.0.0.1:%d", port)),
		LocalhostFilter:     true,
	}, netfilter.Deps{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() {
		if err := nf.Remove(ctx); err != nil {
			t.Errorf("removing the test's netfilter rules: %v", err)
		}
	})
	if err := nf.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	// Verify the rewrite before any container addresses 169.254.170.2.
	nat := agenttest.IPTablesS(t, "nat", "PREROUTING")
	want := fmt.Sprintf("-A PREROUTING -d 169.254.170.2/32 -p tcp -m tcp --dport 80 -m comment --comment %s -j DNAT --to-destination 127.0.0.1:%d", comment, port)
	var mentions []string
	for _, l := range strings.Split(nat, "\n") {
		if strings.Contains(l, "169.254.170.2") {
			mentions = append(mentions, l)
		}
	}
	if len(mentions) != 1 || mentions[0] != want {
		t.Fatalf("nat PREROUTING does not rewrite 169.254.170.2 to 127.0.0.1:%d with this test's rule alone; refusing to let a container address it:\n%s", port, nat)
	}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/conf/all/route_localnet"); err != nil || strings.TrimSpace(string(b)) != "1" {
		t.Fatalf("route_localnet = %q %v, want 1", b, err)
	}

	f := newFixture(t, e.eng, nil, func(c *taskrunner.Config, d *taskrunner.Deps) {
		c.Cluster, c.StopTimeout = e.cluster, 10*time.Second
		d.Credentials, d.Registry = m, reg
	})
	arn := taskARN()
	task := e.task(arn, taskrunner.Container{Name: "app", Essential: true, Command: []string{"creds"}})
	task.RoleCredentials = roleCreds("cred-"+agenttest.ID(), "ASIATASKROLE"+agenttest.ID())
	apply(t, f.r, task)
	ch := f.rec.waitFor(t, arn, dockerWait, status("STOPPED"))
	app, _ := ch.Container("app")
	out, errOut := agenttest.Logs(t, e.eng, app.RuntimeID)
	if app.ExitCode == nil || *app.ExitCode != 0 {
		t.Fatalf("container exit %v; stdout %q stderr %q", app.ExitCode, out, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("probe output %q: %v", out, err)
	}
	rc := task.RoleCredentials
	if got["AccessKeyID"] != rc.AccessKeyID || got["SecretAccessKey"] != rc.SecretAccessKey || got["SessionToken"] != rc.SessionToken || got["Source"] != "CredentialsEndpointProvider" {
		t.Errorf("the container's SDK got %v, want the task role credentials unchanged", got)
	}
	// The SDK reports expiry 5 minutes early (its refresh window).
	exp, _ := time.Parse(time.RFC3339, rc.Expiration)
	if e, _ := time.Parse(time.RFC3339, fmt.Sprint(got["Expires"])); e.After(exp) || exp.Sub(e) > 10*time.Minute {
		t.Errorf("expiry %v, want within 10 minutes before %v", got["Expires"], exp)
	}
	if got["TaskARN"] != arn || got["MetadataStatus"] != float64(200) {
		t.Errorf("task metadata through the same endpoint: %v", got)
	}

	// A container that is not part of the task cannot read its credentials.
	code, stranger := agenttest.RunToExit(t, e.eng, agenttest.RunSpec{Image: e.img, Args: []string{"creds"},
		Env: []string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/" + rc.CredentialsID}}, dockerWait)
	if code == 0 || strings.Contains(stranger, rc.AccessKeyID) {
		t.Errorf("a container outside the task read its credentials: exit %d %q", code, stranger)
	}
}
