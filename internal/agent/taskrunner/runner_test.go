// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner_test

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/agent/docker/dockertest"
	"github.com/berthdev/berth/internal/agent/state"
	"github.com/berthdev/berth/internal/agent/taskrunner"
)

func webTask(arn string) taskrunner.Task {
	return taskrunner.Task{
		ARN: arn, Family: "web", Version: "3", DesiredStatus: "RUNNING", NetworkMode: "bridge",
		RoleCredentials:          roleCreds("cred-app-"+arn[len(arn)-4:], "ASIAAPP"),
		ExecutionRoleCredentials: roleCreds("cred-exec-"+arn[len(arn)-4:], "ASIAEXEC"),
		Containers: []taskrunner.Container{{
			Name: "web", Image: "img:1", CPU: 256, Memory: 128, MemoryReservation: 64, Essential: true,
			Command: []string{"serve"}, EntryPoint: []string{"/probe"}, Environment: map[string]string{"A": "b", "AWS_REGION": "eu-west-1"},
			PortMappings: []taskrunner.PortMapping{{ContainerPort: 8080}, {ContainerPort: 9090, HostPort: 19090, Protocol: "udp"}},
			DockerConfig: taskrunner.DockerConfig{
				Config:     `{"Labels":{"team":"a"},"User":"1000"}`,
				HostConfig: `{"LogConfig":{"Type":"awslogs","Config":{"awslogs-group":"g"}}}`,
			},
			LogsAuthStrategy: "ExecutionRole",
		}},
	}
}

func TestRunner_RunsTaskAndReportsRunning(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("img:1", dockertest.Image{})
	f := newFixture(t, fake, nil, nil)
	arn := taskARN()
	task := webTask(arn)
	apply(t, f.r, task)
	ch := f.rec.waitFor(t, arn, 5*time.Second, status("RUNNING"))
	web, _ := ch.Container("web")
	if web.Status != "RUNNING" || web.RuntimeID == "" {
		t.Fatalf("web: %+v", web)
	}
	want := []taskrunner.NetworkBinding{
		{BindIP: "0.0.0.0", ContainerPort: 8080, HostPort: 32768, Protocol: "tcp"},
		{BindIP: "0.0.0.0", ContainerPort: 9090, HostPort: 19090, Protocol: "udp"},
	}
	if d := cmp.Diff(want, web.NetworkBindings); d != "" {
		t.Errorf("bindings (-want +got):\n%s", d)
	}
	if first := f.rec.all()[0]; first.Status != "PENDING" {
		t.Errorf("first report %s, want PENDING", first.Status)
	}

	c, _ := fake.Container(web.RuntimeID)
	if !strings.HasPrefix(c.Name, "ecs-web-3-web-") {
		t.Errorf("name %q", c.Name)
	}
	wantLabels := map[string]string{
		"team": "a", taskrunner.LabelTaskARN: arn, taskrunner.LabelContainerName: "web", taskrunner.LabelCluster: "test-cluster",
		taskrunner.LabelFamily: "web", taskrunner.LabelVersion: "3",
	}
	if d := cmp.Diff(wantLabels, c.Config.Labels); d != "" {
		t.Errorf("labels (-want +got):\n%s", d)
	}
	env := map[string]string{}
	for _, kv := range c.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	eid := strings.TrimPrefix(env["ECS_CONTAINER_METADATA_URI_V4"], "http://169.254.170.2/v4/")
	wantEnv := map[string]string{
		"A": "b", "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/" + task.RoleCredentials.CredentialsID,
		"ECS_CONTAINER_METADATA_URI":             "http://169.254.170.2/v3/" + eid,
		"ECS_CONTAINER_METADATA_URI_V4":          "http://169.254.170.2/v4/" + eid,
	}
	if d := cmp.Diff(wantEnv, env); d != "" || !strings.HasPrefix(eid, task.ID()+"-") {
		t.Errorf("env (-want +got):\n%s (endpoint id %q)", d, eid)
	}
	if got := c.Config.Cmd; !slices.Equal(got, []string{"serve"}) || !slices.Equal(c.Config.Entrypoint, []string{"/probe"}) || c.Config.User != "1000" {
		t.Errorf("cmd %v entrypoint %v user %q", got, c.Config.Entrypoint, c.Config.User)
	}
	hc := c.HostConfig
	if hc.CPUShares != 256 || hc.Memory != 128<<20 || hc.MemoryReservation != 64<<20 || hc.NetworkMode != "bridge" {
		t.Errorf("limits: shares %d memory %d reservation %d mode %s", hc.CPUShares, hc.Memory, hc.MemoryReservation, hc.NetworkMode)
	}
	// awslogs is shipped by the agent: Docker gets json-file.
	if d := cmp.Diff(taskrunner.JSONFileOptions, hc.LogConfig.Config); d != "" || hc.LogConfig.Type != "json-file" {
		t.Errorf("log config (-want +got):\n%s", d)
	}
	if c.Config.StopTimeout == nil || *c.Config.StopTimeout != 2 {
		t.Errorf("stop timeout %v", c.Config.StopTimeout)
	}

	// Credentials registered; the container's IP maps to the task; the
	// metadata endpoint resolves.
	if e, ok := f.m.Get(task.RoleCredentials.CredentialsID); !ok || e.Credentials.AccessKeyID != "ASIAAPP" || e.TaskARN != arn {
		t.Errorf("credentials: %+v %v", e, ok)
	}
	if owner, ok := f.reg.TaskForAddr(context.Background(), netip.MustParseAddr(c.IP), 0); !ok || owner != arn {
		t.Errorf("registry maps %s to %q", c.IP, owner)
	}
	md, name, ok := f.reg.Endpoint(eid)
	if !ok || name != "web" || md.KnownStatus != "RUNNING" || md.Containers[0].Ports[0].HostPort != 32768 || md.Cluster != "test-cluster" {
		t.Errorf("metadata %v %q %+v", ok, name, md)
	}
	if len(fake.Pulls()) != 0 {
		t.Errorf("prefer-cached pulled a local image: %v", fake.Pulls())
	}
}

