// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"net/http"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/iam/targets"
	"github.com/berthdev/berth/internal/protocol"
	iamsvc "github.com/berthdev/berth/internal/service/iam"
	stssvc "github.com/berthdev/berth/internal/service/sts"
	"github.com/berthdev/berth/internal/sigv4"
)

// build constructs the services, the authorizer and the gateway on the
// open store.
func (s *Server) build() error {
	var err error
	s.iam, err = iamsvc.New(iamsvc.Config{AccountID: s.cfg.AccountID, Clock: s.deps.Clock},
		iamsvc.Deps{Store: s.store, Validator: policyValidator{}, Engine: simulator{s}, Logger: s.log.With("service", "iam")})
	if err != nil {
		return err
	}
	s3w, err := s.buildS3()
	if err != nil {
		return err
	}
	s.s3 = s3w.svc
	ecrw, err := s.buildECR()
	if err != nil {
		return err
	}
	s.authz = authz.NewEngine(authz.EngineDeps{
		Policies:  iamPolicies{s.iam},
		Resources: []authz.ResourcePolicySource{trustPolicies{s.iam}, s3w.policies(), ecrw.policies()},
		Clock:     s.deps.Clock,
		Revision:  s.iam.PoliciesRevision,
	})
	s.sts, err = stssvc.New(stssvc.Config{AccountID: s.cfg.AccountID, Region: s.cfg.Region, Clock: s.deps.Clock},
		stssvc.Deps{
			Store:    s.store,
			Roles:    stsRoles{s.iam},
			Trust:    trustJudge{s.authz},
			Policies: s.iam,
			Logger:   s.log.With("service", "sts"),
		})
	if err != nil {
		return err
	}

	// EC2 before ECS: ECS verifies instance identity documents with it.
	ec2EP, hosts, err := s.buildEC2()
	if err != nil {
		return err
	}
	ecsEP, err := s.buildECS(ecsIdentity{hosts.ec2})
	if err != nil {
		return err
	}
	logsEP, err := s.buildLogs()
	if err != nil {
		return err
	}
	iamEP := endpoint(iamapi.Definition, s.iam)
	iamEP.Describer = targets.IAM{Account: s.cfg.AccountID, Paths: entityPaths{s.iam}}
	endpoints := []gateway.Endpoint{
		iamEP,
		endpoint(stsapi.Definition, s.sts),
		ecsEP,
		ecrw.endpoint(),
		logsEP,
		s3w.endpoint(),
		ec2EP,
	}
	var az authz.Authorizer = authz.Recording(s.authz, s.iam) // service last accessed data
	verifier := sigv4.New(sigv4.Config{Lookup: keyring{iam: s.iam, sts: s.sts}, Now: s.deps.Clock})
	s.gw, err = gateway.New(
		gateway.Config{Region: s.cfg.Region, AccountID: s.cfg.AccountID},
		gateway.Deps{
			Endpoints: endpoints,
			Authn:     &authenticator{verifier: verifier, open: s.cfg.AuthMode == "open", account: s.cfg.AccountID, lastUsed: s.iam},
			Authz:     az,
			Internal:  hosts.wrap(s.internalHandler()),
			Streams:   s.agentStreams(endpoints, az),
			Logger:    s.log,
			Clock:     s.deps.Clock,
		})
	return err
}

// endpoint pairs a service's definition with its implementation and codec.
func endpoint(def *awsapi.Service, api any) gateway.Endpoint {
	codec := protocol.For(def)
	ep := gateway.Endpoint{Def: def, API: api, Codec: codec}
	if r, ok := codec.(protocol.Resolver); ok && (def.Protocol == awsapi.ProtocolRestXML || def.Protocol == awsapi.ProtocolRestJSON) {
		ep.Router = resolverRouter{r}
	}
	return ep
}

// resolverRouter adapts a protocol.Resolver to gateway.Router.
type resolverRouter struct{ r protocol.Resolver }

func (rr resolverRouter) Route(r *http.Request) (*awsapi.Operation, error) {
	return rr.r.ResolveOperation(r)
}

var _ gateway.Router = resolverRouter{}
