// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package filterpattern

import (
	"strconv"
	"strings"
)

// expr is a boolean combination of leaf conditions, shared by JSON patterns
// and the fields of space-delimited patterns. AWS's precedence is
// () > && > ||.
type expr struct {
	kind exprKind
	a, b *expr
	leaf int
}

type exprKind uint8

const (
	exprLeaf exprKind = iota
	exprAnd
	exprOr
)

func (e *expr) eval(leaf func(int) bool) bool {
	switch e.kind {
	case exprAnd:
		return e.a.eval(leaf) && e.b.eval(leaf)
	case exprOr:
		return e.a.eval(leaf) || e.b.eval(leaf)
	}
	return leaf(e.leaf)
}

// maxDepth bounds parenthesis nesting so hostile patterns cannot exhaust
// the stack.
const maxDepth = 32

// exprParser parses "a && (b || c)" over p[i:end]; parseLeaf reads one
// condition at p.i and returns its index.
type exprParser struct {
	p         string
	i, end    int
	depth     int
	regexes   int
	parseLeaf func(*exprParser) (int, error)
	// stopComma ends an expression at ',' (space-delimited fields).
	stopComma bool
}

func (x *exprParser) skipSpace() {
	for x.i < x.end && isSpace(x.p[x.i]) {
		x.i++
	}
}

func (x *exprParser) hasPrefix(s string) bool {
	return x.i+len(s) <= x.end && x.p[x.i:x.i+len(s)] == s
}

func (x *exprParser) parseOr() (*expr, error) {
	left, err := x.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		x.skipSpace()
		if !x.hasPrefix("||") {
			return left, nil
		}
		x.i += 2
		right, err := x.parseAnd()
		if err != nil {
			return nil, err
		}
		left = &expr{kind: exprOr, a: left, b: right}
	}
}

func (x *exprParser) parseAnd() (*expr, error) {
	left, err := x.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		x.skipSpace()
		if !x.hasPrefix("&&") {
			return left, nil
		}
		x.i += 2
		right, err := x.parseUnary()
		if err != nil {
			return nil, err
		}
		left = &expr{kind: exprAnd, a: left, b: right}
	}
}

func (x *exprParser) parseUnary() (*expr, error) {
	x.skipSpace()
	if x.i >= x.end {
		return nil, errAt(x.i, "missing condition")
	}
	if x.p[x.i] == '(' {
		open := x.i
		x.depth++
		if x.depth > maxDepth {
			return nil, errAt(x.i, "parentheses nested deeper than %d", maxDepth)
		}
		x.i++
		e, err := x.parseOr()
		if err != nil {
			return nil, err
		}
		x.skipSpace()
		if x.i >= x.end || x.p[x.i] != ')' {
			return nil, errAt(open, "unbalanced '('")
		}
		x.i++
		x.depth--
		return e, nil
	}
	n, err := x.parseLeaf(x)
	if err != nil {
		return nil, err
	}
	return &expr{kind: exprLeaf, leaf: n}, nil
}

// parseOp reads a comparison operator at x.i.
func (x *exprParser) parseOp() (cmpOp, bool) {
	for _, o := range []struct {
		s  string
		op cmpOp
	}{{"!=", opNe}, {"<=", opLe}, {">=", opGe}, {"=", opEq}, {"<", opLt}, {">", opGt}} {
		if x.hasPrefix(o.s) {
			x.i += len(o.s)
			return o.op, true
		}
	}
	return 0, false
}

// parseValue reads the right-hand side of a comparison: a quoted string, a
// %regex%, or a bare token (number, or text with * wildcards).
func (x *exprParser) parseValue(c *cond) error {
	x.skipSpace()
	if x.i >= x.end {
		return errAt(x.i, "missing value after operator")
	}
	start := x.i
	switch x.p[x.i] {
	case '"':
		s, next, err := parseQuoted(x.p, x.i, x.end)
		if err != nil {
			return err
		}
		x.i = next
		c.lit = s
		c.wild = strings.Contains(s, "*")
	case '%':
		if x.regexes++; x.regexes > maxRegexPerPattern {
			return errAt(x.i, "a pattern may hold at most %d regular expressions", maxRegexPerPattern)
		}
		re, next, err := parseRegex(x.p[:x.end], x.i)
		if err != nil {
			return err
		}
		x.i = next
		c.re = re
	case '=', '<', '>', '!':
		return errAt(x.i, "unexpected %q after operator", string(x.p[x.i]))
	default:
		j := x.i
		for j < x.end && !x.isValueStop(j) {
			j++
		}
		if j == x.i {
			return errAt(x.i, "missing value after operator")
		}
		c.lit = x.p[x.i:j]
		x.i = j
		if f, ok := parseNumber(c.lit); ok {
			c.num, c.numLit = f, true
		} else {
			c.wild = strings.Contains(c.lit, "*")
		}
	}
	if c.op.numeric() && !c.numLit {
		return errAt(start, "operator %s needs a numeric value", c.op)
	}
	return nil
}

func (x *exprParser) isValueStop(j int) bool {
	c := x.p[j]
	switch {
	case isSpace(c) || c == ')' || c == '(' || c == '"':
		return true
	case c == ',' && x.stopComma:
		return true
	case (c == '&' || c == '|') && j+1 < x.end && x.p[j+1] == c:
		return true
	}
	return false
}

type cmpOp uint8

const (
	opAny cmpOp = iota // a bare space-delimited field: no condition
	opEq
	opNe
	opLt
	opGt
	opLe
	opGe
	opIsNull
	opIsTrue
	opIsFalse
	opNotExists
)

func (o cmpOp) numeric() bool { return o >= opLt && o <= opGe }

func (o cmpOp) String() string {
	return [...]string{"", "=", "!=", "<", ">", "<=", ">=", "IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"}[o]
}

// cond is one comparison against a value.
type cond struct {
	op     cmpOp
	lit    string
	wild   bool
	num    float64
	numLit bool
	re     *regex
}

// testText compares a scalar value, given as text, using = != < > <= >=.
func (c *cond) testText(text string) bool {
	switch c.op {
	case opAny:
		return true
	case opEq:
		return c.equal(text)
	case opNe:
		return !c.equal(text)
	}
	f, ok := parseNumber(text)
	if !ok {
		return false
	}
	switch c.op {
	case opLt:
		return f < c.num
	case opGt:
		return f > c.num
	case opLe:
		return f <= c.num
	case opGe:
		return f >= c.num
	}
	return false
}

func (c *cond) equal(text string) bool {
	switch {
	case c.re != nil:
		return c.re.re.MatchString(text)
	case c.wild:
		return glob(c.lit, text)
	case c.numLit:
		if f, ok := parseNumber(text); ok {
			return f == c.num
		}
	}
	return text == c.lit
}

// parseNumber parses a decimal number (sign, fraction and exponent allowed)
// without allocating on failure.
func parseNumber(s string) (float64, bool) {
	if s == "" || len(s) > 64 {
		return 0, false
	}
	digits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E':
		default:
			return 0, false
		}
	}
	if !digits {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}