func TestRunner_EssentialExitStopsTask(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("app", dockertest.Image{Behavior: dockertest.Behavior{RunFor: 100 * time.Millisecond, ExitCode: 3}})
	fake.AddImage("side", dockertest.Image{})
	f := newFixture(t, fake, nil, nil)
	arn := taskARN()
	apply(t, f.r, taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "RUNNING", Containers: []taskrunner.Container{
		{Name: "app", Image: "app", Essential: true},
		{Name: "side", Image: "side", StopTimeout: 5 * time.Second},
	}})
	ch := f.rec.waitFor(t, arn, 5*time.Second, status("STOPPED"))
	app, _ := ch.Container("app")
	side, _ := ch.Container("side")
	if app.ExitCode == nil || *app.ExitCode != 3 || app.Status != "STOPPED" {
		t.Errorf("app: %+v", app)
	}
	if side.ExitCode == nil || *side.ExitCode != 143 || side.Status != "STOPPED" {
		t.Errorf("side: %+v", side)
	}
	if ch.Reason != "Essential container in task exited" || ch.ExecutionStoppedAt.IsZero() {
		t.Errorf("reason %q stoppedAt %v", ch.Reason, ch.ExecutionStoppedAt)
	}
	sc, _ := fake.Container(side.RuntimeID)
	if !slices.Equal(sc.Signals, []string{"SIGTERM"}) {
		t.Errorf("side got %v", sc.Signals)
	}
	if !slices.Contains(fake.Calls(), "stop "+sc.Name+" 5s") {
		t.Errorf("side not stopped with its stopTimeout: %v", fake.Calls())
	}
}

func TestRunner_NonEssentialExitKeepsTaskRunning(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("app", dockertest.Image{})
	fake.AddImage("job", dockertest.Image{Behavior: dockertest.Behavior{RunFor: 50 * time.Millisecond, ExitCode: 1}})
	f := newFixture(t, fake, nil, nil)
	arn := taskARN()
	apply(t, f.r, taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "RUNNING", Containers: []taskrunner.Container{
		{Name: "app", Image: "app", Essential: true}, {Name: "job", Image: "job"},
	}})
	f.rec.waitFor(t, arn, 5*time.Second, func(c taskrunner.StateChange) bool {
		j, _ := c.Container("job")
		return c.Status == "RUNNING" && j.Status == "STOPPED" && *j.ExitCode == 1
	})
	time.Sleep(100 * time.Millisecond)
	if last := f.r.Snapshots()[0]; last.Status != "RUNNING" {
		t.Errorf("task %s after a non-essential exit", last.Status)
	}
}

