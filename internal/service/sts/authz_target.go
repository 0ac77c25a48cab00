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

// AuthzTarget implements gateway.Describer: the gateway checks the
// caller's identity policies for sts:AssumeRole on the role ARN, with the
// request's condition keys (sts:RoleSessionName, sts:ExternalId,
// aws:RequestTag/*, aws:TagKeys, sts:TransitiveTagKeys...), before
// AssumeRole runs; the role's trust policy is AssumeRole's own check. A
// malformed AssumeRole request fails here with its ValidationError, so
// validation precedes authorization as on AWS. Other operations are
// authorized as sts:Operation on "*".
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
	return gateway.Target{
		Action:    ActionAssumeRole,
		Resources: []string{*ar.RoleArn},
		Context:   assumeContext(ar, principal.FromContext(ctx)),
	}, nil
}
