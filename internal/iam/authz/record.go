// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package authz

import (
	"context"

	"github.com/berthdev/berth/internal/principal"
)

// AccessRecorder is told of every authorization attempt, for IAM's service
// last accessed data (GenerateServiceLastAccessedDetails). AWS counts
// every authenticated attempt, allowed or denied. RecordAccess is called
// on the request path: it must only note the attempt in memory.
type AccessRecorder interface {
	RecordAccess(ctx context.Context, p *principal.Principal, action string)
}

// Recording returns an Authorizer that asks a and then tells r of the
// attempt, unless a failed to decide.
func Recording(a Authorizer, r AccessRecorder) Authorizer { return recording{a: a, r: r} }

type recording struct {
	a Authorizer
	r AccessRecorder
}

// Authorize implements Authorizer.
func (x recording) Authorize(ctx context.Context, req Request) (Decision, error) {
	d, err := x.a.Authorize(ctx, req)
	if err == nil && req.Principal != nil {
		x.r.RecordAccess(ctx, req.Principal, req.Action)
	}
	return d, err
}
