// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import (
	"math/rand/v2"
	"slices"
)

// cand is an instance that could take a task when it was added to the
// selector, with the in-flight changes of this call. It holds no pointers
// and is small: a spread call keeps one per feasible instance, in a buffer
// reused across calls.
type cand struct {
	rank     uint64
	cpu, mem int   // remaining, after this call's tasks
	idx      int32 // index in State.Instances
	cell     int32
	base     int32 // the group's tasks on the instance before this call
	placed   int32 // tasks this call put on the instance
	ports    int32 // 1 + index of its hostPorts in placer.ports; 0 if none
}

// hostPorts are host ports given out by one call on one instance.
type hostPorts struct {
	tcp, udp []uint16
}

// cell holds the candidates that share one value per attribute spread. In
// ranked mode members is a binary heap ordered by the chain's instance
// levels and then rank; otherwise it is a plain list drawn from uniformly.
type cell struct {
	vals    []int32 // value id per spread slot
	members []int32 // indexes into selector.pool
}

// selector picks the best candidate for each task. Per task it costs
// O(cells × levels) plus a heap operation, not O(instances): only the chosen
// instance's keys change when a task is placed, and attribute spreads change
// the counts of one cell's values, which the cell comparison reads.
type selector struct {
	ch     *chain
	own    []levelKind // the chain's instance levels, in order
	ranked bool
	rng    rnd
	pool   []cand
	cells  []cell
	// counts[slot][value] is the number of the group's tasks on instances
	// with that value of the slot's attribute, this call's included.
	counts  [][]int
	values  []interner
	cellOf1 []int32          // value id → cell, with one attribute slot
	cellOfN map[string]int32 // encoded value ids → cell, with several
	scratch []int32
	key4    []byte
	indexed int     // pool entries already in their cells
	keep    int     // if > 0, a cell keeps only its keep best members
	seed    uint64  // ranks are mix(seed + instance index): one draw per call
	backing []int32 // storage of the cells' members
}

// grow makes room for n more candidates.
func (s *selector) grow(n int) { s.pool = slices.Grow(s.pool, n) }

func newSelector(ch *chain, rng rnd, buf *buffer) *selector {
	s := &selector{ch: ch, ranked: ch.ranked(), rng: rng, pool: buf.pool[:0], backing: buf.members[:0], seed: rng.uint64()}
	for _, l := range ch.levels {
		if l.kind != lvSpreadAttr && l.kind != lvRandom {
			s.own = append(s.own, l.kind)
		}
	}
	s.counts = make([][]int, len(ch.attrs))
	s.values = make([]interner, len(ch.attrs))
	if len(ch.attrs) == 0 {
		s.cells = []cell{{}}
	}
	if len(ch.attrs) > 1 {
		s.cellOfN = map[string]int32{}
	}
	return s
}

// valueIDs interns inst's value of every spread attribute into s.scratch,
// and adds groupTasks to each value's count.
func (s *selector) valueIDs(inst *Instance, groupTasks int) []int32 {
	s.scratch = s.scratch[:0]
	for slot, name := range s.ch.attrs {
		id := s.values[slot].id(inst.Attributes[name])
		if int(id) == len(s.counts[slot]) {
			s.counts[slot] = append(s.counts[slot], 0)
		}
		s.counts[slot][id] += groupTasks
		s.scratch = append(s.scratch, id)
	}
	return s.scratch
}