func TestRunner_DependsOnOrder(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("init", dockertest.Image{Behavior: dockertest.Behavior{RunFor: 100 * time.Millisecond}})
	fake.AddImage("svc", dockertest.Image{})
	f := newFixture(t, fake, nil, nil)
	arn := taskARN()
	health := taskrunner.DockerConfig{Config: `{"Healthcheck":{"Test":["CMD","/probe","get"]}}`}
	apply(t, f.r, taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "RUNNING", Containers: []taskrunner.Container{
		{Name: "sidecar", Image: "svc", DependsOn: []taskrunner.Dependency{{ContainerName: "app", Condition: "START"}}},
		{Name: "app", Image: "svc", Essential: true, DependsOn: []taskrunner.Dependency{
			{ContainerName: "init", Condition: "SUCCESS"}, {ContainerName: "db", Condition: "HEALTHY"}}},
		{Name: "db", Image: "svc", DockerConfig: health},
		{Name: "init", Image: "init", DependsOn: []taskrunner.Dependency{{ContainerName: "db", Condition: "START"}}},
	}})
	f.rec.waitFor(t, arn, 5*time.Second, func(c taskrunner.StateChange) bool {
		i, _ := c.Container("init")
		return i.Status == "STOPPED"
	})
	time.Sleep(100 * time.Millisecond)
	if snap := f.r.Snapshots()[0]; snap.Status != "PENDING" {
		t.Fatalf("task %s before db is healthy", snap.Status)
	}
	starts := func() []string {
		var out []string
		for _, c := range fake.Calls() {
			if strings.HasPrefix(c, "start ") {
				n := strings.Split(c, "-")
				out = append(out, n[len(n)-2])
			}
		}
		return out
	}
	if d := cmp.Diff([]string{"db", "init"}, starts()); d != "" {
		t.Fatalf("started before db is healthy (-want +got):\n%s", d)
	}
	for _, c := range f.r.Snapshots()[0].Containers {
		if c.Name == "db" {
			fake.SetHealth(c.RuntimeID, "healthy")
		}
	}
	f.rec.waitFor(t, arn, 5*time.Second, status("RUNNING"))
	if d := cmp.Diff([]string{"db", "init", "app", "sidecar"}, starts()); d != "" {
		t.Errorf("start order (-want +got):\n%s", d)
	}
}

func TestRunner_DependencyNeverMet(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("init", dockertest.Image{Behavior: dockertest.Behavior{RunFor: 20 * time.Millisecond, ExitCode: 1}})
	fake.AddImage("svc", dockertest.Image{})
	f := newFixture(t, fake, nil, nil)
	arn := taskARN()
	apply(t, f.r, taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "RUNNING", Containers: []taskrunner.Container{
		{Name: "init", Image: "init"},
		{Name: "app", Image: "svc", Essential: true, DependsOn: []taskrunner.Dependency{{ContainerName: "init", Condition: "SUCCESS"}}},
	}})
	ch := f.rec.waitFor(t, arn, 5*time.Second, status("STOPPED"))
	if !strings.HasPrefix(ch.Reason, "DependencyConditionFailed: container init did not reach SUCCESS") {
		t.Errorf("reason %q", ch.Reason)
	}
	if app, _ := ch.Container("app"); app.RuntimeID != "" {
		t.Errorf("app was created")
	}
}

func TestRunner_StopHonoursStopTimeout(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("stubborn", dockertest.Image{Behavior: dockertest.Behavior{IgnoreTerm: true}})
	f := newFixture(t, fake, nil, nil)
	arn := taskARN()
	task := taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "RUNNING", Containers: []taskrunner.Container{
		{Name: "app", Image: "stubborn", Essential: true, StopTimeout: 300 * time.Millisecond},
	}}
	apply(t, f.r, task)
	f.rec.waitFor(t, arn, 5*time.Second, status("RUNNING"))
	task.DesiredStatus = "STOPPED"
	start := time.Now()
	apply(t, f.r, task)
	ch := f.rec.waitFor(t, arn, 5*time.Second, status("STOPPED"))
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("stopped after %v, before the stop timeout", el)
	}
	app, _ := ch.Container("app")
	c, _ := fake.Container(app.RuntimeID)
	if *app.ExitCode != 137 || !slices.Equal(c.Signals, []string{"SIGTERM", "SIGKILL"}) {
		t.Errorf("exit %d signals %v, want 137 after SIGTERM then SIGKILL", *app.ExitCode, c.Signals)
	}
}

type staticAuth struct{ auth docker.RegistryAuth }

func (s staticAuth) RegistryAuth(ctx context.Context, t *taskrunner.Task, c *taskrunner.Container) (*docker.RegistryAuth, error) {
	a := s.auth
	return &a, nil
}

