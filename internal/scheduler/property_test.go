// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/berthdev/berth/internal/scheduler"
	"github.com/berthdev/berth/internal/scheduler/schedtest"
)

// TestPlace_Property places random requests on random clusters, commits
// them, and checks after every call that no instance exceeds what it
// registered, no host port is bound twice, and failures are reported
// exactly when tasks are missing.
func TestPlace_Property(t *testing.T) {
	for seed := range uint64(150) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			h := randomCluster(rng)
			h.Seed = seed
			for range 6 {
				req := randomRequest(rng)
				before := h.Instances("default")
				ps, fails := h.Place(t, req)
				checkPlacements(t, req, before, ps)
				if len(ps) < req.Count && len(fails) != len(before) {
					t.Fatalf("placed %d of %d but reported %d failures for %d instances", len(ps), req.Count, len(fails), len(before))
				}
				if len(ps) == req.Count && len(fails) != 0 {
					t.Fatalf("placed all %d but reported failures %v", len(ps), fails)
				}
				h.Commit(t, req, ps)
				h.CheckInvariants(t)
			}
		})
	}
}

func randomCluster(rng *rand.Rand) *schedtest.Harness {
	h := schedtest.New("default")
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"}[:1+rng.IntN(4)]
	for range 1 + rng.IntN(30) {
		opts := []schedtest.Option{
			schedtest.CPU(256 * (1 + rng.IntN(16))),
			schedtest.Memory(512 * (1 + rng.IntN(16))),
			schedtest.Attr("ecs.availability-zone", zones[rng.IntN(len(zones))]),
			schedtest.Attr("ecs.instance-type", []string{"t2.small", "m5.large", "c5.xlarge"}[rng.IntN(3)]),
		}
		switch rng.IntN(10) {
		case 0:
			opts = append(opts, schedtest.Status(scheduler.StatusDraining))
		case 1:
			opts = append(opts, schedtest.Disconnected())
		case 2:
			opts = append(opts, schedtest.UsedPorts(80, 49153), schedtest.UsedUDPPorts(53))
		case 3:
			opts = append(opts, schedtest.DynamicPorts(49153, 49160))
		case 4:
			opts = append(opts, schedtest.Running("family:app", 1+rng.IntN(3)))
		}
		h.Add(1, opts...)
	}
	return h
}

func randomRequest(rng *rand.Rand) *scheduler.Request {
	req := &scheduler.Request{
		Cluster: "default", Count: 1 + rng.IntN(15), Family: "app",
		CPU: rng.IntN(5) * 128, Memory: rng.IntN(5) * 256,
		NetworkMode: []string{"", scheduler.NetworkBridge, scheduler.NetworkHost, scheduler.NetworkAWSVPC}[rng.IntN(4)],
	}
	for range rng.IntN(4) {
		pm := scheduler.PortMapping{ContainerPort: []int{80, 443, 53, 8080, 9000}[rng.IntN(5)]}
		if rng.IntN(2) == 0 {
			pm.HostPort = pm.ContainerPort
		}
		if rng.IntN(3) == 0 {
			pm.Protocol = scheduler.ProtocolUDP
		}
		req.PortMappings = append(req.PortMappings, pm)
	}
	strategies := []scheduler.Strategy{binpackMemory, binpackCPU, spreadHost, spreadAZ, random,
		{Type: scheduler.StrategySpread, Field: "attribute:ecs.instance-type"}}
	for range rng.IntN(4) {
		req.Strategies = append(req.Strategies, strategies[rng.IntN(len(strategies))])
	}
	if rng.IntN(4) == 0 {
		req.Constraints = append(req.Constraints, scheduler.Constraint{Type: scheduler.ConstraintDistinctInstance})
	}
	if rng.IntN(4) == 0 {
		exprs := []string{"attribute:ecs.instance-type =~ t2.*", "runningTasksCount < 3", "not(task:group == family:app)",
			"attribute:ecs.availability-zone in [us-east-1a, us-east-1c] or agentConnected == false"}
		req.Constraints = append(req.Constraints, scheduler.Constraint{Type: scheduler.ConstraintMemberOf, Expression: exprs[rng.IntN(len(exprs))]})
	}
	return req
}

// checkPlacements verifies one Place result against the view it was
// computed on.
func checkPlacements(t *testing.T, req *scheduler.Request, view []*scheduler.Instance, ps []scheduler.Placement) {
	t.Helper()
	byID := map[string]*scheduler.Instance{}
	for _, in := range view {
		byID[in.ID] = in
	}
	cpu, mem := map[string]int{}, map[string]int{}
	ports := map[string]bool{}
	for _, p := range ps {
		in := byID[p.InstanceID]
		if in == nil || p.Version != in.Version {
			t.Fatalf("placement %+v names an unknown instance or version", p)
		}
		if in.Status != scheduler.StatusActive || !in.AgentConnected {
			t.Fatalf("placed on %s instance (agent connected %v)", in.Status, in.AgentConnected)
		}
		cpu[in.ID] += p.CPU
		mem[in.ID] += p.Memory
		if cpu[in.ID] > in.RemainingCPU || mem[in.ID] > in.RemainingMemory {
			t.Fatalf("%s overcommitted: %d CPU of %d, %d MiB of %d", in.ID, cpu[in.ID], in.RemainingCPU, mem[in.ID], in.RemainingMemory)
		}
		for _, b := range p.Ports {
			used := in.UsedPorts
			if b.Protocol == scheduler.ProtocolUDP {
				used = in.UsedUDPPorts
			}
			key := fmt.Sprintf("%s/%d/%s", in.ID, b.HostPort, b.Protocol)
			if b.HostPort < 1 || used.Contains(b.HostPort) || ports[key] {
				t.Fatalf("host port %s assigned twice or in use", key)
			}
			ports[key] = true
		}
		wantPorts := len(req.PortMappings)
		if req.NetworkMode == scheduler.NetworkAWSVPC {
			wantPorts = 0
		}
		if len(p.Ports) != wantPorts {
			t.Fatalf("placement has %d port bindings, want %d", len(p.Ports), wantPorts)
		}
	}
	for _, c := range req.Constraints {
		if c.Type != scheduler.ConstraintDistinctInstance {
			continue
		}
		for id, n := range schedtest.PerInstance(ps) {
			if n > 1 || byID[id].Groups[req.TaskGroup()] > 0 {
				t.Fatalf("distinctInstance broken on %s", id)
			}
		}
	}
}
