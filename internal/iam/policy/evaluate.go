// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

// Decision is the outcome of an evaluation. The zero value is ImplicitDeny.
type Decision uint8

const (
	// ImplicitDeny: nothing allowed the request (or a required policy type
	// did not allow it) and nothing denied it.
	ImplicitDeny Decision = iota
	// Allowed: the request may proceed.
	Allowed
	// ExplicitDeny: a Deny statement in some applicable policy matched.
	ExplicitDeny
)

// String returns IAM's EvalDecision spelling.
func (d Decision) String() string {
	return [...]string{"implicitDeny", "allowed", "explicitDeny"}[d]
}

// PolicyType is the type of policy that decided, or that a statement is in.
type PolicyType uint8

const (
	TypeNone PolicyType = iota
	// TypeIdentity: identity-based policies (inline and managed).
	TypeIdentity
	// TypeResource: the resource-based policy (including a role trust policy).
	TypeResource
	// TypeBoundary: the permissions boundary.
	TypeBoundary
	// TypeSession: session policies.
	TypeSession
)

// String returns the type's name.
func (t PolicyType) String() string {
	return [...]string{"none", "identity-based policy", "resource-based policy", "permissions boundary", "session policy"}[t]
}

// Input is one authorization request. The gateway fills it for every call;
// it holds reusable buffers, so keep Inputs in a sync.Pool and call Reset
// between requests to evaluate without allocating. An Input must not be used
// by two evaluations at once.
type Input struct {
	// Principal is the caller.
	Principal Principal
	// Identity holds the identity-based policies of the caller's user (its
	// own and its groups') or role. Unused for root, services and anonymous.
	Identity []*Compiled
	// Boundary is the caller's permissions boundary; nil means none.
	Boundary *Compiled
	// Session holds the session policies of a role or federated-user
	// session; nil means the session has none (an empty, non-nil slice
	// means session policies that allow nothing).
	Session []*Compiled
	// ResourcePolicy is the resource's resource-based policy, or the role's
	// trust policy for sts:AssumeRole*; nil means none.
	ResourcePolicy *Compiled
	// Action is the IAM action, e.g. "ecs:RunTask".
	Action string
	// Resource is the resource ARN, or "*" for actions without resources.
	Resource string
	// ResourceAccount is the account that owns Resource. When it differs
	// from Principal.Account the request is cross-account and both the
	// caller's identity-based policies and the resource-based policy must
	// allow it. Empty means the caller's own account.
	ResourceAccount string
	// Context holds the request's condition keys.
	Context *Context

	matched []MatchedStatement
	missing []string
	res     arnParts // Resource split once per evaluation
	resARN  bool
}

// Reset clears the request for reuse, keeping buffers.
func (in *Input) Reset() {
	m, ms := in.matched[:0], in.missing[:0]
	clear(in.missing)
	*in = Input{matched: m, missing: ms}
}

func (in *Input) noteMissing(key string) {
	for _, k := range in.missing {
		if k == key {
			return
		}
	}
	in.missing = append(in.missing, key)
}

// MatchedStatement locates a statement that matched the request, as IAM's
// Simulate APIs report it.
type MatchedStatement struct {
	// Type is the policy type the statement belongs to.
	Type PolicyType
	// Policy is the index of the policy within its Input field (always 0 for
	// Boundary and ResourcePolicy).
	Policy int
	// Statement is the statement's index within the policy.
	Statement int
	Sid       string
	Effect    Effect
	Start     Position
	End       Position
}

// Result is the outcome of Evaluate.
type Result struct {
	Decision Decision
	// DecidedBy is the policy type that decided: the type holding the
	// explicit deny, the type whose missing allow denied implicitly, or the
	// type whose allow granted access.
	DecidedBy PolicyType
	// Matched lists the statements that decided: the matching Deny
	// statements for ExplicitDeny, the matching Allow statements for
	// Allowed, none for ImplicitDeny. It aliases the Input's buffer.
	Matched []MatchedStatement
	// MissingContextKeys lists condition keys (and policy variables) the
	// evaluated statements referenced but the context lacked. It aliases the
	// Input's buffer.
	MissingContextKeys []string
}

// setResult summarizes the statements of one policy type that matched.
type setResult struct {
	deny, allow bool
	grant       grant // resource policies: the strongest principal grant among allows
}

