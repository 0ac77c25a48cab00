// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/iam/targets"
	"github.com/berthdev/berth/internal/principal"
	iamsvc "github.com/berthdev/berth/internal/service/iam"
	stssvc "github.com/berthdev/berth/internal/service/sts"
)

// The adapters below connect services through the small interfaces their
// consumers declare; no service imports another.

// policyValidator checks IAM's policy documents with the policy engine's
// parser, whose errors carry AWS's MalformedPolicyDocument messages.
type policyValidator struct{}

func (policyValidator) Validate(doc string, kind iamsvc.PolicyKind) error {
	k := policy.KindManaged
	switch kind {
	case iamsvc.Trust:
		k = policy.KindTrust
	case iamsvc.Boundary:
		k = policy.KindBoundary
	}
	_, err := policy.Parse(doc, k)
	var ve *policy.ValidationError
	if errors.As(err, &ve) {
		return errors.New(ve.Message)
	}
	return err
}

// iamPolicies serves the authorizer the policies IAM holds for a principal.
type iamPolicies struct{ iam *iamsvc.Service }

func (a iamPolicies) PoliciesFor(ctx context.Context, p *principal.Principal) (*authz.PolicySet, error) {
	set, err := a.iam.PoliciesFor(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &authz.PolicySet{Identity: make([]authz.Document, 0, len(set.Identity))}
	for _, d := range set.Identity {
		out.Identity = append(out.Identity, authz.Document{Key: d.Key, Text: d.Document, Kind: policy.KindIdentity})
	}
	if set.Boundary != nil {
		out.Boundary = &authz.Document{Key: set.Boundary.Key, Text: set.Boundary.Document, Kind: policy.KindBoundary}
	}
	return out, nil
}

// trustPolicies makes a role's trust policy the resource-based policy of
// the STS actions on that role, so the gateway's one evaluation applies
// AWS's logic for both sides of sts:AssumeRole.
type trustPolicies struct{ iam *iamsvc.Service }

func (t trustPolicies) ResourcePolicy(ctx context.Context, action, resource string) (authz.Document, string, bool, error) {
	if !strings.HasPrefix(strings.ToLower(action), "sts:") || !strings.Contains(resource, ":role/") {
		return authz.Document{}, "", false, nil
	}
	r, err := t.iam.RoleByARN(ctx, resource)
	if errors.Is(err, iamsvc.ErrNotFound) {
		return authz.Document{}, "", false, nil
	}
	if err != nil {
		return authz.Document{}, "", false, err
	}
	a, _ := arn.Parse(r.ARN)
	return authz.Document{Key: "trust:" + r.RoleID + ":" + r.TrustPolicy, Text: r.TrustPolicy, Kind: policy.KindTrust}, a.AccountID, true, nil
}

// stsRoles serves STS the roles IAM holds.
type stsRoles struct{ iam *iamsvc.Service }

func (a stsRoles) RoleByARN(ctx context.Context, roleARN string) (*stssvc.Role, error) {
	r, err := a.iam.RoleByARN(ctx, roleARN)
	if errors.Is(err, iamsvc.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", stssvc.ErrRoleNotFound, roleARN)
	}
	if err != nil {
		return nil, err
	}
	return &stssvc.Role{ARN: r.ARN, RoleID: r.RoleID, Name: r.Name, Path: r.Path, TrustPolicy: r.TrustPolicy,
		MaxSessionDuration: r.MaxSessionDuration, Tags: r.Tags}, nil
}

// trustJudge judges role trust policies with the policy engine, for
// callers and for service principals.
type trustJudge struct{ engine *authz.Engine }

func (j trustJudge) AllowAssume(ctx context.Context, req stssvc.AssumeRequest) (stssvc.Decision, error) {
	p := req.Caller
	if p == nil {
		p = &principal.Principal{Kind: principal.Service, ARN: req.Service, Name: req.Service}
	}
	r, msg, err := j.engine.Evaluate(ctx, authz.Request{Principal: p, Action: req.Action, Context: req.Context}, req.Role.ARN)
	if err != nil {
		return stssvc.Decision{}, err
	}
	return stssvc.Decision{Allowed: r.Decision == policy.Allowed, Message: msg}, nil
}

// entityPaths finds IAM entity paths and resource tags for the IAM
// targets' resource ARNs and aws:ResourceTag/* keys.
type entityPaths struct{ iam *iamsvc.Service }

var (
	_ targets.EntityPaths  = entityPaths{}
	_ targets.ResourceTags = entityPaths{}
)

func (e entityPaths) EntityPath(ctx context.Context, kind, name string) (string, bool) {
	return e.iam.EntityPath(ctx, kind, name)
}

func (e entityPaths) ResourceTags(ctx context.Context, resourceARN string) (map[string]string, bool) {
	return e.iam.ResourceTags(ctx, resourceARN)
}

// simulator serves IAM's policy simulator the gateway's own policy engine.
// It reads the engine from the server when asked, because the engine is
// built after the IAM service it gets policies from.
type simulator struct{ s *Server }

var _ iamsvc.PolicyEngine = simulator{}

func (m simulator) Simulate(ctx context.Context, sim *authz.Simulation) (authz.SimulationResult, error) {
	return m.s.authz.Simulate(ctx, sim)
}
