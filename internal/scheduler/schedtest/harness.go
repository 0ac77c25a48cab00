// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package schedtest

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/scheduler"
)

// ReservedPorts are the TCP ports the ECS agent reserves by default.
var ReservedPorts = []int{22, 2375, 2376, 51678, 51679}

// Harness is an in-memory cluster. Its view is copy-on-write: a slice
// returned by Instances never changes, so it doubles as the stale snapshot
// of another replica. It is safe for concurrent use.
type Harness struct {
	Cluster string
	// Seed seeds the source Place uses; tests that want other draws change it.
	Seed uint64

	mu         sync.Mutex
	insts      []*scheduler.Instance
	index      map[string]int
	violations []string
	commits    int
}

var (
	_ scheduler.State   = (*Harness)(nil)
	_ scheduler.Planner = (*Harness)(nil)
)

// New returns an empty cluster named cluster.
func New(cluster string) *Harness {
	return &Harness{Cluster: cluster, Seed: 1, index: map[string]int{}}
}

// Option configures the i-th instance Add creates (i counts from 0 within
// the call).
type Option func(inst *scheduler.Instance, i int)

// CPU sets registered and remaining CPU units.
func CPU(units int) Option {
	return func(in *scheduler.Instance, _ int) { in.RegisteredCPU, in.RemainingCPU = units, units }
}

// Memory sets registered and remaining memory in MiB.
func Memory(mib int) Option {
	return func(in *scheduler.Instance, _ int) { in.RegisteredMemory, in.RemainingMemory = mib, mib }
}

// AZs assigns ecs.availability-zone round robin over zones.
func AZs(zones ...string) Option {
	return func(in *scheduler.Instance, i int) { in.Attributes["ecs.availability-zone"] = zones[i%len(zones)] }
}

// Attr sets an attribute on every instance.
func Attr(name, value string) Option {
	return func(in *scheduler.Instance, _ int) { in.Attributes[name] = value }
}

// Status sets the instance status.
func Status(s string) Option { return func(in *scheduler.Instance, _ int) { in.Status = s } }

// Disconnected marks the agent disconnected.
func Disconnected() Option { return func(in *scheduler.Instance, _ int) { in.AgentConnected = false } }

// UsedPorts marks TCP host ports as used, besides ReservedPorts.
func UsedPorts(ports ...int) Option {
	return func(in *scheduler.Instance, _ int) { in.UsedPorts = in.UsedPorts.With(ports...) }
}

// UsedUDPPorts marks UDP host ports as used.
func UsedUDPPorts(ports ...int) Option {
	return func(in *scheduler.Instance, _ int) { in.UsedUDPPorts = in.UsedUDPPorts.With(ports...) }
}

// DynamicPorts sets the instance's dynamic host port range.
func DynamicPorts(lo, hi int) Option {
	return func(in *scheduler.Instance, _ int) { in.DynamicPorts = scheduler.PortRange{Lo: lo, Hi: hi} }
}

// Running records n tasks of group already on the instance.
func Running(group string, n int) Option {
	return func(in *scheduler.Instance, _ int) {
		in.Groups[group] += n
		in.RunningTasksCount += n
	}
}

// Each applies f to every instance, for anything the other options miss.
func Each(f func(inst *scheduler.Instance, i int)) Option { return Option(f) }

