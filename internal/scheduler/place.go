// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import (
	"math/rand/v2"
	"strings"
	"sync"
)

// DefaultSampleSize is how many feasible instances Place examines for a
// strategy chain without spread (binpack, random): Nomad's trick of scoring
// a bounded random sample instead of the whole cluster. The sample is taken
// in a random order; when its instances fill up, Place examines the next
// ones, so a task is placed whenever any instance can take it. With at most
// this many feasible instances the choice is exact; beyond, binpack picks
// the fullest instance of a random sample of this size. Chains with spread
// always examine every instance, because balance needs every count.
const DefaultSampleSize = 64

// Place places req.Count tasks on the instances st holds for req.Cluster.
// It filters instances (ACTIVE, agent connected, required attributes,
// CPU, memory, TCP and UDP host ports, then memberOf and distinctInstance),
// ranks the survivors with the strategy chain, and places the tasks one at
// a time against an in-flight view of what the earlier tasks consumed, so
// that it never overcommits an instance; st is not modified. Ties left by
// the chain are broken at random with rng (nil: the global source).
//
// It returns the placements and, if fewer than req.Count tasks could be
// placed, one Failure per instance that could not take the next task, with
// the first reason it could not, as RunTask reports failures[]. The error is
// non-nil only for an invalid request (a *InvalidParameterError), never for
// a task that does not fit. An empty cluster yields no placements and no
// failures; RunTask then answers NoInstancesMessage.
func Place(st State, req *Request, rng *rand.Rand) ([]Placement, []Failure, error) {
	return place(st, req, rng, DefaultSampleSize)
}

func place(st State, req *Request, rng *rand.Rand, sample int) ([]Placement, []Failure, error) {
	cp, err := compile(req)
	if err != nil {
		return nil, nil, err
	}
	buf := buffers.Get().(*buffer)
	defer buffers.Put(buf)
	p := &placer{cp: cp, insts: st.Instances(req.Cluster), sel: newSelector(&cp.chain, rnd{rng}, buf)}
	if sample > 0 && !cp.chain.hasSpread() {
		p.sampling = true
		p.startOrder()
		p.fill(sample)
	} else {
		p.sel.keep = req.Count
		p.scanAll()
	}
	p.sel.index()
	out := make([]Placement, 0, min(req.Count, 64))
	for len(out) < req.Count {
		x, pos := p.sel.pick()
		if x < 0 {
			if !p.sampling || !p.fill(sample) {
				break
			}
			p.sel.index()
			continue
		}
		c := &p.sel.pool[x]
		out = append(out, p.bind(c))
		p.sel.placed(x, pos, p.check(c) == "")
	}
	var fails []Failure
	if len(out) < req.Count {
		fails = p.failures()
	}
	buf.keep(p.sel)
	return out, fails, nil
}

// buffer holds a Place call's candidate and cell storage for reuse: a
// spread call over 5,000 instances would otherwise allocate ~300 KB.
type buffer struct {
	pool    []cand
	members []int32
}

var buffers = sync.Pool{New: func() any { return new(buffer) }}

// keep stores the selector's (possibly grown) slices for the next call,
// unless they are outsized.
func (b *buffer) keep(s *selector) {
	const maxKeep = 1 << 16
	if cap(s.pool) <= maxKeep {
		b.pool = s.pool[:0]
	}
	if cap(s.backing) <= maxKeep {
		b.members = s.backing[:0]
	}
}

// placer is the state of one Place call.
type placer struct {
	cp    *compiled
	insts []*Instance
	sel   *selector
	ports []hostPorts // host ports given out, per touched instance

	// Sampling order: instance (start + k·stride) mod n for k = 0, 1, ...
	// with stride coprime to n visits every instance once.
	sampling             bool
	start, stride, visit int
}

func candidate(i int, inst *Instance, base int) cand {
	return cand{idx: int32(i), cpu: inst.RemainingCPU, mem: inst.RemainingMemory, base: int32(base)}
}

// hostPorts returns c's in-flight host ports, or nil.
func (p *placer) hostPorts(c *cand) *hostPorts {
	if c.ports == 0 {
		return nil
	}
	return &p.ports[c.ports-1]
}

// check is compiled.check for a candidate.
func (p *placer) check(c *cand) string {
	return p.cp.check(p.insts[c.idx], c, p.hostPorts(c))
}

// scanAll adds every feasible instance and counts every instance's group
// tasks per spread attribute value.
func (p *placer) scanAll() {
	counts := p.cp.needGroupCount()
	p.sel.grow(len(p.insts))
	for i, inst := range p.insts {
		base := 0
		if counts && len(inst.Groups) > 0 {
			base = inst.Groups[p.cp.group]
		}
		ok := p.cp.check(inst, nil, nil) == ""
		if !ok && base == 0 {
			continue // neither a candidate nor counted by a spread
		}
		vals := p.sel.valueIDs(inst, base)
		if ok {
			p.sel.add(candidate(i, inst, base), vals)
		}
	}
}