// Evaluate decides a request as AWS documents it ("Policy evaluation
// logic", "Cross-account policy evaluation logic"):
//
//  1. An explicit Deny in any applicable policy denies.
//  2. Same account: a resource-based policy that allows the caller directly
//     (user ARN, session ARN, service, "*") allows regardless of implicit
//     denies elsewhere; one that allows the role of a role session (or the
//     user behind a federated-user session) allows if the boundary and
//     session policies, when present, allow too; one that names the account
//     delegates to the account's identity-based policies.
//  3. Otherwise the identity-based policies must allow (the root user always
//     does), and so must the permissions boundary if there is one, and the
//     session policies if the caller is a session with session policies; a
//     federated-user session without session policies is denied.
//  4. A role trust policy must allow in every case.
//  5. Cross-account: the caller's account must allow (step 3) and the
//     resource-based policy must allow the caller.
//
// Evaluate never allocates once the Input's buffers have grown.
func Evaluate(in *Input) Result {
	in.matched = in.matched[:0]
	in.missing = in.missing[:0]
	in.res, in.resARN = splitARN(in.Resource)
	ai := internAction(in.Action)

	var id, bd, ss, rs setResult
	for i, c := range in.Identity {
		in.evalPolicy(c, TypeIdentity, i, &ai, &id)
	}
	if in.Boundary != nil {
		in.evalPolicy(in.Boundary, TypeBoundary, 0, &ai, &bd)
	}
	for i, c := range in.Session {
		in.evalPolicy(c, TypeSession, i, &ai, &ss)
	}
	if in.ResourcePolicy != nil {
		in.evalPolicy(in.ResourcePolicy, TypeResource, 0, &ai, &rs)
	}

	for _, t := range [...]struct {
		r   *setResult
		typ PolicyType
	}{{&id, TypeIdentity}, {&rs, TypeResource}, {&bd, TypeBoundary}, {&ss, TypeSession}} {
		if t.r.deny {
			return in.result(ExplicitDeny, t.typ)
		}
	}

	pr := &in.Principal
	// identityPath reports whether the caller's own account allows: its
	// identity-based policies, narrowed by boundary and session policies.
	identityPath := func() PolicyType {
		switch pr.Type {
		case PrincipalRoot:
			return TypeNone // the root user has full access in its account
		case PrincipalUser, PrincipalRoleSession, PrincipalFederatedUser:
			if !id.allow {
				return TypeIdentity
			}
		default:
			return TypeIdentity
		}
		return limits(in, &bd, &ss)
	}

	cross := in.ResourceAccount != "" && pr.hasAccount() && in.ResourceAccount != pr.Account
	trust := in.ResourcePolicy != nil && in.ResourcePolicy.kind == KindTrust
	if cross {
		if t := identityPath(); t != TypeNone {
			return in.result(ImplicitDeny, t)
		}
		if !rs.allow {
			return in.result(ImplicitDeny, TypeResource)
		}
		return in.result(Allowed, TypeResource)
	}
	if rs.allow {
		switch rs.grant {
		case grantDirect:
			return in.result(Allowed, TypeResource)
		case grantEntity:
			if t := limits(in, &bd, &ss); t != TypeNone {
				return in.result(ImplicitDeny, t)
			}
			return in.result(Allowed, TypeResource)
		}
	} else if trust {
		return in.result(ImplicitDeny, TypeResource)
	}
	if t := identityPath(); t != TypeNone {
		return in.result(ImplicitDeny, t)
	}
	return in.result(Allowed, TypeIdentity)
}

// limits applies the permissions boundary and session policies, returning
// the type that implicitly denies or TypeNone.
func limits(in *Input, bd, ss *setResult) PolicyType {
	pr := &in.Principal
	if in.Boundary != nil && pr.Type != PrincipalRoot && !bd.allow {
		return TypeBoundary
	}
	if pr.isSession() {
		if in.Session != nil {
			if !ss.allow {
				return TypeSession
			}
		} else if pr.Type == PrincipalFederatedUser {
			return TypeSession
		}
	}
	return TypeNone
}

// result keeps the matched statements that explain the decision.
func (in *Input) result(d Decision, by PolicyType) Result {
	keep := in.matched[:0]
	for _, m := range in.matched {
		if d == ExplicitDeny && m.Effect == Deny || d == Allowed && m.Effect == Allow {
			keep = append(keep, m)
		}
	}
	in.matched = keep
	return Result{Decision: d, DecidedBy: by, Matched: keep, MissingContextKeys: in.missing}
}

// evalPolicy evaluates the statements of c whose action matches.
func (in *Input) evalPolicy(c *Compiled, typ PolicyType, idx int, ai *actionInfo, out *setResult) {
	for _, si := range c.matching(ai) {
		s := &c.stmts[si]
		g, ok := in.statementApplies(s, typ)
		if !ok {
			continue
		}
		if s.effect == Deny {
			out.deny = true
		} else {
			out.allow = true
			if g > out.grant {
				out.grant = g
			}
		}
		in.matched = append(in.matched, MatchedStatement{
			Type: typ, Policy: idx, Statement: s.index, Sid: s.sid, Effect: s.effect, Start: s.start, End: s.end,
		})
	}
}

// statementApplies reports whether s, whose action matches, matches the
// rest of the request and, for resource-based policies, how it names the
// caller.
func (in *Input) statementApplies(s *cstmt, typ PolicyType) (grant, bool) {
	if s.hasResource {
		matched := false
		for i := range s.resources {
			ok, miss := s.resources[i].matchSplit(in.Resource, &in.res, in.resARN, in.Context)
			if miss != "" {
				in.noteMissing(miss)
				return grantNone, false
			}
			if ok {
				matched = true
				break
			}
		}
		if matched == s.notResource {
			return grantNone, false
		}
	}
	g := grantDirect
	if typ == TypeResource {
		switch {
		case s.principals == nil:
			return grantNone, false
		case s.notPrincipal:
			// A Deny with NotPrincipal always applies to a principal with a
			// permissions boundary ("Permissions boundaries for IAM entities").
			bounded := in.Boundary != nil && s.effect == Deny &&
				(in.Principal.Type == PrincipalUser || in.Principal.Type == PrincipalRoleSession)
			if !bounded && s.principals.excludes(&in.Principal) {
				return grantNone, false
			}
		default:
			if g = s.principals.match(&in.Principal); g == grantNone {
				return grantNone, false
			}
		}
	}
	for i := range s.conds {
		if s.conds[i].eval(in.Context, in) != condTrue {
			return grantNone, false
		}
	}
	return g, true
}