// Add creates n ACTIVE, connected instances (4096 CPU units, 8192 MiB,
// ReservedPorts, us-east-1a, m5.xlarge, linux), applies opts and returns
// them.
func (h *Harness) Add(n int, opts ...Option) []*scheduler.Instance {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*scheduler.Instance, 0, n)
	insts := slices.Clone(h.insts)
	for i := range n {
		seq := len(insts)
		in := &scheduler.Instance{
			ID:               fmt.Sprintf("arn:aws:ecs:us-east-1:111122223333:container-instance/%s/%032x", h.Cluster, seq+1),
			EC2InstanceID:    fmt.Sprintf("i-%017x", seq+1),
			Status:           scheduler.StatusActive,
			AgentConnected:   true,
			AgentVersion:     "1.80.0",
			RegisteredAt:     time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Minute),
			RegisteredCPU:    4096,
			RegisteredMemory: 8192,
			RemainingCPU:     4096,
			RemainingMemory:  8192,
			UsedPorts:        scheduler.NewPortSet(ReservedPorts...),
			Attributes: map[string]string{
				"ecs.availability-zone": "us-east-1a",
				"ecs.instance-type":     "m5.xlarge",
				"ecs.os-type":           "linux",
				"ecs.ami-id":            "ami-0123456789abcdef0",
			},
			Groups:  map[string]int{},
			Version: 1,
		}
		for _, o := range opts {
			o(in, i)
		}
		h.index[in.ID] = len(insts)
		insts = append(insts, in)
		out = append(out, in)
	}
	h.insts = insts
	return out
}

// Instances implements scheduler.State.
func (h *Harness) Instances(cluster string) []*scheduler.Instance {
	if cluster != h.Cluster {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.insts
}

// Snapshot returns the current view, frozen: later commits do not change
// it, as a lagging replica's cache would not.
func (h *Harness) Snapshot() scheduler.State {
	return frozen{cluster: h.Cluster, insts: h.Instances(h.Cluster)}
}

type frozen struct {
	cluster string
	insts   []*scheduler.Instance
}

// Instances implements scheduler.State.
func (f frozen) Instances(cluster string) []*scheduler.Instance {
	if cluster != f.cluster {
		return nil
	}
	return f.insts
}

// Instance returns the current record of the instance with the given ID.
func (h *Harness) Instance(id string) *scheduler.Instance {
	h.mu.Lock()
	defer h.mu.Unlock()
	i, ok := h.index[id]
	if !ok {
		return nil
	}
	return h.insts[i]
}

// Update replaces an instance's record with f applied to a copy and bumps
// its version, as a concurrent writer (another replica's commit, a status
// change) would.
func (h *Harness) Update(id string, f func(inst *scheduler.Instance)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i, ok := h.index[id]
	if !ok {
		panic("schedtest: no instance " + id)
	}
	in := clone(h.insts[i])
	f(in)
	in.Version++
	h.insts = slices.Clone(h.insts)
	h.insts[i] = in
}

// Place runs scheduler.Place against the harness with a source seeded
// from h.Seed and fails the test on an invalid request.
func (h *Harness) Place(t testing.TB, req *scheduler.Request) ([]scheduler.Placement, []scheduler.Failure) {
	t.Helper()
	if req.Cluster == "" {
		req.Cluster = h.Cluster
	}
	ps, fails, err := scheduler.Place(h, req, rand.New(rand.NewPCG(h.Seed, h.Seed^0x9e3779b97f4a7c15)))
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	return ps, fails
}

// Commit applies req's placements as the ECS service would and fails the
// test if any is rejected.
func (h *Harness) Commit(t testing.TB, req *scheduler.Request, ps []scheduler.Placement) {
	t.Helper()
	res, err := h.SubmitPlan(context.Background(), &scheduler.Plan{Request: req, Placements: ps})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Committed) != len(ps) {
		t.Fatalf("Commit: %d of %d placements rejected", len(ps)-len(res.Committed), len(ps))
	}
}

// SubmitPlan implements scheduler.Planner: per instance, all placements
// commit if their Version is the instance's current one, none otherwise.
// A commit that would overcommit resources or bind a used port is
// recorded as a violation (see CheckInvariants) and rejected.
func (h *Harness) SubmitPlan(_ context.Context, plan *scheduler.Plan) (*scheduler.PlanResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	group := plan.Request.TaskGroup()
	byInst := map[string][]scheduler.Placement{}
	var order []string
	for _, p := range plan.Placements {
		if _, ok := byInst[p.InstanceID]; !ok {
			order = append(order, p.InstanceID)
		}
		byInst[p.InstanceID] = append(byInst[p.InstanceID], p)
	}
	res := &scheduler.PlanResult{State: h}
	insts := slices.Clone(h.insts)
	for _, id := range order {
		ps := byInst[id]
		i, ok := h.index[id]
		if !ok || slices.ContainsFunc(ps, func(p scheduler.Placement) bool { return p.Version != insts[i].Version }) {
			continue
		}
		in, err := apply(insts[i], ps, group)
		if err != nil {
			h.violations = append(h.violations, err.Error())
			continue
		}
		insts[i] = in
		res.Committed = append(res.Committed, ps...)
	}
	h.insts = insts
	h.commits++
	return res, nil
}

