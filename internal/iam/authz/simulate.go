// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package authz

import (
	"context"
	"sync"

	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
)

// Simulation is one question of IAM's policy simulator
// (SimulatePrincipalPolicy, SimulateCustomPolicy): the policies are given
// instead of looked up, and the request context holds exactly the
// simulation's context entries. No global key is derived from a live
// request: a condition on a key the simulation does not supply is reported
// missing, as IAM's simulator reports it.
type Simulation struct {
	// Caller is the simulated caller: an IAM user (CallerArn, or the user
	// whose policies are simulated), or for a simulation that names none a
	// principal with only Kind and AccountID.
	Caller *principal.Principal
	// Identity are the identity-based policies to simulate.
	Identity []Document
	// Boundary is the permissions boundary; nil for none.
	Boundary *Document
	// ResourcePolicy is the resource-based policy; nil for none.
	ResourcePolicy *Document
	// ResourceOwner is the account that owns the resource and its policy;
	// "" for the account the resource ARN names, else the caller's.
	ResourceOwner string
	Action        string
	Resource      string
	// Context holds the simulation's context keys and values.
	Context map[string][]string
}

// SimulationResult is the decision of one simulated request.
type SimulationResult struct {
	// Result is the engine's decision; its slices are the caller's.
	policy.Result
	// AllowedByBoundary reports whether the permissions boundary alone
	// allows the request; nil when the simulation has no boundary.
	AllowedByBoundary *bool
	// CrossAccount reports a request for another account's resource.
	// IdentityDecision and ResourceDecision then give each account's side
	// of the decision: the caller's identity-based policies (within its
	// boundary) and the resource-based policy.
	CrossAccount     bool
	IdentityDecision policy.Decision
	ResourceDecision policy.Decision
}

// allowAll stands in for an account's identity side when the resource side
// of a cross-account simulation is judged alone.
var allowAll = sync.OnceValue(func() *policy.Compiled {
	p, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.KindIdentity)
	if err != nil {
		panic(err) // a constant document
	}
	return policy.Compile(p)
})

// Simulate decides a simulated request with the same evaluation the
// gateway applies to live ones. Documents are compiled through the
// engine's cache by Key; an error means a document does not parse.
func (e *Engine) Simulate(_ context.Context, sim *Simulation) (SimulationResult, error) {
	ev := e.inputs.Get().(*evalInput)
	defer e.inputs.Put(ev)
	ev.in.Reset()
	ev.ctx.Reset()
	in := &ev.in
	caller := sim.Caller
	if caller == nil {
		caller = &principal.Principal{Kind: principal.User}
	}
	in.Principal = principalInput(caller)
	in.Action, in.Resource, in.Context = sim.Action, sim.Resource, ev.ctx
	for k, vs := range sim.Context {
		ev.ctx.Set(k, vs...)
	}
	if err := e.load(in, &PolicySet{Identity: sim.Identity, Boundary: sim.Boundary}); err != nil {
		return SimulationResult{}, err
	}
	if sim.ResourcePolicy != nil {
		c, err := e.compile(*sim.ResourcePolicy)
		if err != nil {
			return SimulationResult{}, err
		}
		in.ResourcePolicy = c
	}
	in.ResourceAccount = sim.ResourceOwner
	if in.ResourceAccount == "" {
		in.ResourceAccount = resourceAccount(sim.Resource)
	}
	r := policy.Evaluate(in)
	out := SimulationResult{Result: r}
	out.Matched = append([]policy.MatchedStatement(nil), r.Matched...)
	out.MissingContextKeys = append([]string(nil), r.MissingContextKeys...)

	// The side decisions re-evaluate parts of the same input.
	identity, boundary, resource, account := in.Identity, in.Boundary, in.ResourcePolicy, in.ResourceAccount
	if boundary != nil {
		in.Identity, in.Boundary, in.ResourcePolicy, in.ResourceAccount = []*policy.Compiled{boundary}, nil, nil, ""
		allowed := policy.Evaluate(in).Decision == policy.Allowed
		out.AllowedByBoundary = &allowed
	}
	if account != "" && caller.AccountID != "" && account != caller.AccountID {
		out.CrossAccount = true
		in.Identity, in.Boundary, in.ResourcePolicy, in.ResourceAccount = identity, boundary, nil, ""
		out.IdentityDecision = policy.Evaluate(in).Decision
		out.ResourceDecision = policy.ImplicitDeny
		if resource != nil {
			in.Identity, in.Boundary, in.ResourcePolicy, in.ResourceAccount = []*policy.Compiled{allowAll()}, nil, resource, account
			out.ResourceDecision = policy.Evaluate(in).Decision
		}
	}
	return out, nil
}