func (p *placer) startOrder() {
	n := len(p.insts)
	if n == 0 {
		return
	}
	p.start, p.stride = p.sel.rng.intN(n), 1
	if n > 2 {
		p.stride = 1 + p.sel.rng.intN(n-1)
		for gcd(p.stride, n) != 1 {
			p.stride++
		}
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// fill adds up to k more feasible instances in sampling order and reports
// whether it added any.
func (p *placer) fill(k int) bool {
	n, added := len(p.insts), 0
	for p.visit < n && added < k {
		i := (p.start + p.visit*p.stride) % n
		p.visit++
		inst := p.insts[i]
		if p.cp.check(inst, nil, nil) == "" {
			p.sel.add(candidate(i, inst, 0), nil)
			added++
		}
	}
	return added > 0
}

// bind places one task on c: it takes the task's CPU and memory, resolves
// its host ports (dynamic ones get the lowest free port of the instance's
// dynamic range) and returns the Placement.
func (p *placer) bind(c *cand) Placement {
	cp, inst := p.cp, p.insts[c.idx]
	pl := Placement{InstanceID: inst.ID, Version: inst.Version, CPU: cp.cpu, Memory: cp.mem}
	c.cpu -= cp.cpu
	c.mem -= cp.mem
	c.placed++
	if len(cp.bindings) == 0 {
		return pl
	}
	if c.ports == 0 {
		p.ports = append(p.ports, hostPorts{})
		c.ports = int32(len(p.ports))
	}
	hp := p.hostPorts(c)
	pl.Ports = make([]PortBinding, 0, len(cp.bindings))
	tcpTaken := append([]uint16(nil), cp.tcp.fixed...)
	udpTaken := append([]uint16(nil), cp.udp.fixed...)
	for _, b := range cp.bindings {
		host := b.hostPort
		proto := ProtocolTCP
		if b.udp {
			proto = ProtocolUDP
		}
		if host == 0 {
			if b.udp {
				host = pickDynamic(inst.UsedUDPPorts, hp.udp, udpTaken, dynamicRange(inst))
				udpTaken = append(udpTaken, uint16(host))
			} else {
				host = pickDynamic(inst.UsedPorts, hp.tcp, tcpTaken, dynamicRange(inst))
				tcpTaken = append(tcpTaken, uint16(host))
			}
		}
		pl.Ports = append(pl.Ports, PortBinding{ContainerName: b.name, ContainerPort: b.containerPort, HostPort: host, Protocol: proto})
	}
	hp.tcp = append(hp.tcp, tcpTaken...)
	hp.udp = append(hp.udp, udpTaken...)
	return pl
}

// failures reports, for every instance that cannot take one more task, the
// first reason, against the in-flight view.
func (p *placer) failures() []Failure {
	touched := map[int32]*cand{}
	for i := range p.sel.pool {
		if c := &p.sel.pool[i]; c.placed > 0 {
			touched[c.idx] = c
		}
	}
	var out []Failure
	for i, inst := range p.insts {
		c := touched[int32(i)]
		var hp *hostPorts
		if c != nil {
			hp = p.hostPorts(c)
		}
		if reason := p.cp.check(inst, c, hp); reason != "" {
			out = append(out, Failure{ARN: inst.ID, Reason: reason, Detail: p.cp.detail(inst, c, reason)})
		}
	}
	return out
}

// PlaceOn places one task of req on each named instance, as StartTask does:
// the caller chose the instances, so strategies, constraints and Count are
// not used; status, agent, required attributes, resources and ports are
// checked. A name matches an instance's ID (ARN) or the ID's last path
// segment; an unknown name fails with MISSING. Naming an instance twice
// places two tasks on it.
func PlaceOn(st State, req *Request, instances []string) ([]Placement, []Failure, error) {
	r := *req
	r.Count, r.Constraints, r.Strategies = 1, nil, nil
	cp, err := compile(&r)
	if err != nil {
		return nil, nil, err
	}
	p := &placer{cp: cp, insts: st.Instances(req.Cluster)}
	index := make(map[string]int, len(instances)) // name → instance index
	for _, name := range instances {
		index[name] = -1
	}
	for i, inst := range p.insts {
		short := inst.ID[strings.LastIndexByte(inst.ID, '/')+1:]
		for _, name := range []string{inst.ID, short} {
			if j, ok := index[name]; ok && j < 0 {
				index[name] = i
			}
		}
	}
	cands := map[int]*cand{}
	var out []Placement
	var fails []Failure
	for _, name := range instances {
		i := index[name]
		if i < 0 {
			fails = append(fails, Failure{ARN: name, Reason: ReasonMissing, Detail: "no container instance " + name + " in the cluster"})
			continue
		}
		c := cands[i]
		if c == nil {
			cd := candidate(i, p.insts[i], 0)
			c = &cd
			cands[i] = c
		}
		if reason := p.check(c); reason != "" {
			inst := p.insts[c.idx]
			fails = append(fails, Failure{ARN: inst.ID, Reason: reason, Detail: cp.detail(inst, c, reason)})
			continue
		}
		out = append(out, p.bind(c))
	}
	return out, fails, nil
}