// Commits returns how many plans SubmitPlan has processed.
func (h *Harness) Commits() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.commits
}

// apply returns a copy of in with ps added.
func apply(in *scheduler.Instance, ps []scheduler.Placement, group string) (*scheduler.Instance, error) {
	out := clone(in)
	for _, p := range ps {
		out.RemainingCPU -= p.CPU
		out.RemainingMemory -= p.Memory
		for _, b := range p.Ports {
			set := &out.UsedPorts
			if b.Protocol == scheduler.ProtocolUDP {
				set = &out.UsedUDPPorts
			}
			if set.Contains(b.HostPort) {
				return nil, fmt.Errorf("%s: host port %d/%s bound twice", in.ID, b.HostPort, b.Protocol)
			}
			*set = set.With(b.HostPort)
		}
		out.RunningTasksCount++
		out.Groups[group]++
	}
	if out.RemainingCPU < 0 || out.RemainingMemory < 0 {
		return nil, fmt.Errorf("%s: overcommitted to %d CPU units and %d MiB remaining", in.ID, out.RemainingCPU, out.RemainingMemory)
	}
	out.Version++
	return out, nil
}

func clone(in *scheduler.Instance) *scheduler.Instance {
	out := *in
	out.Attributes = maps.Clone(in.Attributes)
	out.Groups = maps.Clone(in.Groups)
	if out.Groups == nil {
		out.Groups = map[string]int{}
	}
	return &out
}

// CheckInvariants fails the test if a commit was rejected as a violation
// or an instance holds more than it registered.
func (h *Harness) CheckInvariants(t testing.TB) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, v := range h.violations {
		t.Errorf("violation: %s", v)
	}
	for _, in := range h.insts {
		if in.RemainingCPU < 0 || in.RemainingCPU > in.RegisteredCPU || in.RemainingMemory < 0 || in.RemainingMemory > in.RegisteredMemory {
			t.Errorf("%s: remaining %d CPU, %d MiB of registered %d, %d", in.ID, in.RemainingCPU, in.RemainingMemory, in.RegisteredCPU, in.RegisteredMemory)
		}
	}
}

// GroupCounts returns the group's task count per instance ID, zeros
// included.
func (h *Harness) GroupCounts(group string) map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.insts))
	for _, in := range h.insts {
		out[in.ID] = in.Groups[group]
	}
	return out
}

// CountsByAttr returns the group's task count per value of an attribute.
func (h *Harness) CountsByAttr(attr, group string) map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for _, in := range h.insts {
		out[in.Attributes[attr]] += in.Groups[group]
	}
	return out
}

// PerInstance counts placements per instance ID.
func PerInstance(ps []scheduler.Placement) map[string]int {
	out := map[string]int{}
	for _, p := range ps {
		out[p.InstanceID]++
	}
	return out
}

// Spread returns max - min over counts, 0 for an empty map.
func Spread(counts map[string]int) int {
	if len(counts) == 0 {
		return 0
	}
	vs := slices.Collect(maps.Values(counts))
	return slices.Max(vs) - slices.Min(vs)
}

// Reasons maps each failed instance ID to its reason.
func Reasons(fails []scheduler.Failure) map[string]string {
	out := make(map[string]string, len(fails))
	for _, f := range fails {
		out[f.ARN] = f.Reason
	}
	return out
}
