// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/agent/docker/dockertest"
	"github.com/berthdev/berth/internal/agent/state"
	"github.com/berthdev/berth/internal/agent/taskrunner"
)

func openState(t *testing.T) *state.DB {
	t.Helper()
	db, err := state.Open(state.Config{Path: filepath.Join(t.TempDir(), "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func countCalls(fake *dockertest.Fake, prefix string) int {
	n := 0
	for _, c := range fake.Calls() {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func TestRunner_RestoreReattachesWithoutRestarting(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("img:1", dockertest.Image{Behavior: dockertest.Behavior{TermExitCode: 42}})
	db := openState(t)
	f1 := newFixture(t, fake, db, nil)
	arn := taskARN()
	task := webTask(arn)
	apply(t, f1.r, task)
	web, _ := f1.rec.waitFor(t, arn, 5*time.Second, status("RUNNING")).Container("web")

	// The checkpoint holds no secrets.
	rec, _, _ := db.Task(arn)
	if strings.Contains(string(rec.Spec), "secret-") || strings.Contains(string(rec.Spec), "ASIAAPP") || !slices.Contains(rec.CredentialsIDs, task.RoleCredentials.CredentialsID) {
		t.Errorf("checkpoint: %s ids %v", rec.Spec, rec.CredentialsIDs)
	}

	f1.r.Close() // the agent dies; the container keeps running
	if c, _ := fake.Container(web.RuntimeID); c.Status != "running" {
		t.Fatalf("Close touched the container: %s", c.Status)
	}
	creates, starts := countCalls(fake, "create"), countCalls(fake, "start")

	f2 := newFixture(t, fake, db, nil)
	n, err := f2.r.Restore(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Restore = %d, %v", n, err)
	}
	snap := f2.r.Snapshots()[0]
	if w, _ := snap.Container("web"); snap.Status != "RUNNING" || w.RuntimeID != web.RuntimeID || w.NetworkBindings[0].HostPort != 32768 {
		t.Fatalf("restored %s %+v", snap.Status, w)
	}
	if countCalls(fake, "create") != creates || countCalls(fake, "start") != starts {
		t.Errorf("Restore created or started containers: %v", fake.Calls())
	}
	// Credentials are pending until the control plane resends them.
	if e, ok := f2.m.Get(task.RoleCredentials.CredentialsID); !ok || !e.Credentials.Pending() {
		t.Errorf("credentials after restore: %+v %v, want pending", e, ok)
	}
	apply(t, f2.r, task) // ACS resends the task with credentials
	if e, _ := f2.m.Get(task.RoleCredentials.CredentialsID); e.Credentials.AccessKeyID != "ASIAAPP" {
		t.Errorf("credentials not refreshed: %+v", e)
	}
	c, _ := fake.Container(web.RuntimeID)
	if arnOf, ok := f2.reg.TaskForAddr(context.Background(), netip.MustParseAddr(c.IP), 0); !ok || arnOf != arn {
		t.Errorf("restored container IP not registered")
	}
	// The restored runner watches the container: stopping reports its exit.
	if err := f2.r.Stop(arn); err != nil {
		t.Fatal(err)
	}
	ch := f2.rec.waitFor(t, arn, 5*time.Second, status("STOPPED"))
	if w, _ := ch.Container("web"); w.ExitCode == nil || *w.ExitCode != 42 {
		t.Errorf("exit after restore: %+v", w)
	}
}

func TestRunner_RestoreSeesExitWhileAway(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("img", dockertest.Image{})
	db := openState(t)
	f1 := newFixture(t, fake, db, nil)
	arn := taskARN()
	apply(t, f1.r, taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "RUNNING", Containers: []taskrunner.Container{
		{Name: "app", Image: "img", Essential: true}, {Name: "side", Image: "img"}}})
	app, _ := f1.rec.waitFor(t, arn, 5*time.Second, status("RUNNING")).Container("app")
	f1.r.Close()
	fake.Exit(app.RuntimeID, 5) // dies while no agent watches

	f2 := newFixture(t, fake, db, nil)
	if _, err := f2.r.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	ch := f2.rec.waitFor(t, arn, 5*time.Second, status("STOPPED"))
	a, _ := ch.Container("app")
	s, _ := ch.Container("side")
	if a.ExitCode == nil || *a.ExitCode != 5 || s.Status != "STOPPED" || ch.Reason != "Essential container in task exited" {
		t.Errorf("after restore: %s", dump([]taskrunner.StateChange{ch}))
	}
}

func TestRunner_RestoreAdoptsContainerByLabel(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("img", dockertest.Image{})
	db := openState(t)
	f1 := newFixture(t, fake, db, nil)
	arn := taskARN()
	apply(t, f1.r, taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "RUNNING", Containers: []taskrunner.Container{
		{Name: "app", Image: "img", Essential: true}}})
	app, _ := f1.rec.waitFor(t, arn, 5*time.Second, status("RUNNING")).Container("app")
	f1.r.Close()
	// Simulate a crash between create and checkpoint: forget the id.
	rec, _, _ := db.Task(arn)
	rec.KnownStatus = "PENDING"
	rec.Containers["app"] = state.Container{KnownStatus: "NONE", EndpointID: rec.Containers["app"].EndpointID}
	if err := db.PutTask(rec); err != nil {
		t.Fatal(err)
	}
	f2 := newFixture(t, fake, db, nil)
	if _, err := f2.r.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	ch := f2.rec.waitFor(t, arn, 5*time.Second, status("RUNNING"))
	if a, _ := ch.Container("app"); a.RuntimeID != app.RuntimeID {
		t.Errorf("adopted %q, want %q", a.RuntimeID, app.RuntimeID)
	}
	if countCalls(fake, "create") != 1 {
		t.Errorf("a second container was created: %v", fake.Calls())
	}
}

func TestRunner_NetworkHookForgetsStoppedContainer(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("img", dockertest.Image{})
	f := newFixture(t, fake, nil, nil)
	arn := taskARN()
	apply(t, f.r, taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "RUNNING", Containers: []taskrunner.Container{
		{Name: "app", Image: "img", Essential: true}, {Name: "side", Image: "img"}}})
	side, _ := f.rec.waitFor(t, arn, 5*time.Second, status("RUNNING")).Container("side")
	c, _ := fake.Container(side.RuntimeID)
	ip := netip.MustParseAddr(c.IP)
	fake.Exit(side.RuntimeID, 0)
	f.rec.waitFor(t, arn, 5*time.Second, func(ch taskrunner.StateChange) bool {
		s, _ := ch.Container("side")
		return s.Status == "STOPPED"
	})
	if _, ok := f.reg.TaskForAddr(context.Background(), ip, 0); ok {
		t.Errorf("a stopped container's IP still maps to its task")
	}
}

func TestRunner_HostNetworkTask(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("img", dockertest.Image{})
	f := newFixture(t, fake, nil, nil)
	arn := taskARN()
	apply(t, f.r, taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "RUNNING", NetworkMode: "host", Containers: []taskrunner.Container{
		{Name: "app", Image: "img", Essential: true, PortMappings: []taskrunner.PortMapping{{ContainerPort: 8080}}}}})
	app, _ := f.rec.waitFor(t, arn, 5*time.Second, status("RUNNING")).Container("app")
	if len(app.NetworkBindings) != 1 || app.NetworkBindings[0].HostPort != 8080 {
		t.Errorf("host bindings %+v", app.NetworkBindings)
	}
	if !f.reg.HostNetwork(arn) {
		t.Errorf("host-network task not recorded as such")
	}
	c, _ := fake.Container(app.RuntimeID)
	if c.HostConfig.NetworkMode != "host" || len(c.HostConfig.PortBindings) != 0 {
		t.Errorf("host config %+v", c.HostConfig)
	}
}

func TestFromWire(t *testing.T) {
	var w wire.Task
	msg := `{"arn":"arn:aws:ecs:us-east-1:000000000000:task/test/0123456789abcdef0123456789abcdef",
  "family":"web","version":"1","desiredStatus":"RUNNING","networkMode":"bridge",
  "containers":[{"name":"web","image":"127.0.0.1:5000/web:1","cpu":128,"memory":128,"essential":true,
    "command":["a"],"portMappings":[{"containerPort":80,"hostPort":0,"protocol":"tcp"}],"environment":{"A":"b"},
    "overrides":"{\"command\":[\"b\",\"c\"]}","mountPoints":[],"volumesFrom":[],"stopTimeout":7,
    "dependsOn":[],"registryAuthentication":{"type":"ecr","ecrAuthData":{"registryId":"0","region":"us-east-1","useExecutionRole":true}},
    "dockerConfig":{"hostConfig":"{\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{}}}"}}],
  "roleCredentials":{"credentialsId":"c-1","roleArn":"arn:aws:iam::000000000000:role/app",
    "accessKeyId":"AK","secretAccessKey":"SK","sessionToken":"ST","expiration":"2030-01-01T00:00:00Z"}}`
	if err := json.Unmarshal([]byte(msg), &w); err != nil {
		t.Fatal(err)
	}
	task, err := taskrunner.FromWire(&w)
	if err != nil {
		t.Fatal(err)
	}
	c := task.Containers[0]
	if task.Family != "web" || task.Version != "1" || c.CPU != 128 || c.Memory != 128 || !c.Essential ||
		!slices.Equal(c.Command, []string{"b", "c"}) || c.StopTimeout != 7*time.Second || c.PortMappings[0].ContainerPort != 80 ||
		c.RegistryAuthentication.ECR.RegistryID != "0" || !c.RegistryAuthentication.ECR.UseExecutionRole ||
		c.DockerConfig.HostConfig == "" || task.RoleCredentials.CredentialsID != "c-1" || task.RoleCredentials.SecretAccessKey != "SK" ||
		task.RoleCredentials.Expiration != "2030-01-01T00:00:00Z" {
		t.Errorf("converted: %+v", task)
	}
	w.Containers[0].PortMappings[0].ContainerPort = 70000
	if _, err := taskrunner.FromWire(&w); err == nil {
		t.Errorf("out-of-range port accepted")
	}
}
