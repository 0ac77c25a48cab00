// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// evalEnv is what an expression is evaluated against: an instance plus the
// tasks the current Place call has put on it so far (placed tasks of
// group), so that runningTasksCount and task:group see them.
type evalEnv struct {
	inst   *Instance
	placed int
	group  string
}

// Match reports whether inst satisfies the expression, as
// ListContainerInstances' filter and memberOf use it.
func (q *Query) Match(inst *Instance) bool {
	return q.root.eval(&evalEnv{inst: inst})
}

func (n *node) eval(env *evalEnv) bool {
	switch n.kind {
	case nodeAnd:
		return n.l.eval(env) && n.r.eval(env)
	case nodeOr:
		return n.l.eval(env) || n.r.eval(env)
	case nodeNot:
		return !n.l.eval(env)
	}
	inst := env.inst
	switch n.subj {
	case subjAttribute:
		v, ok := inst.Attributes[n.attr]
		switch {
		case n.op == opExists:
			return ok
		case n.op == opNotExists:
			return !ok
		case !ok:
			// Every other operator needs the attribute: the guide's
			// "attribute:stack != prod" lists instances that have stack.
			return false
		}
		return n.cmpString(v)
	case subjEC2InstanceID:
		return n.cmpString(inst.EC2InstanceID)
	case subjAgentConnected:
		return n.cmpString(strconv.FormatBool(inst.AgentConnected))
	case subjRunningTasksCount:
		return n.cmpNumber(float64(inst.RunningTasksCount + env.placed))
	case subjAgentVersion:
		v, ok := parseVersion(inst.AgentVersion)
		if !ok {
			return false
		}
		return cmpResult(n.op, compareVersions(v, n.vers[0]))
	case subjRegisteredAt:
		return n.cmpTime(inst.RegisteredAt)
	case subjTaskGroup:
		return n.evalGroups(env)
	}
	return false
}

// cmpString applies n's operator to the string value v. Ordering operators
// compare numerically when both sides are numbers, as strings otherwise.
func (n *node) cmpString(v string) bool {
	switch n.op {
	case opEq:
		return n.cmpEq(v)
	case opNe:
		return !n.cmpEq(v)
	case opIn:
		return slices.ContainsFunc(n.args, func(a string) bool { return n.eqValue(v, a) })
	case opNotIn:
		return !slices.ContainsFunc(n.args, func(a string) bool { return n.eqValue(v, a) })
	case opMatch:
		return n.pat.match(v)
	case opNotMatch:
		return !n.pat.match(v)
	case opExists:
		return true
	case opNotExists:
		return false
	}
	if n.nums != nil {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return cmpResult(n.op, compareFloat(f, n.nums[0]))
		}
	}
	return cmpResult(n.op, strings.Compare(v, n.args[0]))
}

func (n *node) cmpEq(v string) bool { return n.eqValue(v, n.args[0]) }

// eqValue is value equality: exact, except true/false of agentConnected.
func (n *node) eqValue(v, a string) bool {
	if n.subj == subjAgentConnected {
		return strings.EqualFold(v, a)
	}
	return v == a
}

// cmpNumber applies an ordering operator (the only ones
// runningTasksCount accepts) to v.
func (n *node) cmpNumber(v float64) bool {
	return cmpResult(n.op, compareFloat(v, n.nums[0]))
}

// cmpTime compares at the argument's precision: a date-only argument
// compares the instance's registration date (UTC), so registeredAt ==
// 2018-06-18 holds all day and registeredAt < 2018-02-13 means before that
// day.
func (n *node) cmpTime(t time.Time) bool {
	t = t.UTC()
	arg := n.times[0]
	if n.dayOnly[0] {
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return cmpResult(n.op, t.Compare(arg))
}

// evalGroups tests the set of task groups with tasks on the instance:
// == and in hold when any group matches, != and not_in when none does,
// exists when there is any task group at all.
func (n *node) evalGroups(env *evalEnv) bool {
	anyGroup := func(pred func(g string) bool) bool {
		if env.placed > 0 && pred(env.group) {
			return true
		}
		for g, c := range env.inst.Groups {
			if c > 0 && pred(g) {
				return true
			}
		}
		return false
	}
	has := func(g string) bool {
		return env.inst.Groups[g] > 0 || env.placed > 0 && env.group == g
	}
	switch n.op {
	case opEq:
		return has(n.args[0])
	case opNe:
		return !has(n.args[0])
	case opIn:
		return slices.ContainsFunc(n.args, has)
	case opNotIn:
		return !slices.ContainsFunc(n.args, has)
	case opMatch:
		return anyGroup(n.pat.match)
	case opNotMatch:
		return !anyGroup(n.pat.match)
	case opExists:
		return anyGroup(func(string) bool { return true })
	case opNotExists:
		return !anyGroup(func(string) bool { return true })
	}
	return false
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareVersions compares dotted versions numerically; missing parts are
// zero, so 1.14 == 1.14.0.
func compareVersions(a, b []int) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return compareFloat(float64(x), float64(y))
		}
	}
	return 0
}

// cmpResult maps a three-way comparison to the ordering operator's result.
func cmpResult(op cmpOp, c int) bool {
	switch op {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	}
	return false
}
