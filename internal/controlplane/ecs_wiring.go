// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"context"
	"errors"
	"fmt"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/principal"
	ec2svc "github.com/berthdev/berth/internal/service/ec2"
	ecssvc "github.com/berthdev/berth/internal/service/ecs"
)

// buildECS constructs the ECS service on the open store and returns its
// gateway endpoint, authorized by the service's own Describer. identity
// verifies the instance identity documents container instances register
// with (the EC2 service).
func (s *Server) buildECS(identity ecssvc.IdentityVerifier) (gateway.Endpoint, error) {
	svc, err := ecssvc.New(ecssvc.Config{Region: s.cfg.Region, AccountID: s.cfg.AccountID, Clock: s.deps.Clock, RequireIdentityDocument: s.cfg.RequireIdentityDocument},
		ecssvc.Deps{Store: s.store, PassRole: passRole{az: s.authz}, Identity: identity, Logger: s.log.With("service", "ecs")})
	if err != nil {
		return gateway.Endpoint{}, err
	}
	s.ecs = svc
	ep := endpoint(ecsapi.Definition, svc)
	ep.Describer = svc
	return ep, nil
}

// ECS returns the ECS service: the agentapi.Backend the ACS server serves
// agents from. Nil before Start.
func (s *Server) ECS() *ecssvc.Service { return s.ecs }

// passRole answers the ECS service's iam:PassRole questions with the
// authorizer: may the caller pass the role to ecs-tasks.amazonaws.com?
type passRole struct{ az authz.Authorizer }

var _ ecssvc.PassRoleChecker = passRole{}

func (p passRole) CheckPassRole(ctx context.Context, roleARN string) (bool, string, error) {
	pr := principal.FromContext(ctx)
	if pr == nil {
		return true, "", nil // the control plane's own launches (service controller)
	}
	d, err := p.az.Authorize(ctx, authz.Request{
		Principal: pr,
		Action:    "iam:PassRole",
		Resources: []string{roleARN},
		Context:   map[string][]string{"iam:PassedToService": {"ecs-tasks.amazonaws.com"}},
	})
	if err != nil {
		return false, "", err
	}
	return d.Allowed, d.Message, nil
}

// ecsIdentity verifies instance identity documents for the ECS service
// with the EC2 service that signs them, mapping EC2's invalid-document
// error to the one ECS answers with a ClientException.
type ecsIdentity struct{ ec2 *ec2svc.Service }

var _ ecssvc.IdentityVerifier = ecsIdentity{}

func (v ecsIdentity) VerifyIdentityDocument(doc, signature string) (string, error) {
	id, err := v.ec2.VerifyIdentityDocument(doc, signature)
	if errors.Is(err, ec2svc.ErrInvalidIdentity) {
		return "", fmt.Errorf("%w: %w", ecssvc.ErrInvalidIdentity, err)
	}
	return id, err
}
