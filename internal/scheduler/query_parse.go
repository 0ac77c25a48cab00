// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MaxExpressionLength is the longest cluster query expression ECS accepts
// (PlacementConstraint.expression in the ECS API reference).
const MaxExpressionLength = 2000

// cmpOp is a comparison operator of the cluster query language.
type cmpOp uint8

const (
	opEq cmpOp = iota + 1
	opNe
	opGt
	opGe
	opLt
	opLe
	opExists
	opNotExists
	opIn
	opNotIn
	opMatch
	opNotMatch
)

// opWords maps the spelled-out operators to their codes.
var opWords = map[string]cmpOp{
	"equals": opEq, "not_equals": opNe,
	"greater_than": opGt, "greater_than_equal": opGe,
	"less_than": opLt, "less_than_equal": opLe,
	"exists": opExists, "not_exists": opNotExists,
	"in": opIn, "not_in": opNotIn,
	"matches": opMatch, "not_matches": opNotMatch,
}

var opSymbols = [...]string{opEq: "==", opNe: "!=", opGt: ">", opGe: ">=", opLt: "<", opLe: "<=",
	opExists: "exists", opNotExists: "!exists", opIn: "in", opNotIn: "!in", opMatch: "=~", opNotMatch: "!~"}

// subjKind is what a condition tests.
type subjKind uint8

const (
	subjAttribute subjKind = iota + 1
	subjAgentConnected
	subjAgentVersion
	subjEC2InstanceID
	subjRegisteredAt
	subjRunningTasksCount
	subjTaskGroup
)

// subjects maps subject names to kinds; attribute:<name> is handled apart.
var subjects = map[string]subjKind{
	"agentConnected":    subjAgentConnected,
	"agentVersion":      subjAgentVersion,
	"ec2InstanceId":     subjEC2InstanceID,
	"registeredAt":      subjRegisteredAt,
	"runningTasksCount": subjRunningTasksCount,
	"task:group":        subjTaskGroup,
}

// validOps lists the operators each subject accepts, from "Cluster query
// language" in the ECS Developer Guide. attribute:<name> accepts them all;
// the guide lists none for task:group, which berth gives the set operators.
var validOps = map[subjKind][]cmpOp{
	subjAgentConnected:    {opEq, opNe, opIn, opNotIn, opMatch, opNotMatch},
	subjAgentVersion:      {opEq, opNe, opGt, opGe, opLt, opLe},
	subjEC2InstanceID:     {opEq, opNe, opIn, opNotIn, opMatch, opNotMatch},
	subjRegisteredAt:      {opEq, opNe, opGt, opGe, opLt, opLe},
	subjRunningTasksCount: {opEq, opNe, opGt, opGe, opLt, opLe},
	subjTaskGroup:         {opEq, opNe, opIn, opNotIn, opMatch, opNotMatch, opExists, opNotExists},
}

// nodeKind is the kind of an expression tree node.
type nodeKind uint8

const (
	nodeCond nodeKind = iota
	nodeAnd
	nodeOr
	nodeNot
)

// node is a parsed expression. A condition keeps its arguments both as
// written and pre-converted for its subject, so evaluation never parses.
type node struct {
	kind nodeKind
	l, r *node // children of and/or; l of not

	subj    subjKind
	subject string // as written: "attribute:ecs.instance-type"
	attr    string // attribute name for subjAttribute
	op      cmpOp
	args    []string
	nums    []float64 // numeric form of args, NaN-free; nil if not all numeric
	vers    [][]int   // agentVersion args
	times   []time.Time
	dayOnly []bool // registeredAt args given as a date only
	re      *regexp.Regexp
	pat     pattern // a faster equivalent of re for common shapes
}

// Query is a parsed, compiled cluster query expression, safe for concurrent
// use. ParseQuery caches Queries by expression text.
type Query struct {
	root    *node
	dynamic bool // tests runningTasksCount or task:group, which placing changes
}

