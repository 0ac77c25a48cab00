// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package filterpattern

import "strings"

// jsonPattern is a { ... } pattern: a boolean expression over conditions on
// JSON property selectors. Messages that are not JSON never match.
type jsonPattern struct {
	root  *expr
	conds []jsonCond
}

type jsonCond struct {
	sel []step
	cond
}

type stepKind uint8

const (
	stepField stepKind = iota
	stepIndex
	stepWild
)

type step struct {
	kind  stepKind
	key   string
	index int
}

// Wildcard quotas from the FilterAndPatternSyntax page.
const (
	maxWildPerSelector = 1
	maxWildPerPattern  = 3
)

func parseJSON(p string, start, end int) (*jsonPattern, error) {
	jp := &jsonPattern{}
	wilds := 0
	x := &exprParser{p: p, i: start, end: end}
	x.parseLeaf = func(x *exprParser) (int, error) {
		sel, w, err := parseSelector(x)
		if err != nil {
			return 0, err
		}
		if wilds += w; wilds > maxWildPerPattern {
			return 0, errAt(x.i, "a pattern may hold at most %d wildcard selectors", maxWildPerPattern)
		}
		c := jsonCond{sel: sel}
		x.skipSpace()
		switch {
		case x.hasKeyword("IS"):
			x.skipSpace()
			switch {
			case x.hasKeyword("NULL"):
				c.op = opIsNull
			case x.hasKeyword("TRUE"):
				c.op = opIsTrue
			case x.hasKeyword("FALSE"):
				c.op = opIsFalse
			default:
				return 0, errAt(x.i, "IS must be followed by NULL, TRUE or FALSE")
			}
		case x.hasKeyword("NOT"):
			x.skipSpace()
			if !x.hasKeyword("EXISTS") {
				return 0, errAt(x.i, "NOT must be followed by EXISTS")
			}
			c.op = opNotExists
		default:
			op, ok := x.parseOp()
			if !ok {
				return 0, errAt(x.i, "expected an operator (=, !=, <, >, <=, >=, IS or NOT EXISTS) after the property selector")
			}
			c.op = op
			if err := x.parseValue(&c.cond); err != nil {
				return 0, err
			}
		}
		jp.conds = append(jp.conds, c)
		return len(jp.conds) - 1, nil
	}
	x.skipSpace()
	if x.i >= end {
		return nil, errAt(x.i, "empty JSON pattern")
	}
	root, err := x.parseOr()
	if err != nil {
		return nil, err
	}
	x.skipSpace()
	if x.i < end {
		if p[x.i] == ')' {
			return nil, errAt(x.i, "unbalanced ')'")
		}
		return nil, errAt(x.i, "expected && or || before %q", p[x.i:min(end, x.i+10)])
	}
	jp.root = root
	return jp, nil
}

// hasKeyword consumes the case-insensitive keyword kw at x.i if it is followed
// by a non-word character.
func (x *exprParser) hasKeyword(kw string) bool {
	if x.i+len(kw) > x.end || !strings.EqualFold(x.p[x.i:x.i+len(kw)], kw) {
		return false
	}
	if n := x.i + len(kw); n < x.end && (isAlnum(x.p[n]) || x.p[n] == '_') {
		return false
	}
	x.i += len(kw)
	return true
}

// parseSelector reads $.a.b[0]['c.d'].* and returns its steps and the number
// of wildcards in it.
func parseSelector(x *exprParser) ([]step, int, error) {
	start := x.i
	if x.i >= x.end || x.p[x.i] != '$' {
		return nil, 0, errAt(x.i, "expected a property selector starting with '$.'")
	}
	x.i++
	var steps []step
	wilds := 0
	for x.i < x.end {
		c := x.p[x.i]
		switch {
		case c == '.':
			x.i++
			if x.i < x.end && x.p[x.i] == '[' {
				continue // $.['cluster.name']
			}
			if x.i < x.end && x.p[x.i] == '*' {
				x.i++
				steps = append(steps, step{kind: stepWild})
				wilds++
				continue
			}
			j := x.i
			for j < x.end && (isAlnum(x.p[j]) || x.p[j] == '_' || x.p[j] == '-' || x.p[j] >= 0x80) {
				j++
			}
			if j == x.i {
				return nil, 0, errAt(x.i, "expected a property name after '.'")
			}
			steps = append(steps, step{kind: stepField, key: x.p[x.i:j]})
			x.i = j
		case c == '[':
			open := x.i
			x.i++
			rb := strings.IndexByte(x.p[x.i:x.end], ']')
			if rb < 0 {
				return nil, 0, errAt(open, "unbalanced '[' in property selector")
			}
			inner := x.p[x.i : x.i+rb]
			switch {
			case inner == "*":
				steps = append(steps, step{kind: stepWild})
				wilds++
			case len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0]:
				steps = append(steps, step{kind: stepField, key: inner[1 : len(inner)-1]})
			case inner != "" && len(inner) <= 9 && allDigits(inner):
				n := 0
				for k := 0; k < len(inner); k++ {
					n = n*10 + int(inner[k]-'0')
				}
				steps = append(steps, step{kind: stepIndex, index: n})
			default:
				return nil, 0, errAt(x.i, "invalid array index or property [%s]", inner)
			}
			x.i += rb + 1
		default:
			if len(steps) == 0 {
				return nil, 0, errAt(start, "expected a property selector starting with '$.'")
			}
			if isSpace(c) || c == '=' || c == '!' || c == '<' || c == '>' || c == ')' {
				if wilds > maxWildPerSelector {
					return nil, 0, errAt(start, "a property selector may hold at most %d wildcard", maxWildPerSelector)
				}
				return steps, wilds, nil
			}
			return nil, 0, errAt(x.i, "invalid character %q in property selector", string(c))
		}
	}
	return nil, 0, errAt(x.i, "property selector must be followed by an operator")
}
