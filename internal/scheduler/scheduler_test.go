// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/berthdev/berth/internal/scheduler"
	"github.com/berthdev/berth/internal/scheduler/schedtest"
)

// racingPlanner changes the instances a plan touches, as another replica's
// commit would, before letting the harness commit it, for the first races
// submissions.
type racingPlanner struct {
	h     *schedtest.Harness
	races int
	calls int
}

func (p *racingPlanner) SubmitPlan(ctx context.Context, plan *scheduler.Plan) (*scheduler.PlanResult, error) {
	p.calls++
	if p.calls <= p.races {
		for _, pl := range plan.Placements {
			if in := p.h.Instance(pl.InstanceID); in.Version == pl.Version {
				p.h.Update(pl.InstanceID, func(in *scheduler.Instance) { in.RemainingMemory -= 1024 })
			}
		}
	}
	return p.h.SubmitPlan(ctx, plan)
}

func TestScheduler_Process(t *testing.T) {
	tests := []struct {
		name         string
		races        int
		wantPlaced   int
		wantAttempts int
		wantErr      error
	}{
		{"commits at once", 0, 6, 1, nil},
		{"re-places after a conflict", 1, 6, 2, nil},
		{"gives up after MaxAttempts", 10, 0, 3, scheduler.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := schedtest.New("default")
			h.Add(6, zones3)
			planner := &racingPlanner{h: h, races: tc.races}
			s, err := scheduler.New(scheduler.Config{MaxAttempts: 3}, scheduler.Deps{Planner: planner, Rand: rand.New(rand.NewPCG(1, 2))})
			if err != nil {
				t.Fatal(err)
			}
			req := &scheduler.Request{Cluster: "default", Count: 6, CPU: 256, Memory: 1024, Service: "web"}
			res, err := s.Process(context.Background(), scheduler.Eval{State: h, Request: req})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if len(res.Placements) != tc.wantPlaced || res.Attempts != tc.wantAttempts {
				t.Errorf("placed %d in %d attempts, want %d in %d", len(res.Placements), res.Attempts, tc.wantPlaced, tc.wantAttempts)
			}
			h.CheckInvariants(t)
			if tc.wantErr == nil && schedtest.Spread(h.CountsByAttr("ecs.availability-zone", "service:web")) != 0 {
				t.Errorf("zones unbalanced: %v", h.CountsByAttr("ecs.availability-zone", "service:web"))
			}
		})
	}
}

func TestScheduler_Process_ReportsFailures(t *testing.T) {
	h := schedtest.New("default")
	h.Add(2, schedtest.Memory(2048))
	s, err := scheduler.New(scheduler.Config{}, scheduler.Deps{Planner: h})
	if err != nil {
		t.Fatal(err)
	}
	req := &scheduler.Request{Cluster: "default", Count: 10, CPU: 1, Memory: 1024, Family: "batch"}
	res, err := s.Process(context.Background(), scheduler.Eval{State: h, Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Placements) != 4 || len(res.Failures) != 2 {
		t.Errorf("placed %d with %d failures, want 4 and 2", len(res.Placements), len(res.Failures))
	}
}

func TestScheduler_New(t *testing.T) {
	if _, err := scheduler.New(scheduler.Config{}, scheduler.Deps{}); err == nil {
		t.Error("New without a Planner succeeded")
	}
	if _, err := scheduler.New(scheduler.Config{MaxAttempts: -1}, scheduler.Deps{Planner: schedtest.New("x")}); err == nil {
		t.Error("New with negative MaxAttempts succeeded")
	}
}

// TestScheduler_Process_ConcurrentReplicas runs RunTask-like calls from
// several "replicas" at once, each placing against a stale snapshot, and
// checks that compare-and-swap keeps every instance within its resources
// and every host port bound once.
func TestScheduler_Process_ConcurrentReplicas(t *testing.T) {
	h := schedtest.New("default")
	h.Add(20, zones3, schedtest.CPU(2048), schedtest.Memory(4096))
	stale := &stalePlanner{h: h}
	s, err := scheduler.New(scheduler.Config{MaxAttempts: 50}, scheduler.Deps{Planner: stale})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	placed := 0
	for replica := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				req := &scheduler.Request{
					Cluster: "default", Count: 3, CPU: 128, Memory: 512, Family: "app",
					PortMappings: []scheduler.PortMapping{{ContainerPort: 8080}, {ContainerPort: 53, Protocol: scheduler.ProtocolUDP}},
					Strategies:   [][]scheduler.Strategy{{binpackMemory}, {spreadAZ}, {random}, {spreadHost, binpackCPU}}[replica%4],
				}
				res, err := s.Process(context.Background(), scheduler.Eval{State: h.Snapshot(), Request: req})
				if err != nil && !errors.Is(err, scheduler.ErrConflict) {
					t.Error(err)
					return
				}
				mu.Lock()
				placed += len(res.Placements)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	h.CheckInvariants(t)
	t.Logf("placed %d tasks; %d plans submitted", placed, h.Commits())
	if placed < 100 {
		t.Errorf("placed only %d of 240 tasks", placed)
	}
	total := 0
	for _, n := range h.GroupCounts("family:app") {
		total += n
	}
	if total != placed {
		t.Errorf("harness holds %d tasks, Process reported %d", total, placed)
	}
}

// stalePlanner commits through the harness but hands back a snapshot, so
// that re-placement also runs against a view other replicas overtake.
type stalePlanner struct{ h *schedtest.Harness }

func (p *stalePlanner) SubmitPlan(ctx context.Context, plan *scheduler.Plan) (*scheduler.PlanResult, error) {
	res, err := p.h.SubmitPlan(ctx, plan)
	if err != nil {
		return nil, err
	}
	res.State = p.h.Snapshot()
	return res, nil
}
