// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/scheduler"
	"github.com/berthdev/berth/internal/scheduler/schedtest"
)

func TestPlace_PortConflicts(t *testing.T) {
	tcp80 := []scheduler.PortMapping{{ContainerName: "web", ContainerPort: 8080, HostPort: 80}}
	udp53 := []scheduler.PortMapping{{ContainerName: "dns", ContainerPort: 53, HostPort: 53, Protocol: scheduler.ProtocolUDP}}
	tests := []struct {
		name       string
		mode       string
		mappings   []scheduler.PortMapping
		opts       []schedtest.Option // for the first of two instances
		count      int
		wantPlaced []int // per instance
		wantReason []string
	}{
		{"static TCP port in use", "", tcp80, []schedtest.Option{schedtest.UsedPorts(80)}, 1,
			[]int{0, 1}, nil},
		{"static TCP port: one task per instance", "", tcp80, nil, 3,
			[]int{1, 1}, []string{scheduler.ReasonPorts, scheduler.ReasonPorts}},
		{"reserved port", scheduler.NetworkBridge, []scheduler.PortMapping{{ContainerPort: 22, HostPort: 22}}, nil, 1,
			[]int{0, 0}, []string{scheduler.ReasonPorts, scheduler.ReasonPorts}},
		{"UDP port in use", "", udp53, []schedtest.Option{schedtest.UsedUDPPorts(53)}, 2,
			[]int{0, 1}, []string{scheduler.ReasonPortsUDP, scheduler.ReasonPortsUDP}},
		{"TCP use does not block UDP", "", udp53, []schedtest.Option{schedtest.UsedPorts(53)}, 2,
			[]int{1, 1}, nil},
		{"host mode binds the container port", scheduler.NetworkHost, []scheduler.PortMapping{{ContainerPort: 8080}},
			[]schedtest.Option{schedtest.UsedPorts(8080)}, 2, []int{0, 1}, []string{scheduler.ReasonPorts, scheduler.ReasonPorts}},
		{"awsvpc binds no host port", scheduler.NetworkAWSVPC, tcp80, []schedtest.Option{schedtest.UsedPorts(80)}, 4,
			[]int{2, 2}, nil},
		{"a task mapping one host port twice fits nowhere", "", append(append([]scheduler.PortMapping{}, tcp80...), tcp80...), nil, 1,
			[]int{0, 0}, []string{scheduler.ReasonPorts, scheduler.ReasonPorts}},
		{"dynamic range exhausted", "", []scheduler.PortMapping{{ContainerPort: 80}, {ContainerPort: 81}},
			[]schedtest.Option{schedtest.DynamicPorts(40000, 40002)}, 3, []int{1, 2}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := schedtest.New("default")
			a := h.Add(1, tc.opts...)[0]
			b := h.Add(1)[0]
			req := newReq(tc.count, 128, 128, spreadHost)
			req.NetworkMode, req.PortMappings = tc.mode, tc.mappings
			ps, fails := h.Place(t, req)
			per := schedtest.PerInstance(ps)
			if diff := cmp.Diff(tc.wantPlaced, []int{per[a.ID], per[b.ID]}); diff != "" {
				t.Errorf("placed (-want +got):\n%s", diff)
			}
			var reasons []string
			for _, f := range fails {
				reasons = append(reasons, f.Reason)
			}
			if diff := cmp.Diff(tc.wantReason, reasons); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
			h.Commit(t, req, ps)
			h.CheckInvariants(t)
		})
	}
}

func TestPlace_DynamicPortsUniquePerInstance(t *testing.T) {
	h := schedtest.New("default")
	in := h.Add(1, schedtest.UsedPorts(49153, 49155), schedtest.UsedUDPPorts(49153))[0]
	req := newReq(10, 1, 1)
	req.PortMappings = []scheduler.PortMapping{
		{ContainerName: "web", ContainerPort: 80},
		{ContainerName: "web", ContainerPort: 443},
		{ContainerName: "admin", ContainerPort: 9000, HostPort: 49160}, // static, inside the dynamic range
		{ContainerName: "dns", ContainerPort: 53, Protocol: scheduler.ProtocolUDP},
	}
	req.Count = 1
	ps, fails := h.Place(t, req)
	if len(ps) != 1 || len(fails) != 0 {
		t.Fatalf("placed %d, failures %v", len(ps), fails)
	}
	want := []scheduler.PortBinding{
		{ContainerName: "web", ContainerPort: 80, HostPort: 49154, Protocol: scheduler.ProtocolTCP},
		{ContainerName: "web", ContainerPort: 443, HostPort: 49156, Protocol: scheduler.ProtocolTCP},
		{ContainerName: "admin", ContainerPort: 9000, HostPort: 49160, Protocol: scheduler.ProtocolTCP},
		{ContainerName: "dns", ContainerPort: 53, HostPort: 49154, Protocol: scheduler.ProtocolUDP},
	}
	if diff := cmp.Diff(want, ps[0].Ports); diff != "" {
		t.Errorf("bindings (-want +got):\n%s", diff)
	}

	// Ten tasks on one instance: every dynamic port distinct, none used.
	req.PortMappings = req.PortMappings[:2]
	req.PortMappings = append(req.PortMappings, scheduler.PortMapping{ContainerPort: 53, Protocol: scheduler.ProtocolUDP})
	req.Count = 10
	ps, fails = h.Place(t, req)
	if len(ps) != 10 || len(fails) != 0 {
		t.Fatalf("placed %d, failures %v", len(ps), fails)
	}
	seen := map[string]bool{}
	for _, p := range ps {
		for _, b := range p.Ports {
			key := fmt.Sprintf("%d/%s", b.HostPort, b.Protocol)
			used := in.UsedPorts
			if b.Protocol == scheduler.ProtocolUDP {
				used = in.UsedUDPPorts
			}
			if seen[key] || used.Contains(b.HostPort) || b.HostPort < 49153 || b.HostPort > 65535 {
				t.Fatalf("host port %d/%s reused, in use or outside the range", b.HostPort, b.Protocol)
			}
			seen[key] = true
		}
	}
	if len(seen) != 30 {
		t.Errorf("%d distinct bindings, want 30", len(seen))
	}
}

func TestPortSet(t *testing.T) {
	s := scheduler.NewPortSet(80, 22, 80, 0, 70000, 65535)
	if diff := cmp.Diff([]int{22, 80, 65535}, s.Ports()); diff != "" {
		t.Errorf("Ports (-want +got):\n%s", diff)
	}
	if !s.Contains(80) || s.Contains(81) || s.Contains(0) || s.Len() != 3 {
		t.Errorf("Contains/Len wrong for %v", s.Ports())
	}
	if w := s.With(81); !w.Contains(81) || s.Contains(81) {
		t.Error("With must return a new set and leave the old one alone")
	}
	if got := scheduler.DefaultDynamicPorts("windows"); got != (scheduler.PortRange{Lo: 49152, Hi: 65535}) {
		t.Errorf("windows range %v", got)
	}
	if got := scheduler.DefaultDynamicPorts("linux"); got.Size() != 16383 {
		t.Errorf("linux range %v", got)
	}
}
