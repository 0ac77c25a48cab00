// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler_test

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berthdev/berth/internal/scheduler"
	"github.com/berthdev/berth/internal/scheduler/schedtest"
)

var zones3 = schedtest.AZs("us-east-1a", "us-east-1b", "us-east-1c")

// newReq returns a standalone request for count tasks of the "app" family.
func newReq(count, cpu, mem int, strategies ...scheduler.Strategy) *scheduler.Request {
	return &scheduler.Request{Cluster: "default", Count: count, CPU: cpu, Memory: mem, Family: "app", Strategies: strategies}
}

var (
	binpackMemory = scheduler.Strategy{Type: scheduler.StrategyBinpack, Field: scheduler.FieldMemory}
	binpackCPU    = scheduler.Strategy{Type: scheduler.StrategyBinpack, Field: scheduler.FieldCPU}
	spreadHost    = scheduler.Strategy{Type: scheduler.StrategySpread, Field: scheduler.FieldInstanceID}
	spreadAZ      = scheduler.Strategy{Type: scheduler.StrategySpread, Field: "attribute:ecs.availability-zone"}
	random        = scheduler.Strategy{Type: scheduler.StrategyRandom}
)

// sortedCounts returns per-instance placement counts over all of h's
// instances, largest first.
func sortedCounts(h *schedtest.Harness, ps []scheduler.Placement) []int {
	per := schedtest.PerInstance(ps)
	var out []int
	for _, in := range h.Instances(h.Cluster) {
		out = append(out, per[in.ID])
	}
	sort.Sort(sort.Reverse(sort.IntSlice(out)))
	return out
}

var ignoreDetail = cmpopts.IgnoreFields(scheduler.Failure{}, "Detail")

