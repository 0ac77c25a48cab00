// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package gateway

import (
	"context"
	"net/http"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/iam/actionmap"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/principal"
)

// authorize asks the authorizer about every resource the operation touches,
// then about the target's extra checks. Every operation goes through here;
// a denial changes nothing because the handler has not run.
func (g *Gateway) authorize(ctx context.Context, ep *Endpoint, op *awsapi.Operation, p *principal.Principal, in any) error {
	var t Target
	d := ep.Describer
	if d == nil {
		d, _ = ep.API.(Describer)
	}
	if d != nil {
		var err error
		if t, err = d.AuthzTarget(ctx, op.Name, in); err != nil {
			return err
		}
	}
	if t.Action == "" {
		t.Action = ActionPrefix(ep.Def) + ":" + op.Name
		if a, ok := actionmap.ForOperation(ActionPrefix(ep.Def), op.Name); ok {
			t.Action = a
		}
	}
	if !actionmap.NoPermissionRequired(t.Action) {
		if err := g.check(ctx, ep.Def, p, t.Action, nil, t.Resources, t.Context); err != nil {
			return err
		}
	}
	for i := range t.Extra {
		c := &t.Extra[i]
		if err := g.check(ctx, ep.Def, p, c.Action, c.OrActions, c.Resources, c.Context); err != nil {
			return err
		}
	}
	return nil
}

// check asks whether p may perform action (or one of the alternatives in
// or) on every resource ("*" when none), and returns the AccessDenied of
// action's first denied resource.
func (g *Gateway) check(ctx context.Context, def *awsapi.Service, p *principal.Principal, action string, or, resources []string, c map[string][]string) error {
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	for _, res := range resources {
		d, err := g.deps.Authz.Authorize(ctx, authz.Request{
			Principal: p,
			Action:    action,
			Resources: []string{res},
			Context:   c,
		})
		if err != nil {
			return err
		}
		if d.Allowed {
			continue
		}
		allowed := false
		for _, alt := range or {
			da, err := g.deps.Authz.Authorize(ctx, authz.Request{Principal: p, Action: alt, Resources: []string{res}, Context: c})
			if err != nil {
				return err
			}
			if allowed = da.Allowed; allowed {
				break
			}
		}
		if !allowed {
			return accessDenied(def, d.Message)
		}
	}
	return nil
}

// ActionPrefix is the IAM service prefix of a service's actions.
func ActionPrefix(def *awsapi.Service) string {
	if def.SigningName != "" {
		return def.SigningName
	}
	return def.Name
}

// accessDenied returns the AccessDenied error in the shape of def's
// protocol: awsJson services answer AccessDeniedException (400), the
// others AccessDenied (403).
func accessDenied(def *awsapi.Service, msg string) *awserr.Error {
	if def.Protocol == awsapi.ProtocolJSON {
		return awserr.New(awserr.CodeAccessDeniedException, http.StatusBadRequest, "%s", msg)
	}
	return awserr.New(awserr.CodeAccessDenied, http.StatusForbidden, "%s", msg)
}
