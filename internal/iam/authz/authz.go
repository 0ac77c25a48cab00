// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package authz

import (
	"context"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/principal"
)

// Request is one authorization question: may Principal perform Action on
// every resource in Resources, in Context?
type Request struct {
	Principal *principal.Principal
	// Action is "service:Action", e.g. "iam:GetRole".
	Action string
	// Resources are the ARNs the action touches; "*" when the action
	// supports no resource-level permissions.
	Resources []string
	// Context holds request condition keys beyond the global ones the
	// authorizer derives from the principal (aws:SourceIp, ecs:cluster...).
	// Keys are case-insensitive; values may be multi-valued.
	Context map[string][]string
}

// Decision is the authorizer's answer.
type Decision struct {
	Allowed bool
	// Message is AWS's AccessDenied message for a denial.
	Message string
}

// Authorizer answers authorization requests. Implementations are safe for
// concurrent use.
type Authorizer interface {
	Authorize(ctx context.Context, req Request) (Decision, error)
}

// DenyMessage renders AWS's message for an implicit identity-policy deny:
// "User: ARN is not authorized to perform: ACTION on resource: ARN because
// no identity-based policy allows the ACTION action".
func DenyMessage(p *principal.Principal, action, resource, reason string) string {
	who := "anonymous"
	if p != nil {
		who = p.ARN
	}
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", who, action, resource)
	if reason != "" {
		msg += " " + reason
	}
	return msg
}

// RootOnly is the authorizer berth uses until policies are evaluated: the
// account root may do everything, every other principal is denied
// everything except sts:GetCallerIdentity (never allow by default).
type RootOnly struct{}

var _ Authorizer = RootOnly{}

// Authorize implements Authorizer.
func (RootOnly) Authorize(_ context.Context, req Request) (Decision, error) {
	if req.Principal != nil && req.Principal.Kind == principal.Root {
		return Decision{Allowed: true}, nil
	}
	if strings.EqualFold(req.Action, "sts:GetCallerIdentity") && req.Principal != nil {
		return Decision{Allowed: true}, nil
	}
	res := "*"
	if len(req.Resources) > 0 {
		res = req.Resources[0]
	}
	return Decision{Message: DenyMessage(req.Principal, req.Action, res,
		"because no identity-based policy allows the "+req.Action+" action")}, nil
}
