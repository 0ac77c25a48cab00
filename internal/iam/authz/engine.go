// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package authz

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
)

// Document is a policy document with a key that changes whenever its text
// does (policy ARN + version id, or a holder + name + content hash), so it
// is compiled once per version.
type Document struct {
	Key  string
	Text string
	Kind policy.Kind
}

// PolicySet is what applies to a principal: identity-based policies and an
// optional permissions boundary.
type PolicySet struct {
	Identity []Document
	Boundary *Document
}

// PolicySource finds the policies of a principal (the IAM service).
type PolicySource interface {
	PoliciesFor(ctx context.Context, p *principal.Principal) (*PolicySet, error)
}

// ResourcePolicySource finds the resource-based policy that governs action
// on resource: a role's trust policy for sts:AssumeRole, a bucket policy, a
// repository policy. ok is false when there is none.
type ResourcePolicySource interface {
	ResourcePolicy(ctx context.Context, action, resource string) (doc Document, account string, ok bool, err error)
}

// Engine authorizes requests with the policy engine. It is safe for
// concurrent use.
type Engine struct {
	policies  PolicySource
	resources []ResourcePolicySource
	now       func() time.Time
	revision  func() int64

	mu       sync.RWMutex
	compiled map[string]*policy.Compiled
	sets     setCache
	times    timeCache

	inputs sync.Pool
}

// EngineDeps are an Engine's collaborators.
type EngineDeps struct {
	Policies PolicySource
	// Resources are consulted in order; the first that knows the resource wins.
	Resources []ResourcePolicySource
	Clock     func() time.Time
	// Revision, when set, returns a number that changes whenever any
	// policy Policies would return may have changed (in the control plane,
	// IAM's PoliciesRevision: the revision of the last change applied to
	// the tables its policies are read from). The engine then caches each
	// principal's compiled policies until it changes.
	Revision func() int64
}

// maxCompiled bounds the compiled-policy cache; when full it is cleared
// (documents recompile on next use), which keeps memory bounded when
// inline policies churn.
const maxCompiled = 50000

// NewEngine returns an Engine.
func NewEngine(deps EngineDeps) *Engine {
	e := &Engine{policies: deps.Policies, resources: deps.Resources, now: deps.Clock, revision: deps.Revision, compiled: map[string]*policy.Compiled{}}
	if e.now == nil {
		e.now = time.Now
	}
	e.inputs.New = func() any { return &evalInput{ctx: new(policy.Context)} }
	return e
}

type evalInput struct {
	in  policy.Input
	ctx *policy.Context
}

var _ Authorizer = (*Engine)(nil)

// Authorize implements Authorizer: it evaluates the request against every
// policy that applies, as AWS's evaluation logic does.
func (e *Engine) Authorize(ctx context.Context, req Request) (Decision, error) {
	p := req.Principal
	if p == nil || p.Kind == principal.Anonymous {
		return Decision{Message: DenyMessage(p, req.Action, first(req.Resources), "")}, nil
	}
	ev := e.inputs.Get().(*evalInput)
	defer e.inputs.Put(ev)
	for _, res := range req.Resources {
		ev.in.Reset()
		ev.ctx.Reset()
		if err := e.prepare(ctx, ev, req, res); err != nil {
			return Decision{}, err
		}
		r := policy.Evaluate(&ev.in)
		if r.Decision != policy.Allowed {
			return Decision{Message: policy.AccessDeniedMessage(&ev.in, r)}, nil
		}
	}
	return Decision{Allowed: true}, nil
}

// Evaluate runs one evaluation and returns the engine's full result, for
// the Simulate APIs and for judging trust outside the gateway. The Result's
// slices are copied.
func (e *Engine) Evaluate(ctx context.Context, req Request, resource string) (policy.Result, string, error) {
	ev := e.inputs.Get().(*evalInput)
	defer e.inputs.Put(ev)
	ev.in.Reset()
	ev.ctx.Reset()
	if err := e.prepare(ctx, ev, req, resource); err != nil {
		return policy.Result{}, "", err
	}
	r := policy.Evaluate(&ev.in)
	msg := policy.AccessDeniedMessage(&ev.in, r)
	r.Matched = append([]policy.MatchedStatement(nil), r.Matched...)
	r.MissingContextKeys = append([]string(nil), r.MissingContextKeys...)
	return r, msg, nil
}

// prepare fills ev for one resource of req: the caller's stored policies,
// its session policies, the resource's policy and the request context.
func (e *Engine) prepare(ctx context.Context, ev *evalInput, req Request, res string) error {
	p := req.Principal
	in := &ev.in
	in.Principal = principalInput(p)
	in.Action = req.Action
	in.Resource = res
	in.Context = ev.ctx
	if p.Kind != principal.Root && p.Kind != principal.Service && e.policies != nil {
		if err := e.identityPolicies(ctx, in, p); err != nil {
			return err
		}
	}
	if err := e.sessionPolicies(in, p); err != nil {
		return err
	}
	for _, src := range e.resources {
		doc, account, ok, err := src.ResourcePolicy(ctx, req.Action, res)
		if err != nil {
			return err
		}
		if ok {
			c, err := e.compile(doc)
			if err != nil {
				return err
			}
			in.ResourcePolicy = c
			in.ResourceAccount = account
			break
		}
	}
	if in.ResourceAccount == "" {
		in.ResourceAccount = resourceAccount(res)
	}
	e.fillContext(ctx, ev.ctx, req)
	return nil
}

// compile returns the compiled form of d, compiling it once per key.
func (e *Engine) compile(d Document) (*policy.Compiled, error) {
	e.mu.RLock()
	c, ok := e.compiled[d.Key]
	e.mu.RUnlock()
	if ok {
		return c, nil
	}
	kind := d.Kind
	if kind == 0 {
		kind = policy.KindIdentity
	}
	p, err := policy.Parse(d.Text, kind)
	if err != nil {
		return nil, fmt.Errorf("authz: stored policy %s no longer parses: %w", d.Key, err)
	}
	c = policy.Compile(p)
	e.mu.Lock()
	if len(e.compiled) >= maxCompiled {
		clear(e.compiled)
	}
	e.compiled[d.Key] = c
	e.mu.Unlock()
	return c, nil
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

func first(ss []string) string {
	if len(ss) == 0 {
		return "*"
	}
	return ss[0]
}

// IsService reports whether name is a service principal (ends in
// .amazonaws.com).
func IsService(name string) bool { return strings.HasSuffix(name, ".amazonaws.com") }
