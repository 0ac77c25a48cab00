// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import (
	"strings"
	"sync"
	"sync/atomic"
)

// arnParts is an ARN split into its six colon-separated segments; resource
// holds everything after the fifth colon, colons included.
type arnParts struct {
	partition, service, region, account, resource string
}

// splitARN splits s without allocating. It reports false unless s starts
// with "arn:" and has at least five colons.
func splitARN(s string) (arnParts, bool) {
	var a arnParts
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return a, false
	}
	var f [4]string
	for i := range f {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return a, false
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	a.partition, a.service, a.region, a.account, a.resource = f[0], f[1], f[2], f[3], rest
	return a, true
}

// arnPattern matches ARNs segment by segment, as the Resource element and
// the Arn* condition operators do: partition, service, region and account
// are matched separately, so a wildcard in one never spans a colon; in the
// resource segment (everything after the fifth colon) * may span / and :.
type arnPattern struct {
	any   bool // "*": matches everything, ARN or not
	whole bool // not ARN-shaped: segs[0] matched against the whole value
	segs  [6]pattern
}

// compileARN compiles a Resource value or an Arn* condition value.
func compileARN(src string, vars bool) arnPattern {
	if src == "*" {
		return arnPattern{any: true}
	}
	parts := splitOutsideVars(src, 6)
	if parts[0] != "arn" {
		ap := arnPattern{whole: true}
		ap.segs[0] = compilePattern(src, vars, true, false)
		return ap
	}
	// Segments the pattern lacks are empty and match only empty segments.
	var ap arnPattern
	for i, p := range parts {
		ap.segs[i] = compilePattern(p, vars, true, false)
	}
	return ap
}

// splitOutsideVars splits s at colons that are not inside ${...}, into at
// most n parts (the last part keeps the remaining colons).
func splitOutsideVars(s string, n int) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s) && len(out) < n-1; i++ {
		switch {
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			depth++
		case s[i] == '}' && depth > 0:
			depth--
		case s[i] == ':' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// match reports whether value matches; missing is as for pattern.match.
func (ap *arnPattern) match(value string, ctx *Context) (bool, string) {
	a, ok := splitARN(value)
	return ap.matchSplit(value, &a, ok, ctx)
}

// matchSplit is match for a value already split by splitARN (isARN is its
// second result), so a request's resource is split once per evaluation.
// The resource segment is compared first: it is where patterns differ most.
func (ap *arnPattern) matchSplit(value string, a *arnParts, isARN bool, ctx *Context) (bool, string) {
	if ap.any {
		return true, ""
	}
	if ap.whole {
		return ap.segs[0].match(value, ctx, false)
	}
	if !isARN {
		return false, ""
	}
	if ok, miss := ap.segs[5].match(a.resource, ctx, false); !ok {
		return false, miss
	}
	if ok, miss := ap.segs[4].match(a.account, ctx, false); !ok {
		return false, miss
	}
	if ok, miss := ap.segs[3].match(a.region, ctx, false); !ok {
		return false, miss
	}
	if ok, miss := ap.segs[2].match(a.service, ctx, false); !ok {
		return false, miss
	}
	if ok, miss := ap.segs[1].match(a.partition, ctx, false); !ok {
		return false, miss
	}
	return ap.segs[0].match("arn", ctx, false)
}

func (ap *arnPattern) varKeys(dst []string) []string {
	for i := range ap.segs {
		dst = ap.segs[i].varKeys(dst)
	}
	return dst
}

// actionPattern is one Action/NotAction value, lower-cased at compile time:
// action names and service prefixes are case-insensitive.
type actionPattern struct {
	all     bool   // "*"
	service string // lower case, never a wildcard (IAM rejects those)
	name    pattern
}

func compileAction(a string) actionPattern {
	if a == "*" {
		return actionPattern{all: true}
	}
	svc, name, _ := strings.Cut(a, ":")
	return actionPattern{service: strings.ToLower(svc), name: compilePattern(name, false, true, true)}
}

// splitAction splits "svc:Name". The service is returned as written.
func splitAction(a string) (service, name string) {
	i := strings.IndexByte(a, ':')
	if i < 0 {
		return a, ""
	}
	return a[:i], a[i+1:]
}

// match reports whether the action matches; service and name must be lower
// case (see lowerAction).
func (ap *actionPattern) match(service, name string) bool {
	if ap.all {
		return true
	}
	if service != ap.service {
		return false
	}
	ok, _ := ap.name.match(name, nil, false)
	return ok
}

// actionInfo is a request action, lower-cased and split, with an id that
// indexes each Compiled policy's cache of the statements matching it.
type actionInfo struct {
	service, name string // lower case
	id            int32  // -1 when the action is not cached
}

// actions interns the actions seen, so evaluating an action allocates only
// the first time it is seen. Actions come from the gateway's operation
// table, a bounded set; the table stops growing at maxActions entries (later
// actions are handled uncached) so arbitrary names sent to the Simulate APIs
// cannot exhaust memory.
var (
	actions     sync.Map // string -> *actionInfo
	actionCount atomic.Int32
	actionMu    sync.Mutex
)

const maxActions = 16384

func internAction(a string) actionInfo {
	if v, ok := actions.Load(a); ok {
		return *v.(*actionInfo)
	}
	svc, name := splitAction(strings.ToLower(a))
	ai := actionInfo{service: svc, name: name, id: -1}
	actionMu.Lock()
	defer actionMu.Unlock()
	if v, ok := actions.Load(a); ok {
		return *v.(*actionInfo)
	}
	if n := actionCount.Load(); n < maxActions {
		ai.id = n
		actions.Store(a, &ai)
		actionCount.Store(n + 1)
	}
	return ai
}
