// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/docker/dockertest"
	"github.com/berthdev/berth/internal/agent/taskrunner"
)

// phaseRecorder is a hook that records the Poststart, RestoreExited and
// Drain calls it gets, and whether each restored-exited container still
// existed when Drain ran.
type phaseRecorder struct {
	fake  *dockertest.Fake
	mu    sync.Mutex
	calls []string
	ids   map[string]string // container name → docker id, from RestoreExited
	// presentAtDrain: for each RestoreExited container, whether Docker
	// still had it when Drain was called.
	presentAtDrain map[string]bool
}

var (
	_ taskrunner.Poststarter    = (*phaseRecorder)(nil)
	_ taskrunner.ExitedRestorer = (*phaseRecorder)(nil)
	_ taskrunner.Drainer        = (*phaseRecorder)(nil)
)

func (p *phaseRecorder) Name() string { return "recorder" }

func (p *phaseRecorder) Poststart(_ context.Context, _ *taskrunner.Task, c *taskrunner.ContainerInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, "poststart "+c.Name)
}

func (p *phaseRecorder) RestoreExited(_ context.Context, _ *taskrunner.Task, c *taskrunner.ContainerInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, "exited "+c.Name)
	p.ids[c.Name] = c.DockerID
}

func (p *phaseRecorder) Drain(context.Context, *taskrunner.Task) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, "drain")
	for name, id := range p.ids {
		_, ok := p.fake.Container(id)
		p.presentAtDrain[name] = ok
	}
}

func (p *phaseRecorder) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// TestRunner_RestoreExitedContainers: Restore hands hooks every stopped
// container Docker still has (one that exited while the agent was away,
// and one that had exited before), as RestoreExited with its Docker id,
// Poststart for the running one, nothing for one that is gone; and the
// task's Drain comes before its containers are removed.
func TestRunner_RestoreExitedContainers(t *testing.T) {
	fake := dockertest.New()
	fake.AddImage("img", dockertest.Image{})
	db := openState(t)
	f1 := newFixture(t, fake, db, nil)
	arn := taskARN()
	apply(t, f1.r, taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "RUNNING", Containers: []taskrunner.Container{
		{Name: "app", Image: "img", Essential: true}, {Name: "away", Image: "img"}, {Name: "early", Image: "img"}, {Name: "gone", Image: "img"}}})
	ch := f1.rec.waitFor(t, arn, 5*time.Second, status("RUNNING"))
	ids := map[string]string{}
	for _, name := range []string{"app", "away", "early", "gone"} {
		c, _ := ch.Container(name)
		ids[name] = c.RuntimeID
	}
	fake.Exit(ids["early"], 0) // exits while the agent watches
	f1.rec.waitFor(t, arn, 5*time.Second, func(ch taskrunner.StateChange) bool {
		c, _ := ch.Container("early")
		return c.Status == "STOPPED"
	})
	f1.r.Close()
	fake.Exit(ids["away"], 3) // exits while no agent watches
	if err := fake.ContainerRemove(context.Background(), ids["gone"]); err != nil {
		t.Fatal(err)
	}

	rec := &phaseRecorder{fake: fake, ids: map[string]string{}, presentAtDrain: map[string]bool{}}
	f2 := newFixture(t, fake, db, func(c *taskrunner.Config, d *taskrunner.Deps) {
		c.CleanupWait = time.Millisecond
		d.Hooks = []taskrunner.Hook{rec}
	})
	if _, err := f2.r.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rec.list()
	slices.Sort(got)
	if want := []string{"exited away", "exited early", "poststart app"}; !slices.Equal(got, want) {
		t.Fatalf("hook calls during Restore %v, want %v", got, want)
	}
	if rec.ids["away"] != ids["away"] || rec.ids["early"] != ids["early"] {
		t.Errorf("RestoreExited docker ids %v, want those of %v", rec.ids, ids)
	}

	// Stop the task; after a 1 ms cleanup wait it is drained, then removed.
	task := taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "STOPPED", Containers: []taskrunner.Container{
		{Name: "app", Image: "img", Essential: true}, {Name: "away", Image: "img"}, {Name: "early", Image: "img"}, {Name: "gone", Image: "img"}}}
	apply(t, f2.r, task)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := fake.Container(ids["away"]); !ok && slices.Contains(rec.list(), "drain") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task not cleaned up; hook calls %v, docker calls %v", rec.list(), fake.Calls())
		}
		time.Sleep(5 * time.Millisecond)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !rec.presentAtDrain["away"] || !rec.presentAtDrain["early"] {
		t.Errorf("containers present at Drain %v, want both restored-exited ones", rec.presentAtDrain)
	}
}