var (
	queryCache     sync.Map // expression → *Query
	queryCacheSize atomic.Int64
)

// queryCacheMax bounds the cache; expressions beyond it are parsed per call.
const queryCacheMax = 4096

// ParseQuery parses a cluster query language expression ("Cluster query
// language" in the ECS Developer Guide): conditions `subject operator
// [argument]` on agentConnected, agentVersion, attribute:<name>,
// ec2InstanceId, registeredAt, runningTasksCount and task:group, combined
// with and/&&, or/|| and not/! and grouped with parentheses; and binds
// tighter than or. It returns a *InvalidParameterError for a malformed
// expression. Results are cached by expression, so calling it per request
// is cheap.
func ParseQuery(expr string) (*Query, error) {
	if q, ok := queryCache.Load(expr); ok {
		return q.(*Query), nil
	}
	q, err := parseQuery(expr)
	if err != nil {
		return nil, err
	}
	if queryCacheSize.Load() < queryCacheMax {
		if _, loaded := queryCache.LoadOrStore(expr, q); !loaded {
			queryCacheSize.Add(1)
		}
	}
	return q, nil
}

func parseQuery(expr string) (*Query, error) {
	if len(expr) > MaxExpressionLength {
		return nil, invalidParam("Expression is longer than %d characters.", MaxExpressionLength)
	}
	p := &parser{lx: lexer{src: expr}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tkEOF {
		return nil, queryError(expr, 0, "empty expression")
	}
	root, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tkEOF {
		return nil, p.errorf("unexpected %q", p.tok.text)
	}
	return &Query{root: root, dynamic: isDynamic(root)}, nil
}

func isDynamic(n *node) bool {
	switch n.kind {
	case nodeCond:
		return n.subj == subjRunningTasksCount || n.subj == subjTaskGroup
	case nodeNot:
		return isDynamic(n.l)
	}
	return isDynamic(n.l) || isDynamic(n.r)
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 100

type parser struct {
	lx  lexer
	tok token
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errorf(format string, args ...any) error {
	return queryError(p.lx.src, p.tok.pos, fmt.Sprintf(format, args...))
}

func (p *parser) isWord(kw string) bool {
	return p.tok.kind == tkWord && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) parseOr(depth int) (*node, error) {
	l, err := p.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tkOr || p.isWord("or") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		l = &node{kind: nodeOr, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseAnd(depth int) (*node, error) {
	l, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tkAnd || p.isWord("and") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		l = &node{kind: nodeAnd, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseUnary(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, p.errorf("expression nested too deeply")
	}
	switch {
	case p.tok.kind == tkNot || p.isWord("not"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &node{kind: nodeNot, l: x}, nil
	case p.tok.kind == tkLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tkRParen {
			return nil, p.errorf("expected ')'")
		}
		return x, p.advance()
	}
	return p.parseCond()
}

// parseCond parses `subject operator [argument]`.
func (p *parser) parseCond() (*node, error) {
	if p.tok.kind != tkWord {
		return nil, p.errorf("expected a subject")
	}
	n := &node{kind: nodeCond, subject: p.tok.text}
	if name, ok := strings.CutPrefix(p.tok.text, "attribute:"); ok {
		if name == "" {
			return nil, p.errorf("attribute name missing")
		}
		n.subj, n.attr = subjAttribute, name
	} else if n.subj = subjects[p.tok.text]; n.subj == 0 {
		return nil, p.errorf("unknown subject %q", p.tok.text)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch {
	case p.tok.kind == tkOp:
		n.op = p.tok.op
	case p.tok.kind == tkWord && opWords[strings.ToLower(p.tok.text)] != 0:
		n.op = opWords[strings.ToLower(p.tok.text)]
	default:
		return nil, p.errorf("expected an operator after %q", n.subject)
	}
	if ops, ok := validOps[n.subj]; ok && !containsOp(ops, n.op) {
		return nil, p.errorf("operator %s is not valid for %s", opSymbols[n.op], n.subject)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.parseArgs(n); err != nil {
		return nil, err
	}
	return n, compileArgs(p, n)
}

func containsOp(ops []cmpOp, op cmpOp) bool {
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

// parseArgs reads the operator's argument: none for exists, a [list] for
// in, one value otherwise.
func (p *parser) parseArgs(n *node) error {
	value := func() (string, error) {
		if p.tok.kind != tkWord && p.tok.kind != tkString {
			return "", p.errorf("expected a value")
		}
		v := p.tok.text
		return v, p.advance()
	}
	switch n.op {
	case opExists, opNotExists:
		return nil
	case opIn, opNotIn:
		if p.tok.kind != tkLBrack {
			return p.errorf("expected '[' to start the argument list")
		}
		if err := p.advance(); err != nil {
			return err
		}
		for {
			v, err := value()
			if err != nil {
				return err
			}
			n.args = append(n.args, v)
			if p.tok.kind == tkRBrack {
				return p.advance()
			}
			if p.tok.kind != tkComma {
				return p.errorf("expected ',' or ']'")
			}
			if err := p.advance(); err != nil {
				return err
			}
		}
	}
	v, err := value()
	if err != nil {
		return err
	}
	n.args = []string{v}
	return nil
}

// Date formats registeredAt accepts, as the ECS Developer Guide lists them.
var dateLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"}

// compileArgs converts arguments for the subject and compiles patterns.
func compileArgs(p *parser, n *node) error {
	if n.op == opMatch || n.op == opNotMatch {
		// Java regular expressions per the guide; RE2 covers the common
		// subset. matches() in Java matches the whole value.
		re, err := regexp.Compile("^(?:" + n.args[0] + ")$")
		if err != nil {
			return queryError(p.lx.src, p.tok.pos, fmt.Sprintf("invalid pattern %q", n.args[0]))
		}
		n.re = re
		n.pat = compilePattern(n.args[0], re)
		return nil
	}
	switch n.subj {
	case subjRunningTasksCount:
		for _, a := range n.args {
			v, err := strconv.Atoi(a)
			if err != nil || v < 0 {
				return queryError(p.lx.src, p.tok.pos, fmt.Sprintf("runningTasksCount needs a non-negative integer, got %q", a))
			}
			n.nums = append(n.nums, float64(v))
		}
	case subjAgentVersion:
		for _, a := range n.args {
			v, ok := parseVersion(a)
			if !ok {
				return queryError(p.lx.src, p.tok.pos, fmt.Sprintf("agentVersion needs a version such as 1.14.5, got %q", a))
			}
			n.vers = append(n.vers, v)
		}
	case subjRegisteredAt:
		for _, a := range n.args {
			t, day, ok := parseDate(a)
			if !ok {
				return queryError(p.lx.src, p.tok.pos, fmt.Sprintf("registeredAt needs a date such as 2018-06-18T22:28:28Z or 2018-06-18, got %q", a))
			}
			n.times, n.dayOnly = append(n.times, t), append(n.dayOnly, day)
		}
	case subjAgentConnected:
		for _, a := range n.args {
			if !strings.EqualFold(a, "true") && !strings.EqualFold(a, "false") {
				return queryError(p.lx.src, p.tok.pos, fmt.Sprintf("agentConnected needs true or false, got %q", a))
			}
		}
	case subjAttribute:
		for _, a := range n.args {
			f, err := strconv.ParseFloat(a, 64)
			if err != nil || f != f {
				n.nums = nil
				break
			}
			n.nums = append(n.nums, f)
		}
	}
	return nil
}

func parseVersion(s string) ([]int, bool) {
	parts := strings.Split(s, ".")
	out := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

func parseDate(s string) (time.Time, bool, bool) {
	for i, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), i == len(dateLayouts)-1, true
		}
	}
	return time.Time{}, false, false
}
