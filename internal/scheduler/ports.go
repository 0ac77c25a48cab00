// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import (
	"slices"
	"sort"
)

// PortSet is an immutable set of host ports, kept sorted so that lookups are
// a binary search and a set costs two bytes per port. The zero value is the
// empty set.
type PortSet struct {
	ports []uint16
}

// NewPortSet returns the set of the given ports; values outside 1..65535
// are ignored.
func NewPortSet(ports ...int) PortSet {
	ps := make([]uint16, 0, len(ports))
	for _, p := range ports {
		if p >= 1 && p <= 65535 {
			ps = append(ps, uint16(p))
		}
	}
	slices.Sort(ps)
	return PortSet{ports: slices.Compact(ps)}
}

// Contains reports whether p is in the set.
func (s PortSet) Contains(p int) bool {
	if p < 1 || p > 65535 {
		return false
	}
	_, ok := slices.BinarySearch(s.ports, uint16(p))
	return ok
}

// Len returns the number of ports in the set.
func (s PortSet) Len() int { return len(s.ports) }

// Ports returns the ports in ascending order.
func (s PortSet) Ports() []int {
	out := make([]int, len(s.ports))
	for i, p := range s.ports {
		out[i] = int(p)
	}
	return out
}

// With returns a new set holding s's ports and ports; s is unchanged.
func (s PortSet) With(ports ...int) PortSet {
	return NewPortSet(append(s.Ports(), ports...)...)
}

// countIn returns how many ports of s lie in [lo, hi].
func (s PortSet) countIn(lo, hi int) int {
	i := sort.Search(len(s.ports), func(i int) bool { return int(s.ports[i]) >= lo })
	j := sort.Search(len(s.ports), func(i int) bool { return int(s.ports[i]) > hi })
	return j - i
}

// PortRange is an inclusive range of host ports.
type PortRange struct {
	Lo, Hi int
}

// Size returns the number of ports in the range; 0 for the zero value or
// a range outside 1..65535.
func (r PortRange) Size() int {
	if r.Lo < 1 || r.Hi > 65535 || r.Hi < r.Lo {
		return 0
	}
	return r.Hi - r.Lo + 1
}

// DefaultDynamicPorts returns the range ECS documents for dynamic host ports
// when the instance does not report its own (PortMapping.hostPort in the ECS
// API reference: /proc/sys/net/ipv4/ip_local_port_range if available,
// otherwise 49153-65535 on Linux and 49152-65535 on Windows). osType is the
// ecs.os-type attribute.
func DefaultDynamicPorts(osType string) PortRange {
	if osType == "windows" {
		return PortRange{Lo: 49152, Hi: 65535}
	}
	return PortRange{Lo: 49153, Hi: 65535}
}

// minDefaultDynamic is the size of the smaller default dynamic range.
var minDefaultDynamic = min(DefaultDynamicPorts("linux").Size(), DefaultDynamicPorts("windows").Size())

// dynamicRange is the range inst's dynamic ports come from.
func dynamicRange(inst *Instance) PortRange {
	if inst.DynamicPorts.Size() > 0 {
		return inst.DynamicPorts
	}
	return DefaultDynamicPorts(inst.Attributes["ecs.os-type"])
}

// portNeeds is what one task asks of one protocol's host ports.
type portNeeds struct {
	fixed   []uint16 // static host ports, sorted
	dynamic int      // number of dynamic host ports
	dup     bool     // the task maps one host port twice: fits nowhere
}

// fits reports whether inst, whose used ports of this protocol are used plus
// inflight (ports this call already gave out on it, unsorted), can take the
// task.
func (n *portNeeds) fits(used PortSet, inflight []uint16, inst *Instance) bool {
	if n.dup {
		return false
	}
	for _, p := range n.fixed {
		if used.Contains(int(p)) || slices.Contains(inflight, p) {
			return false
		}
	}
	if n.dynamic == 0 {
		return true
	}
	if inst.DynamicPorts.Size() == 0 && used.Len()+len(inflight)+len(n.fixed)+n.dynamic <= minDefaultDynamic {
		return true // even if every used port were in the range (skips the OS lookup)
	}
	r := dynamicRange(inst)
	free := r.Size() - used.countIn(r.Lo, r.Hi)
	for _, p := range inflight {
		if int(p) >= r.Lo && int(p) <= r.Hi {
			free--
		}
	}
	for _, p := range n.fixed {
		if int(p) >= r.Lo && int(p) <= r.Hi {
			free--
		}
	}
	return free >= n.dynamic
}

// pickDynamic returns the lowest port of r that is in none of used,
// inflight and taken, or 0 if there is none.
func pickDynamic(used PortSet, inflight, taken []uint16, r PortRange) int {
	i := sort.Search(len(used.ports), func(i int) bool { return int(used.ports[i]) >= r.Lo })
	for p := r.Lo; p <= r.Hi; p++ {
		for i < len(used.ports) && int(used.ports[i]) < p {
			i++
		}
		if i < len(used.ports) && int(used.ports[i]) == p {
			continue
		}
		if slices.Contains(inflight, uint16(p)) || slices.Contains(taken, uint16(p)) {
			continue
		}
		return p
	}
	return 0
}
