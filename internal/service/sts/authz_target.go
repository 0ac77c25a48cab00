// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"

	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/principal"
)

var _ gateway.Describer = (*Service)(nil)

// AuthzTarget implements gateway.Describer. AssumeRole is authorized by the
// gateway, once, for both sides: sts:AssumeRole on the role ARN, plus
// sts:TagSession when the request passes session tags or transitive tag
// keys or the calling session carries transitive tags, plus
// sts:SetSourceIdentity when it sets a source identity. The policy engine
// evaluates each with the role's trust policy as the resource-based policy
// (the control plane's trust-policy source), so the trust policy must allow
// the action and, when it names only the account, the caller's identity
// policies must allow it too (AWS's evaluation logic); identity policies
// alone never grant it. Every check carries the request's condition keys
// (sts:RoleSessionName, sts:ExternalId, sts:SourceIdentity,
// aws:RequestTag/*, aws:TagKeys, sts:TransitiveTagKeys...).
//
// A malformed AssumeRole request fails here with its ValidationError or
// InvalidParameterValue, so validation precedes authorization as on AWS.
// Other operations are authorized as sts:Operation on "*".
func (s *Service) AuthzTarget(ctx context.Context, op string, in any) (gateway.Target, error) {
	ar, ok := in.(*stsapi.AssumeRoleInput)
	if op != "AssumeRole" || !ok {
		return gateway.Target{}, nil
	}
	if err := validateAssumeRole(ar); err != nil {
		return gateway.Target{}, err
	}
	if err := checkARN(*ar.RoleArn); err != nil {
		return gateway.Target{}, err
	}
	p := principal.FromContext(ctx)
	var inherited map[string]string
	if p != nil {
		parent, err := s.parentSession(ctx, p)
		if err != nil {
			return gateway.Target{}, err
		}
		inherited = parent.transitiveTags()
	}
	if err := validateSessionTags(ar.Tags, ar.TransitiveTagKeys, lowerKeys(inherited)); err != nil {
		return gateway.Target{}, err
	}
	t := gateway.Target{
		Action:    ActionAssumeRole,
		Resources: []string{*ar.RoleArn},
		Context:   assumeContext(ar, p),
	}
	for _, action := range extraActions(ar, inherited) {
		t.Extra = append(t.Extra, gateway.Check{Action: action, Resources: t.Resources, Context: t.Context})
	}
	return t, nil
}

// extraActions are the actions AssumeRole needs besides sts:AssumeRole:
// sts:TagSession to pass session tags (or to carry inherited transitive
// tags into the new session), sts:SetSourceIdentity to set a source
// identity.
func extraActions(in *stsapi.AssumeRoleInput, inherited map[string]string) []string {
	var actions []string
	if len(in.Tags) > 0 || len(in.TransitiveTagKeys) > 0 || len(inherited) > 0 {
		actions = append(actions, ActionTagSession)
	}
	if in.SourceIdentity != nil {
		actions = append(actions, ActionSetSourceIdentity)
	}
	return actions
}
