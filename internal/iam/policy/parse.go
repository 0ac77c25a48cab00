// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import "strings"

// Kind says what a policy document is for. It selects the write-time
// validation rules; how a compiled policy takes part in a decision is chosen
// by where the caller puts it in an Input.
type Kind uint8

const (
	// KindIdentity is an inline identity-based policy (PutUserPolicy,
	// PutGroupPolicy, PutRolePolicy). It must not name a principal.
	KindIdentity Kind = iota + 1
	// KindManaged is a customer managed policy (CreatePolicy,
	// CreatePolicyVersion): identity rules, and Version must be 2012-10-17.
	KindManaged
	// KindBoundary is a policy used as a permissions boundary: identity rules.
	KindBoundary
	// KindSession is a session policy passed to AssumeRole* or
	// GetFederationToken: identity rules.
	KindSession
	// KindResource is a resource-based policy (bucket, repository, queue...).
	// Every statement must name a Principal or NotPrincipal.
	KindResource
	// KindTrust is a role trust policy (AssumeRolePolicyDocument). Every
	// statement names a principal and none may name a Resource. A trust
	// policy must allow a request explicitly; an identity-based allow alone
	// never suffices.
	KindTrust
)

func (k Kind) identityRules() bool { return k >= KindIdentity && k <= KindSession }

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindIdentity:
		return "Identity"
	case KindManaged:
		return "Managed"
	case KindBoundary:
		return "Boundary"
	case KindSession:
		return "Session"
	case KindResource:
		return "Resource"
	case KindTrust:
		return "Trust"
	}
	return "Unknown"
}

// Version values of the policy language.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effect is a statement's Effect.
type Effect uint8

const (
	// Allow grants the statement's actions.
	Allow Effect = iota + 1
	// Deny refuses them, overriding every allow.
	Deny
)

// String returns "Allow" or "Deny".
func (e Effect) String() string {
	if e == Deny {
		return "Deny"
	}
	return "Allow"
}

// Position is a place in a policy document: Line and Column are 1-based and
// Column counts characters, as IAM's Simulate APIs report them.
type Position struct {
	Line   int `json:"Line"`
	Column int `json:"Column"`
}

// Policy is a parsed and validated policy document. It is immutable and safe
// for concurrent use; Compile it once per policy version before evaluating.
type Policy struct {
	// Version is the Version element: Version2012, Version2008 or "" when the
	// document has none (which IAM treats as 2008-10-17).
	Version    string
	ID         string
	Statements []Statement
	// Kind is the kind the document was validated as.
	Kind Kind
	// Document is the original text.
	Document string
}

// Variables reports whether policy variables are substituted: only under
// Version 2012-10-17; earlier documents treat "${...}" as literal text.
func (p *Policy) Variables() bool { return p.Version == Version2012 }

// Statement is one element of a policy's Statement list.
type Statement struct {
	Sid    string
	Effect Effect
	// Principal is nil when the statement has neither Principal nor
	// NotPrincipal.
	Principal    *Principals
	NotPrincipal bool
	Actions      []string
	NotAction    bool
	// Resources is nil when the statement has neither Resource nor
	// NotResource (trust policies).
	Resources   []string
	NotResource bool
	Conditions  []Condition
	// Start and End locate the statement's braces in Policy.Document.
	Start, End Position
}