// cellFor returns the cell of the value ids, creating it.
func (s *selector) cellFor(vals []int32) int32 {
	switch len(vals) {
	case 0:
		return 0
	case 1:
		for int(vals[0]) >= len(s.cellOf1) {
			s.cellOf1 = append(s.cellOf1, -1)
		}
		if c := s.cellOf1[vals[0]]; c >= 0 {
			return c
		}
		s.cellOf1[vals[0]] = s.newCell(vals)
		return s.cellOf1[vals[0]]
	}
	s.key4 = s.key4[:0]
	for _, v := range vals {
		s.key4 = append(s.key4, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	if c, ok := s.cellOfN[string(s.key4)]; ok {
		return c
	}
	c := s.newCell(vals)
	s.cellOfN[string(s.key4)] = c
	return c
}

func (s *selector) newCell(vals []int32) int32 {
	s.cells = append(s.cells, cell{vals: append([]int32(nil), vals...)})
	return int32(len(s.cells) - 1)
}

// add makes c a candidate in the cell of vals. It becomes pickable at the
// next index call.
func (s *selector) add(c cand, vals []int32) {
	c.cell = s.cellFor(vals)
	if s.ranked {
		c.rank = mix(s.seed + uint64(c.idx))
	}
	if s.keep > 0 && s.ranked {
		s.offer(c)
		return
	}
	s.pool = append(s.pool, c)
}

// offer keeps c only if it is among the keep best of its cell so far: the
// cell's members are a max-heap of at most keep entries while scanning
// (index turns it into a min-heap). Placing keep tasks never needs more: a
// member outside a cell's keep best could be picked only after keep others
// of the cell were, since only picked members' keys change.
func (s *selector) offer(c cand) {
	cl := &s.cells[c.cell]
	if cl.members == nil {
		cl.members = s.chunk(s.keep)
	}
	if len(cl.members) < s.keep {
		s.pool = append(s.pool, c)
		cl.members = append(cl.members, int32(len(s.pool)-1))
		s.siftUp(cl.members, len(cl.members)-1, true)
		return
	}
	if w := cl.members[0]; s.lessCand(&c, &s.pool[w]) {
		s.pool[w] = c
		s.siftDown(cl.members, 0, true)
	}
}

// chunk returns an empty slice with room for n members, carved from a
// shared array so that many cells do not mean many allocations.
func (s *selector) chunk(n int) []int32 {
	if cap(s.backing)-len(s.backing) < n {
		s.backing = make([]int32, 0, max(64*n, 1024))
	}
	m := s.backing[len(s.backing) : len(s.backing) : len(s.backing)+n]
	s.backing = s.backing[:len(s.backing)+n]
	return m
}

// index makes the candidates added since the last call pickable. The first
// call turns the cells offer kept into min-heaps, or sorts the pool into
// its cells with one allocation (and heapifies them when ranked), in O(n);
// later calls (a widened sample) push the new candidates one by one.
func (s *selector) index() {
	switch {
	case s.indexed == 0 && s.keep > 0 && s.ranked:
		// offer kept each cell's best as a max-heap; make it a min-heap.
		for ci := range s.cells {
			cl := &s.cells[ci]
			for i := len(cl.members)/2 - 1; i >= 0; i-- {
				s.siftDown(cl.members, i, false)
			}
		}
	case s.indexed == 0 && len(s.pool) > 0:
		sizes := make([]int32, len(s.cells))
		for i := range s.pool {
			sizes[s.pool[i].cell]++
		}
		if cap(s.backing) < len(s.pool) {
			s.backing = make([]int32, len(s.pool))
		}
		backing := s.backing[:len(s.pool)]
		off := int32(0)
		for ci, n := range sizes {
			s.cells[ci].members = backing[off:off:(off + n)]
			off += n
		}
		for i := range s.pool {
			cl := &s.cells[s.pool[i].cell]
			cl.members = append(cl.members, int32(i))
		}
		if s.ranked {
			for ci := range s.cells {
				cl := &s.cells[ci]
				for i := len(cl.members)/2 - 1; i >= 0; i-- {
					s.siftDown(cl.members, i, false)
				}
			}
		}
	default:
		for i := s.indexed; i < len(s.pool); i++ {
			cl := &s.cells[s.pool[i].cell]
			cl.members = append(cl.members, int32(i))
			if s.ranked {
				s.siftUp(cl.members, len(cl.members)-1, false)
			}
		}
	}
	s.indexed = len(s.pool)
}

// pick returns the pool index of the best candidate and its position in
// its cell, or -1 when no candidate is left.
func (s *selector) pick() (int32, int) {
	best, ties := -1, 0
	for ci := range s.cells {
		if len(s.cells[ci].members) == 0 {
			continue
		}
		if best < 0 {
			best, ties = ci, 1
			continue
		}
		switch c := s.compareCells(ci, best); {
		case c < 0:
			best, ties = ci, 1
		case c == 0 && !s.ranked:
			// Uniform among tied cells, then among the cell's members.
			ties++
			if s.rng.intN(ties) == 0 {
				best = ci
			}
		}
	}
	if best < 0 {
		return -1, 0
	}
	cl := &s.cells[best]
	if s.ranked {
		return cl.members[0], 0
	}
	pos := s.rng.intN(len(cl.members))
	return cl.members[pos], pos
}

// compareCells compares the best candidates of two non-empty cells by the
// chain, then (ranked mode) by rank.
func (s *selector) compareCells(a, b int) int {
	ca, cb := &s.cells[a], &s.cells[b]
	for _, l := range s.ch.levels {
		var x, y int
		if l.kind == lvSpreadAttr {
			x, y = s.counts[l.slot][ca.vals[l.slot]], s.counts[l.slot][cb.vals[l.slot]]
		} else if l.kind != lvRandom {
			x, y = s.key(&s.pool[ca.members[0]], l.kind), s.key(&s.pool[cb.members[0]], l.kind)
		}
		if x != y {
			return cmpInt(x, y)
		}
	}
	if s.ranked {
		return cmpUint(s.pool[ca.members[0]].rank, s.pool[cb.members[0]].rank)
	}
	return 0
}

// key is a candidate's key at an instance level; lower is better.
func (s *selector) key(c *cand, k levelKind) int {
	switch k {
	case lvBinpackCPU:
		return c.cpu
	case lvBinpackMemory:
		return c.mem
	case lvSpreadInstance:
		return int(c.base + c.placed)
	}
	return 0
}

// less orders two members of one cell: by the instance levels, then rank.
func (s *selector) less(i, j int32) bool { return s.lessCand(&s.pool[i], &s.pool[j]) }

func (s *selector) lessCand(a, b *cand) bool {
	for _, k := range s.own {
		if x, y := s.key(a, k), s.key(b, k); x != y {
			return x < y
		}
	}
	return a.rank < b.rank
}

// placed records a task placed on the candidate at pos of its cell; keep
// tells whether it can take another one.
func (s *selector) placed(x int32, pos int, keep bool) {
	c := &s.pool[x]
	cl := &s.cells[c.cell]
	for slot, v := range cl.vals {
		s.counts[slot][v]++
	}
	if keep {
		if s.ranked {
			s.siftDown(cl.members, pos, false)
		}
		return
	}
	last := len(cl.members) - 1
	cl.members[pos] = cl.members[last]
	cl.members = cl.members[:last]
	if s.ranked && pos < last {
		s.siftDown(cl.members, pos, false)
	}
}

// before orders heap entries: a min-heap (best on top) or, with worst, a
// max-heap (worst on top).
func (s *selector) before(a, b int32, worst bool) bool {
	if worst {
		return s.less(b, a)
	}
	return s.less(a, b)
}

func (s *selector) siftUp(h []int32, i int, worst bool) {
	for i > 0 {
		p := (i - 1) / 2
		if !s.before(h[i], h[p], worst) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (s *selector) siftDown(h []int32, i int, worst bool) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && s.before(h[r], h[l], worst) {
			m = r
		}
		if !s.before(h[m], h[i], worst) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func cmpInt(a, b int) int {
	if a < b {
		return -1
	}
	return 1
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sameString is a == b, rejecting most unequal values (zone names differ
// in their last byte) without a full comparison.
func sameString(a, b string) bool {
	return len(a) == len(b) && (len(a) == 0 || a[len(a)-1] == b[len(b)-1]) && a == b
}

// mix is SplitMix64's finalizer: distinct inputs give distinct, uniformly
// spread outputs, so ranks from one random seed order instances at random.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// interner numbers the distinct values of one attribute. Attribute spreads
// have few values (zones, instance types), so a short slice beats a map.
type interner struct {
	list []string
	m    map[string]int32
	last int32 // the previous answer, tried first
}

func (in *interner) id(v string) int32 {
	if int(in.last) < len(in.list) && sameString(in.list[in.last], v) {
		return in.last
	}
	id := in.lookup(v)
	in.last = id
	return id
}

func (in *interner) lookup(v string) int32 {
	if in.m != nil {
		if id, ok := in.m[v]; ok {
			return id
		}
	} else {
		for i, s := range in.list {
			if sameString(s, v) {
				return int32(i)
			}
		}
	}
	id := int32(len(in.list))
	in.list = append(in.list, v)
	if in.m != nil {
		in.m[v] = id
	} else if len(in.list) > 16 {
		in.m = make(map[string]int32, 2*len(in.list))
		for i, s := range in.list {
			in.m[s] = int32(i)
		}
	}
	return id
}

// rnd draws from r, or from the goroutine-safe global source when r is nil.
type rnd struct{ r *rand.Rand }

func (x rnd) intN(n int) int {
	if x.r == nil {
		return rand.IntN(n)
	}
	return x.r.IntN(n)
}

func (x rnd) uint64() uint64 {
	if x.r == nil {
		return rand.Uint64()
	}
	return x.r.Uint64()
}