func TestRunner_PullBehavior(t *testing.T) {
	ecr := &taskrunner.RegistryAuthentication{Type: "ecr", ECR: &taskrunner.ECRAuthData{RegistryID: "000000000000", Region: "us-east-1"}}
	tests := []struct {
		name      string
		behavior  string
		local     bool
		remote    bool
		wantPulls int
		wantState string
		wantAuth  bool
	}{
		{"prefer-cached uses the local image", taskrunner.PullPreferCached, true, false, 0, "RUNNING", false},
		{"prefer-cached pulls a missing image with auth", taskrunner.PullPreferCached, false, true, 1, "RUNNING", true},
		{"default falls back to the local image", taskrunner.PullDefault, true, false, 1, "RUNNING", true},
		{"always fails without the registry", taskrunner.PullAlways, true, false, 1, "STOPPED", true},
		{"missing everywhere", taskrunner.PullDefault, false, false, 1, "STOPPED", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := dockertest.New()
			if tc.local {
				fake.AddImage("reg.example/app:1", dockertest.Image{})
			}
			if tc.remote {
				fake.AddRemoteImage("reg.example/app:1", dockertest.Image{})
			}
			f := newFixture(t, fake, nil, func(c *taskrunner.Config, d *taskrunner.Deps) {
				c.PullBehavior = tc.behavior
				d.Auth = staticAuth{docker.RegistryAuth{Username: "AWS", Password: "tok", ServerAddress: "reg.example"}}
			})
			arn := taskARN()
			apply(t, f.r, taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "RUNNING", Containers: []taskrunner.Container{
				{Name: "app", Image: "reg.example/app:1", Essential: true, RegistryAuthentication: ecr}}})
			ch := f.rec.waitFor(t, arn, 5*time.Second, func(c taskrunner.StateChange) bool { return c.Status == tc.wantState })
			pulls := fake.Pulls()
			if len(pulls) != tc.wantPulls {
				t.Fatalf("pulls %v, want %d", pulls, tc.wantPulls)
			}
			if tc.wantPulls > 0 && (pulls[0].Auth == nil) != !tc.wantAuth {
				t.Errorf("pull auth %+v", pulls[0].Auth)
			}
			if tc.wantState == "STOPPED" && !strings.HasPrefix(ch.Reason, "CannotPullContainerError") {
				t.Errorf("reason %q", ch.Reason)
			}
			if tc.wantPulls > 0 && tc.wantState == "RUNNING" && ch.PullStartedAt.IsZero() {
				t.Errorf("pull times not reported")
			}
		})
	}
}

func TestRunner_CleanupRemovesContainers(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("app", dockertest.Image{Behavior: dockertest.Behavior{RunFor: 20 * time.Millisecond}})
	db, err := state.Open(state.Config{Path: filepath.Join(t.TempDir(), "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := newFixture(t, fake, db, func(c *taskrunner.Config, _ *taskrunner.Deps) { c.CleanupWait = 100 * time.Millisecond })
	arn := taskARN()
	task := webTask(arn)
	task.Containers = []taskrunner.Container{{Name: "app", Image: "app", Essential: true}}
	apply(t, f.r, task)
	ch := f.rec.waitFor(t, arn, 5*time.Second, status("STOPPED"))
	app, _ := ch.Container("app")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := fake.Container(app.RuntimeID); !ok {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok := fake.Container(app.RuntimeID); ok {
		t.Fatal("container not removed after the cleanup wait")
	}
	time.Sleep(50 * time.Millisecond)
	if _, ok := f.m.Get(task.RoleCredentials.CredentialsID); ok {
		t.Errorf("credentials survive cleanup")
	}
	if _, ok, _ := db.Task(arn); ok {
		t.Errorf("checkpoint survives cleanup")
	}
	if len(f.r.Snapshots()) != 0 {
		t.Errorf("runner still tracks the task")
	}
}

func TestRunner_ApplyValidation(t *testing.T) {
	f := newFixture(t, dockertest.New(), nil, nil)
	arn := taskARN()
	bad := []taskrunner.Task{
		{ARN: "nope", DesiredStatus: "RUNNING", Containers: []taskrunner.Container{{Name: "a", Image: "i", Essential: true}}},
		{ARN: arn, DesiredStatus: "RUNNING"},
		{ARN: arn, DesiredStatus: "RUNNING", Containers: []taskrunner.Container{{Name: "a", Image: "i"}}},
		{ARN: arn, DesiredStatus: "RUNNING", NetworkMode: "awsvpc", Containers: []taskrunner.Container{{Name: "a", Image: "i", Essential: true}}},
		{ARN: arn, DesiredStatus: "RUNNING", Containers: []taskrunner.Container{
			{Name: "a", Image: "i", Essential: true, DependsOn: []taskrunner.Dependency{{ContainerName: "b", Condition: "START"}}},
			{Name: "b", Image: "i", DependsOn: []taskrunner.Dependency{{ContainerName: "a", Condition: "START"}}}}},
	}
	for i, task := range bad {
		if err := f.r.Apply(context.Background(), task); err == nil {
			t.Errorf("task %d accepted", i)
		}
	}
	// An unknown task desired STOPPED is reported STOPPED.
	apply(t, f.r, taskrunner.Task{ARN: arn, DesiredStatus: "STOPPED", Containers: []taskrunner.Container{{Name: "a", Image: "i", Essential: true}}})
	f.rec.waitFor(t, arn, time.Second, status("STOPPED"))
	f.r.Close()
	if err := f.r.Apply(context.Background(), webTask(taskARN())); !errors.Is(err, taskrunner.ErrClosed) {
		t.Errorf("Apply after Close: %v", err)
	}
}