// Principals is the value of a Principal or NotPrincipal element.
type Principals struct {
	// Wildcard is "Principal": "*" (equivalent to {"AWS": "*"}).
	Wildcard      bool
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Condition is one (operator, key, values) triple of a Condition block.
type Condition struct {
	// Operator is the operator as written, qualifier and IfExists included,
	// e.g. "ForAnyValue:StringLikeIfExists".
	Operator string
	// Key is the condition key as written.
	Key    string
	Values []string
}

// Parse parses doc and validates it as a policy of the given kind. A document
// IAM would reject returns a *ValidationError whose Message is the text of
// AWS's MalformedPolicyDocument error.
func Parse(doc string, kind Kind) (*Policy, error) {
	root, err := parseJSON(doc)
	if err != nil || root.kind != jsonObject {
		return nil, syntaxError()
	}
	p, err := buildPolicy(root, kind)
	if err != nil {
		return nil, err
	}
	p.Document = doc
	if err := validate(p, root); err != nil {
		return nil, err
	}
	return p, nil
}

// buildPolicy turns the JSON tree into a Policy, rejecting everything the
// grammar does not allow with "Syntax errors in policy.".
func buildPolicy(root *jsonValue, kind Kind) (*Policy, error) {
	p := &Policy{Kind: kind}
	var stmts *jsonValue
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "Version":
			if v.kind != jsonString || (v.str != Version2012 && v.str != Version2008) {
				return nil, syntaxError()
			}
			p.Version = v.str
		case "Id":
			if v.kind != jsonString {
				return nil, syntaxError()
			}
			p.ID = v.str
		case "Statement":
			stmts = v
		default:
			return nil, syntaxError()
		}
	}
	if stmts == nil {
		return nil, syntaxError()
	}
	var list []*jsonValue
	switch stmts.kind {
	case jsonObject:
		list = []*jsonValue{stmts}
	case jsonArray:
		list = stmts.items
	default:
		return nil, syntaxError()
	}
	if len(list) == 0 {
		return nil, syntaxError()
	}
	for _, sv := range list {
		s, err := buildStatement(sv)
		if err != nil {
			return nil, err
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

func buildStatement(v *jsonValue) (Statement, error) {
	s := Statement{Start: v.start, End: v.end}
	if v.kind != jsonObject {
		return s, syntaxError()
	}
	var haveAction, haveResource, havePrincipal, haveEffect bool
	for i, k := range v.keys {
		val := v.vals[i]
		var err error
		switch k {
		case "Sid":
			if val.kind != jsonString {
				return s, syntaxError()
			}
			s.Sid = val.str
		case "Effect":
			if val.kind != jsonString {
				return s, syntaxError()
			}
			switch strings.ToLower(val.str) {
			case "allow":
				s.Effect = Allow
			case "deny":
				s.Effect = Deny
			default:
				return s, syntaxError()
			}
			haveEffect = true
		case "Action", "NotAction":
			if haveAction {
				return s, syntaxError()
			}
			haveAction, s.NotAction = true, k == "NotAction"
			s.Actions, err = stringList(val)
		case "Resource", "NotResource":
			if haveResource {
				return s, syntaxError()
			}
			haveResource, s.NotResource = true, k == "NotResource"
			s.Resources, err = stringList(val)
			if s.Resources == nil {
				s.Resources = []string{}
			}
		case "Principal", "NotPrincipal":
			if havePrincipal {
				return s, syntaxError()
			}
			havePrincipal, s.NotPrincipal = true, k == "NotPrincipal"
			s.Principal, err = buildPrincipals(val)
		case "Condition":
			s.Conditions, err = buildConditions(val)
		default:
			return s, syntaxError()
		}
		if err != nil {
			return s, err
		}
	}
	if !haveEffect {
		return s, syntaxError()
	}
	return s, nil
}

// stringList accepts a string or an array of strings.
func stringList(v *jsonValue) ([]string, error) {
	switch v.kind {
	case jsonString:
		return []string{v.str}, nil
	case jsonArray:
		out := make([]string, 0, len(v.items))
		for _, it := range v.items {
			if it.kind != jsonString {
				return nil, syntaxError()
			}
			out = append(out, it.str)
		}
		return out, nil
	}
	return nil, syntaxError()
}

func buildPrincipals(v *jsonValue) (*Principals, error) {
	p := &Principals{}
	if v.kind == jsonString {
		if v.str != "*" {
			return nil, invalidPrincipal("", v.str)
		}
		p.Wildcard = true
		return p, nil
	}
	if v.kind != jsonObject {
		return nil, syntaxError()
	}
	for i, k := range v.keys {
		vals, err := stringList(v.vals[i])
		if err != nil {
			return nil, err
		}
		switch k {
		case "AWS":
			p.AWS = vals
		case "Service":
			p.Service = vals
		case "Federated":
			p.Federated = vals
		case "CanonicalUser":
			p.CanonicalUser = vals
		default:
			if len(vals) == 0 {
				return nil, invalidPrincipal(k, "")
			}
			return nil, invalidPrincipal(k, vals[0])
		}
	}
	return p, nil
}

func buildConditions(v *jsonValue) ([]Condition, error) {
	if v.kind != jsonObject {
		return nil, syntaxError()
	}
	var out []Condition
	for i, op := range v.keys {
		body := v.vals[i]
		if body.kind != jsonObject {
			return nil, syntaxError()
		}
		if _, ok := parseOperator(op); !ok {
			if len(body.keys) != 0 {
				return nil, syntaxError()
			}
			continue // an unknown operator with an empty body is ignored
		}
		for j, key := range body.keys {
			vals, err := conditionValues(body.vals[j])
			if err != nil {
				return nil, err
			}
			out = append(out, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	return out, nil
}

// conditionValues accepts a string, number or boolean, or an array of them
// (quotation marks are optional for numeric and Boolean values).
func conditionValues(v *jsonValue) ([]string, error) {
	scalar := func(x *jsonValue) (string, bool) {
		switch x.kind {
		case jsonString, jsonNumber, jsonBool:
			return x.str, true
		}
		return "", false
	}
	if s, ok := scalar(v); ok {
		return []string{s}, nil
	}
	if v.kind != jsonArray {
		return nil, syntaxError()
	}
	out := make([]string, 0, len(v.items))
	for _, it := range v.items {
		s, ok := scalar(it)
		if !ok {
			return nil, syntaxError()
		}
		out = append(out, s)
	}
	return out, nil
}
