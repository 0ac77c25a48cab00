// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"testing"

	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

// TestService_InstanceTasks_Memo: listings hand out the tasks rendered
// before while their records are unchanged, render again the one an agent
// report changed, and forget the one that stopped.
func TestService_InstanceTasks_Memo(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	inst := e.instance("c1", 2048, 2048)
	e.taskDef("web", 64, 64, ecsapi.PortMapping{ContainerPort: ptr(int32(80))})
	out := e.runTask(&ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("web"), Count: ptr(int32(2))})
	if len(out.Tasks) != 2 {
		t.Fatalf("RunTask: %+v", out.Failures)
	}
	a, b := deref(out.Tasks[0].TaskArn), deref(out.Tasks[1].TaskArn)
	byARN := func() map[string]agentapi.Task {
		m := map[string]agentapi.Task{}
		for _, tk := range must[[]agentapi.Task](t)(e.s.InstanceTasks(e.ctx, inst)) {
			m[tk.TaskARN] = tk
		}
		return m
	}
	first := byARN()
	if len(first) != 2 || first[a].LastStatus != "PENDING" || len(first[a].HostPorts) != 1 {
		t.Fatalf("first listing = %+v", first)
	}
	e.report("c1", a, "RUNNING")
	second := byARN()
	if got := second[a]; got.LastStatus != "RUNNING" || got.Version <= first[a].Version {
		t.Errorf("after RUNNING: %s is %s at version %d, was version %d", a, got.LastStatus, got.Version, first[a].Version)
	}
	if got := second[b]; got.Version != first[b].Version || got.LastStatus != "PENDING" || len(got.HostPorts) != 1 {
		t.Errorf("unchanged task %s listed as %+v, first as %+v", b, got, first[b])
	}
	e.report("c1", b, "STOPPED")
	third := byARN()
	if _, ok := third[b]; ok || len(third) != 1 {
		t.Errorf("after %s STOPPED: %+v", b, third)
	}
	memo := e.s.agentTasks.of(storeID("c1", lastPathPart(inst)))
	n := len(memo.tasks)
	memo.sweep(n)
	if n != 1 {
		t.Errorf("the memo holds %d tasks, want the 1 live one", n)
	}
}

// TestWatchers_NotifyThrough: a wake-up for a change the watchers were
// already woken for (with the cache at or past its revision) is dropped;
// one for a later change is not.
func TestWatchers_NotifyThrough(t *testing.T) {
	w := newWatchers()
	ch := make(chan struct{}, 1)
	w.add("i1", ch)
	woken := func() bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	w.notifyThrough("i1", 10, 12) // a commit at 10, the cache at 12
	if !woken() {
		t.Fatal("first wake-up dropped")
	}
	w.notifyThrough("i1", 11, 11) // the watch's echo of a change at 11
	if woken() {
		t.Error("a change at 11 woke the watchers again after a wake-up at 12")
	}
	w.notifyThrough("i1", 13, 13)
	if !woken() {
		t.Error("a change at 13 was dropped")
	}
	w.notify("i1") // plain wake-ups are never dropped
	if !woken() {
		t.Error("notify dropped")
	}
	w.remove("i1", ch)
	if _, ok := w.through["i1"]; ok {
		t.Error("through kept for an instance without watchers")
	}
}
