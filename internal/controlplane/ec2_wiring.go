// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"context"
	"errors"
	"fmt"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/principal"
	ec2svc "github.com/berthdev/berth/internal/service/ec2"
	iamsvc "github.com/berthdev/berth/internal/service/iam"
)

// buildEC2 constructs the EC2 service (hosts as instances) and returns its
// gateway endpoint and the host API that serves /_berth/host/.
func (s *Server) buildEC2() (gateway.Endpoint, *hostAPI, error) {
	profiles := ec2Profiles{s.iam}
	az := ec2Authz{s.authz}
	svc, err := ec2svc.New(ec2svc.Config{Region: s.cfg.Region, AccountID: s.cfg.AccountID, Clock: s.deps.Clock},
		ec2svc.Deps{Store: s.store, Profiles: profiles, PassRole: az, Resources: az, Logger: s.log.With("service", "ec2")})
	if err != nil {
		return gateway.Endpoint{}, nil, err
	}
	ep := endpoint(ec2api.Definition, svc)
	ep.Describer = svc
	h := &hostAPI{ec2: svc, profiles: profiles, roles: s.sts, log: s.log.With("service", "host-api"), clock: s.deps.Clock}
	return ep, h, nil
}

// ec2Profiles serves the EC2 service IAM's instance profiles.
type ec2Profiles struct{ iam *iamsvc.Service }

var _ ec2svc.Profiles = ec2Profiles{}

func (p ec2Profiles) InstanceProfile(ctx context.Context, name string) (*ec2svc.Profile, error) {
	return toEC2Profile(p.iam.InstanceProfile(ctx, name))
}

func (p ec2Profiles) InstanceProfileByARN(ctx context.Context, arn string) (*ec2svc.Profile, error) {
	return toEC2Profile(p.iam.InstanceProfileByARN(ctx, arn))
}

func toEC2Profile(info *iamsvc.InstanceProfileInfo, err error) (*ec2svc.Profile, error) {
	if errors.Is(err, iamsvc.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", ec2svc.ErrProfileNotFound, err)
	}
	if err != nil {
		return nil, err
	}
	out := &ec2svc.Profile{Name: info.Name, ARN: info.ARN, ID: info.ID}
	if len(info.Roles) > 0 {
		out.RoleARN, out.RoleName = info.Roles[0].ARN, info.Roles[0].Name
	}
	return out, nil
}

// ec2Authz answers the EC2 service's authorization questions for the
// caller in the request context: iam:PassRole of a profile's role to
// ec2.amazonaws.com, and the further instances of a multi-instance request.
type ec2Authz struct{ az authz.Authorizer }

var (
	_ ec2svc.PassRoleChecker    = ec2Authz{}
	_ ec2svc.ResourceAuthorizer = ec2Authz{}
)

func (a ec2Authz) CheckPassRole(ctx context.Context, roleARN string) (bool, string, error) {
	return a.AuthorizeResource(ctx, "iam:PassRole", roleARN,
		map[string][]string{"iam:PassedToService": {ec2svc.ServicePrincipal}})
}

func (a ec2Authz) AuthorizeResource(ctx context.Context, action, resource string, keys map[string][]string) (bool, string, error) {
	p := principal.FromContext(ctx)
	if p == nil {
		return false, "", errors.New("controlplane: ec2 authorization without a caller")
	}
	d, err := a.az.Authorize(ctx, authz.Request{Principal: p, Action: action, Resources: []string{resource}, Context: keys})
	if err != nil {
		return false, "", err
	}
	return d.Allowed, d.Message, nil
}
