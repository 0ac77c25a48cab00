// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import (
	"slices"
	"strings"
	"sync/atomic"
)

// Compiled is a policy prepared for evaluation: actions lower-cased, ARN
// patterns split into segments, condition values parsed for their operator
// and statements indexed by service prefix. Compile a policy once per policy
// version and cache the result; a Compiled is immutable and safe for
// concurrent use by any number of evaluations.
type Compiled struct {
	kind    Kind
	version string
	stmts   []cstmt
	// byService lists, per lower-case service prefix, the statements whose
	// Action can match an action of that service, in document order; other
	// services use wildcard.
	byService map[string][]int32
	wildcard  []int32
	source    *Policy
	// byAction caches, per action id (see internAction), the statements
	// whose Action or NotAction matches that action. Entries are computed on
	// first use and published copy-on-write, so reads take no lock.
	byAction atomic.Pointer[[]*[]int32]
}

// cstmt is a compiled statement.
type cstmt struct {
	index        int
	sid          string
	effect       Effect
	start, end   Position
	notAction    bool
	actions      []actionPattern
	hasResource  bool
	notResource  bool
	resources    []arnPattern
	principals   *cprincipals
	notPrincipal bool
	conds        []cond
}

// Compile prepares p for evaluation.
func Compile(p *Policy) *Compiled {
	c := &Compiled{kind: p.Kind, version: p.Version, source: p, byService: map[string][]int32{}}
	vars := p.Variables()
	for i, s := range p.Statements {
		cs := cstmt{
			index:        i,
			sid:          s.Sid,
			effect:       s.Effect,
			start:        s.Start,
			end:          s.End,
			notAction:    s.NotAction,
			hasResource:  s.Resources != nil,
			notResource:  s.NotResource,
			principals:   compilePrincipals(s.Principal),
			notPrincipal: s.NotPrincipal,
		}
		for _, a := range s.Actions {
			cs.actions = append(cs.actions, compileAction(a))
		}
		for _, r := range s.Resources {
			cs.resources = append(cs.resources, compileARN(r, vars))
		}
		for _, cd := range s.Conditions {
			cs.conds = append(cs.conds, compileCond(cd, vars))
		}
		c.stmts = append(c.stmts, cs)
	}
	// Index: a statement goes under every service its Action names; one
	// with Action "*" or NotAction can match any service.
	for i := range c.stmts {
		s := &c.stmts[i]
		if s.notAction || slices.ContainsFunc(s.actions, func(a actionPattern) bool { return a.all }) {
			c.wildcard = append(c.wildcard, int32(i))
			continue
		}
		for _, a := range s.actions {
			l := c.byService[a.service]
			if len(l) == 0 || l[len(l)-1] != int32(i) {
				c.byService[a.service] = append(l, int32(i))
			}
		}
	}
	for svc, l := range c.byService {
		l = append(l, c.wildcard...)
		slices.Sort(l)
		c.byService[svc] = slices.Compact(l)
	}
	return c
}

// Policy returns the policy c was compiled from.
func (c *Compiled) Policy() *Policy { return c.source }

// Kind returns the kind the policy was validated as.
func (c *Compiled) Kind() Kind { return c.kind }

// candidates returns the statements that can match an action of service
// (lower case).
func (c *Compiled) candidates(service string) []int32 {
	if l, ok := c.byService[service]; ok {
		return l
	}
	return c.wildcard
}

// matching returns the statements whose Action or NotAction matches the
// action, in document order.
func (c *Compiled) matching(ai *actionInfo) []int32 {
	if ai.id >= 0 {
		if p := c.byAction.Load(); p != nil && int(ai.id) < len(*p) {
			if l := (*p)[ai.id]; l != nil {
				return *l
			}
		}
	}
	list := []int32{}
	for _, si := range c.candidates(ai.service) {
		s := &c.stmts[si]
		matched := false
		for i := range s.actions {
			if s.actions[i].match(ai.service, ai.name) {
				matched = true
				break
			}
		}
		if matched != s.notAction {
			list = append(list, si)
		}
	}
	if ai.id < 0 {
		return list
	}
	for {
		old := c.byAction.Load()
		var cur []*[]int32
		if old != nil {
			cur = *old
		}
		next := make([]*[]int32, max(len(cur), int(ai.id)+1))
		copy(next, cur)
		next[ai.id] = &list
		if c.byAction.CompareAndSwap(old, &next) {
			return list
		}
	}
}

// ContextKeys returns the context keys the policies reference in Condition
// elements and in policy variables, each once, in the case first written, as
// IAM's GetContextKeysForCustomPolicy and GetContextKeysForPrincipalPolicy
// return them.
func ContextKeys(policies ...*Policy) []string {
	var out []string
	seen := map[string]bool{}
	add := func(k string) {
		if lk := strings.ToLower(k); !seen[lk] {
			seen[lk] = true
			out = append(out, k)
		}
	}
	for _, p := range policies {
		vars := p.Variables()
		for _, s := range p.Statements {
			for _, cd := range s.Conditions {
				add(cd.Key)
			}
			if !vars {
				continue
			}
			var texts []string
			texts = append(texts, s.Resources...)
			for _, cd := range s.Conditions {
				texts = append(texts, cd.Values...)
			}
			for _, t := range texts {
				for _, tok := range tokenize(t, false) {
					if tok.kind == tokVar {
						add(tok.raw)
					}
				}
			}
		}
	}
	return out
}
