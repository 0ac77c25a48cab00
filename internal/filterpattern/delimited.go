// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package filterpattern

// delimPattern is a [f1, f2=..., ..., fn] pattern. The message is split on
// spaces, with "..." and [...] runs kept as single fields (delimiters
// stripped). Without an ellipsis the fields line up from the left and the
// last one takes the rest of the line (so [w1=ERROR, w2] matches any line
// whose first word is ERROR); with one, the fields before it line up from
// the left and those after it from the right.
type delimPattern struct {
	fields   []delimField
	ellipsis int // index of "..." in fields, or -1
	leaves   []delimLeaf
}

type delimField struct {
	name string
	cond *expr // nil: no condition
}

type delimLeaf struct {
	name  string
	field int
	cond
}

// span is one field of a message: msg[start:end].
type span struct{ start, end int }

func isNameChar(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

func parseDelimited(p string, start, end int) (*delimPattern, error) {
	dp := &delimPattern{ellipsis: -1}
	x := &exprParser{p: p, i: start, end: end, stopComma: true}
	x.parseLeaf = func(x *exprParser) (int, error) {
		j := x.i
		for j < x.end && isNameChar(x.p[j]) {
			j++
		}
		if j == x.i {
			return 0, errAt(x.i, "expected a field name")
		}
		l := delimLeaf{name: x.p[x.i:j]}
		x.i = j
		x.skipSpace()
		if op, ok := x.parseOp(); ok {
			l.op = op
			if err := x.parseValue(&l.cond); err != nil {
				return 0, err
			}
		}
		dp.leaves = append(dp.leaves, l)
		return len(dp.leaves) - 1, nil
	}
	for {
		x.skipSpace()
		fieldStart := x.i
		if x.hasPrefix("...") {
			if dp.ellipsis >= 0 {
				return nil, errAt(x.i, "a space-delimited pattern may hold only one '...'")
			}
			x.i += 3
			dp.ellipsis = len(dp.fields)
			dp.fields = append(dp.fields, delimField{name: "..."})
		} else {
			if x.i >= end || p[x.i] == ',' {
				return nil, errAt(x.i, "empty field in space-delimited pattern")
			}
			first := len(dp.leaves)
			e, err := x.parseOr()
			if err != nil {
				return nil, err
			}
			f := delimField{name: dp.leaves[first].name}
			if e.kind == exprLeaf && dp.leaves[e.leaf].op == opAny {
				f.cond = nil
			} else {
				for k := first; k < len(dp.leaves); k++ {
					if dp.leaves[k].op == opAny {
						return nil, errAt(fieldStart, "field %s: every term joined by && or || needs an operator", f.name)
					}
				}
				f.cond = e
			}
			dp.fields = append(dp.fields, f)
		}
		x.skipSpace()
		if x.i >= end {
			break
		}
		if p[x.i] != ',' {
			return nil, errAt(x.i, "expected ',' between fields")
		}
		x.i++
	}
	// Resolve the field each condition reads: its own field first, else the
	// first field of that name.
	for fi, f := range dp.fields {
		if f.cond == nil {
			continue
		}
		for k := range dp.leaves {
			l := &dp.leaves[k]
			if !leafIn(f.cond, k) {
				continue
			}
			l.field = -1
			if l.name == f.name {
				l.field = fi
				continue
			}
			for fj, g := range dp.fields {
				if g.name == l.name && fj != dp.ellipsis {
					l.field = fj
					break
				}
			}
			if l.field < 0 {
				return nil, errAt(start, "condition on unknown field %s", l.name)
			}
		}
	}
	return dp, nil
}

func leafIn(e *expr, n int) bool {
	if e.kind == exprLeaf {
		return e.leaf == n
	}
	return leafIn(e.a, n) || leafIn(e.b, n)
}

// maxStackFields is how many message fields match keeps on the stack.
const maxStackFields = 32

func (dp *delimPattern) match(msg string) bool {
	var buf [maxStackFields]span
	toks := splitFields(msg, buf[:0])
	n := len(dp.fields)
	vals := make([]span, 0, maxStackFields)
	if n > maxStackFields {
		vals = make([]span, 0, n)
	}
	if dp.ellipsis < 0 {
		if len(toks) < n {
			return false
		}
		vals = append(vals, toks[:n]...)
		if len(toks) > n {
			// The last field takes the rest of the line, delimiters and all.
			last := toks[n-1].start
			if last > 0 && (msg[last-1] == '"' || msg[last-1] == '[') {
				last--
			}
			end := len(msg)
			for end > last && isSpace(msg[end-1]) {
				end--
			}
			vals[n-1] = span{last, end}
		}
	} else {
		before, after := dp.ellipsis, n-dp.ellipsis-1
		if len(toks) < before+after {
			return false
		}
		vals = append(vals, toks[:before]...)
		vals = append(vals, span{})
		vals = append(vals, toks[len(toks)-after:]...)
	}
	for _, f := range dp.fields {
		if f.cond == nil {
			continue
		}
		if !f.cond.eval(func(k int) bool {
			l := &dp.leaves[k]
			v := vals[l.field]
			return l.testText(msg[v.start:v.end])
		}) {
			return false
		}
	}
	return true
}

// splitFields splits msg on spaces and tabs, keeping "..." and [...] runs as
// one field without their delimiters.
func splitFields(msg string, toks []span) []span {
	i := 0
	for {
		for i < len(msg) && isSpace(msg[i]) {
			i++
		}
		if i >= len(msg) {
			return toks
		}
		var closer byte
		switch msg[i] {
		case '"':
			closer = '"'
		case '[':
			closer = ']'
		}
		if closer != 0 {
			j := i + 1
			for j < len(msg) && msg[j] != closer {
				j++
			}
			toks = append(toks, span{i + 1, j})
			i = j + 1
			continue
		}
		j := i
		for j < len(msg) && !isSpace(msg[j]) {
			j++
		}
		toks = append(toks, span{i, j})
		i = j
	}
}
