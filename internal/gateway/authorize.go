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

// authorize asks the authorizer about every resource the operation touches.
// Every operation goes through here; a denial changes nothing because the
// handler has not run.
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
	if actionmap.NoPermissionRequired(t.Action) {
		return nil
	}
	if len(t.Resources) == 0 {
		t.Resources = []string{"*"}
	}
	for _, res := range t.Resources {
		d, err := g.deps.Authz.Authorize(ctx, authz.Request{
			Principal: p,
			Action:    t.Action,
			Resources: []string{res},
			Context:   t.Context,
		})
		if err != nil {
			return err
		}
		if !d.Allowed {
			return accessDenied(ep.Def, d.Message)
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