func TestPlace_BinpackFillsOneInstanceFirst(t *testing.T) {
	tests := []struct {
		name     string
		strategy scheduler.Strategy
		count    int
		want     []int
	}{
		{"memory, 6 tasks of 2048 MiB", binpackMemory, 6, []int{4, 2, 0, 0}},
		{"cpu, 5 tasks of 2048 MiB", binpackCPU, 5, []int{4, 1, 0, 0}},
		{"memory, 16 tasks fill all", binpackMemory, 16, []int{4, 4, 4, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := schedtest.New("default")
			h.Add(4)
			ps, fails := h.Place(t, newReq(tc.count, 512, 2048, tc.strategy))
			if len(fails) != 0 {
				t.Fatalf("failures: %v", fails)
			}
			if diff := cmp.Diff(tc.want, sortedCounts(h, ps)); diff != "" {
				t.Errorf("per-instance counts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlace_BinpackPrefersLeastRemaining(t *testing.T) {
	h := schedtest.New("default")
	h.Add(3)
	busy := h.Add(1, schedtest.Memory(8192), schedtest.Each(func(in *scheduler.Instance, _ int) { in.RemainingMemory = 3000 }))[0]
	ps, _ := h.Place(t, newReq(2, 256, 1024, binpackMemory))
	if diff := cmp.Diff(map[string]int{busy.ID: 2}, schedtest.PerInstance(ps)); diff != "" {
		t.Errorf("placements (-want +got):\n%s", diff)
	}
}

func TestPlace_SpreadInstanceID(t *testing.T) {
	for _, count := range []int{5, 7, 10, 23} {
		h := schedtest.New("default")
		h.Add(5)
		h.Add(1, schedtest.Running("family:app", 2))
		req := newReq(count, 128, 128, spreadHost)
		ps, fails := h.Place(t, req)
		if len(ps) != count || len(fails) != 0 {
			t.Fatalf("count %d: placed %d, failures %v", count, len(ps), fails)
		}
		h.Commit(t, req, ps)
		if got := schedtest.Spread(h.GroupCounts("family:app")); got > 1 {
			t.Errorf("count %d: group counts %v differ by %d", count, h.GroupCounts("family:app"), got)
		}
	}
}

func TestPlace_SpreadAvailabilityZone(t *testing.T) {
	tests := []struct {
		name    string
		running map[string]int // group tasks already in each zone's first instance
		count   int
	}{
		{"empty cluster", nil, 7},
		{"existing tasks in one zone", map[string]int{"us-east-1a": 3}, 5},
		{"existing tasks in two zones", map[string]int{"us-east-1a": 2, "us-east-1b": 1}, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := schedtest.New("default")
			h.Add(9, zones3)
			for _, in := range h.Instances("default")[:3] {
				n := tc.running[in.Attributes["ecs.availability-zone"]]
				h.Update(in.ID, func(in *scheduler.Instance) { in.Groups["family:app"] = n })
			}
			req := newReq(tc.count, 128, 128, spreadAZ)
			ps, fails := h.Place(t, req)
			if len(ps) != tc.count || len(fails) != 0 {
				t.Fatalf("placed %d, failures %v", len(ps), fails)
			}
			h.Commit(t, req, ps)
			counts := h.CountsByAttr("ecs.availability-zone", "family:app")
			if schedtest.Spread(counts) > 1 {
				t.Errorf("zone counts %v differ by more than 1", counts)
			}
		})
	}
}

func TestPlace_DefaultServiceStrategySpreadsZones(t *testing.T) {
	h := schedtest.New("default")
	h.Add(30, zones3)
	req := &scheduler.Request{Cluster: "default", Count: 6, CPU: 128, Memory: 128, Service: "web"}
	ps, _ := h.Place(t, req)
	h.Commit(t, req, ps)
	if diff := cmp.Diff(map[string]int{"us-east-1a": 2, "us-east-1b": 2, "us-east-1c": 2}, h.CountsByAttr("ecs.availability-zone", "service:web")); diff != "" {
		t.Errorf("zone counts (-want +got):\n%s", diff)
	}
}

func TestPlace_RandomCoversInstances(t *testing.T) {
	for _, strategies := range [][]scheduler.Strategy{{random}, nil} {
		h := schedtest.New("default")
		h.Add(10)
		seen := map[string]bool{}
		for seed := range uint64(100) {
			h.Seed = seed
			ps, _ := h.Place(t, newReq(1, 1, 1, strategies...))
			seen[ps[0].InstanceID] = true
		}
		if len(seen) != 10 {
			t.Errorf("strategies %v: 100 random placements reached %d of 10 instances", strategies, len(seen))
		}
	}
}

func TestPlace_ChainSpreadZoneThenBinpackMemory(t *testing.T) {
	h := schedtest.New("default")
	insts := h.Add(6, zones3)
	// The second instance of each zone is fuller: binpack picks it.
	var want []string
	for _, in := range insts[3:] {
		h.Update(in.ID, func(in *scheduler.Instance) { in.RemainingMemory = 4096 })
		want = append(want, in.ID)
	}
	ps, fails := h.Place(t, newReq(6, 128, 1024, spreadAZ, binpackMemory))
	if len(fails) != 0 {
		t.Fatal(fails)
	}
	per := schedtest.PerInstance(ps)
	for _, id := range want {
		if per[id] != 2 {
			t.Errorf("placements %v: want 2 on each of the fuller instances", per)
		}
	}
}

func TestPlace_ChainSpreadZoneThenInstance(t *testing.T) {
	h := schedtest.New("default")
	h.Add(12, zones3)
	req := newReq(12, 128, 128, spreadAZ, spreadHost)
	ps, _ := h.Place(t, req)
	if diff := cmp.Diff([]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, sortedCounts(h, ps)); diff != "" {
		t.Errorf("per-instance counts (-want +got):\n%s", diff)
	}
}

func TestPlace_DistinctInstance(t *testing.T) {
	h := schedtest.New("default")
	insts := h.Add(4)
	h.Update(insts[3].ID, func(in *scheduler.Instance) { in.Groups["family:app"] = 1 })
	req := newReq(5, 128, 128, binpackMemory)
	req.Constraints = []scheduler.Constraint{{Type: scheduler.ConstraintDistinctInstance}}
	ps, fails := h.Place(t, req)
	if diff := cmp.Diff([]int{1, 1, 1, 0}, sortedCounts(h, ps)); diff != "" {
		t.Errorf("per-instance counts (-want +got):\n%s", diff)
	}
	if schedtest.PerInstance(ps)[insts[3].ID] != 0 {
		t.Errorf("placed on an instance already running the group")
	}
	if len(fails) != 4 || slices.ContainsFunc(fails, func(f scheduler.Failure) bool { return f.Reason != scheduler.ReasonDistinctInstance }) {
		t.Errorf("failures %v: want DistinctInstance for all 4 instances", fails)
	}
}

func TestPlace_MemberOf(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want []int // per-instance task counts, by instance order
	}{
		{"equality", "attribute:ecs.instance-type == t2.small", []int{0, 1, 0, 0}},
		{"pattern", "attribute:ecs.instance-type =~ t2.*", []int{1, 1, 0, 0}},
		{"not in", "attribute:ecs.availability-zone not_in [us-east-1a, us-east-1b, us-east-1d]", []int{0, 0, 1, 0}},
		{"compound", "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1a", []int{0, 1, 0, 0}},
		{"custom attribute exists", "attribute:stack exists", []int{0, 0, 0, 1}},
		{"ec2 instance id", "ec2InstanceId in ['i-00000000000000003']", []int{0, 0, 1, 0}},
		{"task group affinity", "task:group == service:db", []int{1, 0, 0, 0}},
		{"task group anti-affinity", "not(task:group == service:db) and attribute:ecs.instance-type =~ t2.*", []int{0, 1, 0, 0}},
		{"running tasks", "runningTasksCount >= 1", []int{1, 0, 0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := schedtest.New("default")
			insts := h.Add(4, schedtest.AZs("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"))
			set := func(i int, f func(*scheduler.Instance)) { h.Update(insts[i].ID, f) }
			set(0, func(in *scheduler.Instance) {
				in.Attributes["ecs.instance-type"] = "t2.micro"
				in.Groups["service:db"], in.RunningTasksCount = 1, 1
			})
			set(1, func(in *scheduler.Instance) { in.Attributes["ecs.instance-type"] = "t2.small" })
			set(3, func(in *scheduler.Instance) {
				in.Attributes["stack"] = "prod"
				in.RunningTasksCount = 2
			})
			n := 0
			for _, w := range tc.want {
				n += w
			}
			req := newReq(n, 128, 128, spreadHost)
			req.Constraints = []scheduler.Constraint{{Type: scheduler.ConstraintMemberOf, Expression: tc.expr}}
			ps, fails := h.Place(t, req)
			per := schedtest.PerInstance(ps)
			var got []int
			for _, in := range insts {
				got = append(got, per[in.ID])
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("per-instance counts (-want +got):\n%s", diff)
			}
			if len(fails) != 0 {
				t.Errorf("failures %v", fails)
			}
		})
	}
}

func TestPlace_MemberOfSeesTasksOfThisCall(t *testing.T) {
	h := schedtest.New("default")
	h.Add(3)
	h.Add(1, schedtest.Running("family:other", 1))
	req := newReq(5, 128, 128, binpackMemory)
	req.Constraints = []scheduler.Constraint{{Type: scheduler.ConstraintMemberOf, Expression: "runningTasksCount == 0"}}
	ps, fails := h.Place(t, req)
	if diff := cmp.Diff([]int{1, 1, 1, 0}, sortedCounts(h, ps)); diff != "" {
		t.Errorf("per-instance counts (-want +got):\n%s", diff)
	}
	if len(fails) != 4 || slices.ContainsFunc(fails, func(f scheduler.Failure) bool { return f.Reason != scheduler.ReasonMemberOf }) {
		t.Errorf("failures %v: want MemberOf for all 4", fails)
	}
}

func TestPlace_ResourceFailures(t *testing.T) {
	tests := []struct {
		name     string
		cpu, mem int
		want     string
	}{
		{"memory", 512, 10000, scheduler.ReasonMemory},
		{"cpu", 5000, 512, scheduler.ReasonCPU},
		{"cpu is checked before memory", 5000, 10000, scheduler.ReasonCPU},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := schedtest.New("default")
			insts := h.Add(3)
			ps, fails := h.Place(t, newReq(1, tc.cpu, tc.mem))
			if len(ps) != 0 {
				t.Fatalf("placed %v", ps)
			}
			var want []scheduler.Failure
			for _, in := range insts {
				want = append(want, scheduler.Failure{ARN: in.ID, Reason: tc.want})
			}
			if diff := cmp.Diff(want, fails, ignoreDetail); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlace_CountNeverOvercommits(t *testing.T) {
	h := schedtest.New("default")
	in := h.Add(1, schedtest.CPU(1024), schedtest.Memory(3000))[0]
	req := newReq(10, 256, 1000, binpackMemory)
	ps, fails := h.Place(t, req)
	if len(ps) != 3 {
		t.Errorf("placed %d tasks, want 3", len(ps))
	}
	if diff := cmp.Diff([]scheduler.Failure{{ARN: in.ID, Reason: scheduler.ReasonMemory}}, fails, ignoreDetail); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	for _, p := range ps {
		if p.Version != in.Version || p.InstanceID != in.ID || p.CPU != 256 || p.Memory != 1000 {
			t.Errorf("placement %+v does not name the instance's version and the task's resources", p)
		}
	}
	h.Commit(t, req, ps)
	h.CheckInvariants(t)
}

func TestPlace_Status(t *testing.T) {
	h := schedtest.New("default")
	draining := h.Add(1, schedtest.Status(scheduler.StatusDraining))[0]
	inactive := h.Add(1, schedtest.Status(scheduler.StatusInactive))[0]
	disconnected := h.Add(1, schedtest.Disconnected())[0]
	good := h.Add(1, schedtest.Memory(1024))[0]
	ps, fails := h.Place(t, newReq(2, 128, 1024))
	if diff := cmp.Diff(map[string]int{good.ID: 1}, schedtest.PerInstance(ps)); diff != "" {
		t.Errorf("placements (-want +got):\n%s", diff)
	}
	want := map[string]string{
		draining.ID:     scheduler.StatusDraining,
		inactive.ID:     scheduler.ReasonInactive,
		disconnected.ID: scheduler.ReasonAgent,
		good.ID:         scheduler.ReasonMemory,
	}
	if diff := cmp.Diff(want, schedtest.Reasons(fails)); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
}

func TestPlace_RequiredAttributes(t *testing.T) {
	h := schedtest.New("default")
	plain := h.Add(1)[0]
	capable := h.Add(1, schedtest.Attr("ecs.capability.privileged-container", ""))[0]
	req := newReq(2, 128, 128)
	req.RequiredAttributes = []scheduler.Attribute{{Name: "ecs.capability.privileged-container"}}
	req.Constraints = []scheduler.Constraint{{Type: scheduler.ConstraintDistinctInstance}}
	ps, fails := h.Place(t, req)
	if diff := cmp.Diff(map[string]int{capable.ID: 1}, schedtest.PerInstance(ps)); diff != "" {
		t.Errorf("placements (-want +got):\n%s", diff)
	}
	want := map[string]string{plain.ID: scheduler.ReasonAttribute, capable.ID: scheduler.ReasonDistinctInstance}
	if diff := cmp.Diff(want, schedtest.Reasons(fails)); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
}

func TestPlace_EmptyCluster(t *testing.T) {
	h := schedtest.New("default")
	ps, fails := h.Place(t, newReq(1, 1, 1))
	if len(ps) != 0 || len(fails) != 0 {
		t.Errorf("got %v, %v; want nothing (the caller answers %q)", ps, fails, scheduler.NoInstancesMessage)
	}
}

func TestPlace_SampledChainStillFindsTheOneFreeInstance(t *testing.T) {
	for _, s := range []scheduler.Strategy{binpackMemory, random} {
		h := schedtest.New("default")
		h.Add(2000, schedtest.Each(func(in *scheduler.Instance, _ int) { in.RemainingMemory = 100 }))
		free := h.Add(1)[0]
		h.Add(2000, schedtest.Each(func(in *scheduler.Instance, _ int) { in.RemainingMemory = 100 }))
		ps, fails := h.Place(t, newReq(3, 128, 2048, s))
		if diff := cmp.Diff(map[string]int{free.ID: 3}, schedtest.PerInstance(ps)); diff != "" || len(fails) != 0 {
			t.Errorf("%s: placements (-want +got):\n%s failures: %d", s.Type, diff, len(fails))
		}
	}
}

func TestPlace_SampleWidensWhenItFills(t *testing.T) {
	for _, s := range []scheduler.Strategy{binpackMemory, random} {
		h := schedtest.New("default")
		h.Add(300, schedtest.Memory(1024))
		req := newReq(250, 1, 1024, s)
		ps, fails := h.Place(t, req)
		if len(ps) != 250 || len(fails) != 0 {
			t.Fatalf("%s: placed %d, %d failures", s.Type, len(ps), len(fails))
		}
		h.Commit(t, req, ps)
		h.CheckInvariants(t)
	}
}

func TestPlace_SpreadManyValues(t *testing.T) {
	h := schedtest.New("default")
	h.Add(60, schedtest.Each(func(in *scheduler.Instance, i int) { in.Attributes["rack"] = fmt.Sprint("r", i%20) }))
	req := newReq(45, 1, 1, scheduler.Strategy{Type: scheduler.StrategySpread, Field: "attribute:rack"})
	ps, _ := h.Place(t, req)
	h.Commit(t, req, ps)
	if got := h.CountsByAttr("rack", "family:app"); len(got) != 20 || schedtest.Spread(got) > 1 {
		t.Errorf("rack counts %v", got)
	}
}

func TestPlace_Deterministic(t *testing.T) {
	h := schedtest.New("default")
	h.Add(50, zones3)
	for _, s := range [][]scheduler.Strategy{{random}, {spreadAZ}, {binpackCPU, random}} {
		a, _ := h.Place(t, newReq(10, 100, 100, s...))
		b, _ := h.Place(t, newReq(10, 100, 100, s...))
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("%v: same seed, different placements:\n%s", s, diff)
		}
	}
}

func TestPlace_InvalidRequest(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*scheduler.Request)
	}{
		{"count 0", func(r *scheduler.Request) { r.Count = 0 }},
		{"unknown strategy", func(r *scheduler.Request) { r.Strategies = []scheduler.Strategy{{Type: "pack"}} }},
		{"binpack on ports", func(r *scheduler.Request) {
			r.Strategies = []scheduler.Strategy{{Type: scheduler.StrategyBinpack, Field: "ports"}}
		}},
		{"spread on nothing", func(r *scheduler.Request) { r.Strategies = []scheduler.Strategy{{Type: scheduler.StrategySpread}} }},
		{"six strategies", func(r *scheduler.Request) { r.Strategies = slices.Repeat([]scheduler.Strategy{random}, 6) }},
		{"distinctInstance with expression", func(r *scheduler.Request) {
			r.Constraints = []scheduler.Constraint{{Type: scheduler.ConstraintDistinctInstance, Expression: "x"}}
		}},
		{"memberOf without expression", func(r *scheduler.Request) {
			r.Constraints = []scheduler.Constraint{{Type: scheduler.ConstraintMemberOf}}
		}},
		{"memberOf with a bad expression", func(r *scheduler.Request) {
			r.Constraints = []scheduler.Constraint{{Type: scheduler.ConstraintMemberOf, Expression: "attribute:x =="}}
		}},
		{"eleven constraints", func(r *scheduler.Request) {
			r.Constraints = slices.Repeat([]scheduler.Constraint{{Type: scheduler.ConstraintDistinctInstance}}, 11)
		}},
		{"unknown constraint", func(r *scheduler.Request) { r.Constraints = []scheduler.Constraint{{Type: "sameZone"}} }},
		{"bad protocol", func(r *scheduler.Request) {
			r.PortMappings = []scheduler.PortMapping{{ContainerPort: 80, Protocol: "sctp"}}
		}},
		{"bad network mode", func(r *scheduler.Request) { r.NetworkMode = "nat" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := schedtest.New("default")
			h.Add(1)
			req := newReq(1, 1, 1)
			tc.mod(req)
			_, _, err := scheduler.Place(h, req, nil)
			var ipe *scheduler.InvalidParameterError
			if !errors.As(err, &ipe) || ipe.Message == "" {
				t.Errorf("err = %v, want an InvalidParameterError", err)
			}
			if err2 := req.Validate(); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("Validate() = %v, Place's error = %v", err2, err)
			}
		})
	}
}

func TestPlaceOn_StartTask(t *testing.T) {
	h := schedtest.New("default")
	a := h.Add(1, schedtest.Memory(1024))[0]
	inactive := h.Add(1, schedtest.Status(scheduler.StatusInactive))[0]
	short := a.ID[len(a.ID)-32:]
	req := newReq(99, 128, 512)
	req.Constraints = []scheduler.Constraint{{Type: scheduler.ConstraintMemberOf, Expression: "attribute:nothing exists"}}
	ps, fails, err := scheduler.PlaceOn(h, req, []string{a.ID, short, short, inactive.ID, "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{a.ID: 2}, schedtest.PerInstance(ps)); diff != "" {
		t.Errorf("placements (-want +got):\n%s", diff)
	}
	want := []scheduler.Failure{
		{ARN: a.ID, Reason: scheduler.ReasonMemory},
		{ARN: inactive.ID, Reason: scheduler.ReasonInactive},
		{ARN: "nope", Reason: scheduler.ReasonMissing},
	}
	if diff := cmp.Diff(want, fails, ignoreDetail); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}

func TestTaskResources(t *testing.T) {
	tests := []struct {
		name               string
		taskCPU, taskMem   int
		containers         []scheduler.ContainerResources
		wantCPU, wantMemry int
	}{
		{"task level wins", 1024, 2048, []scheduler.ContainerResources{{CPU: 10, Memory: 10}}, 1024, 2048},
		{"sums, reservation before hard limit", 0, 0, []scheduler.ContainerResources{
			{CPU: 256, Memory: 1024, MemoryReservation: 512},
			{CPU: 128, Memory: 512},
		}, 384, 1024},
		{"task cpu only", 512, 0, []scheduler.ContainerResources{{CPU: 10, MemoryReservation: 300}}, 512, 300},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cpu, mem := scheduler.TaskResources(tc.taskCPU, tc.taskMem, tc.containers)
			if cpu != tc.wantCPU || mem != tc.wantMemry {
				t.Errorf("got %d CPU, %d MiB; want %d, %d", cpu, mem, tc.wantCPU, tc.wantMemry)
			}
		})
	}
}
