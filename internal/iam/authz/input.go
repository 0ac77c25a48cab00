// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package authz

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/reqctx"
)

// The parts of a policy.Input that the gateway's authorization and IAM's
// policy simulator build alike, so a simulated request is decided exactly
// as the same request through the gateway would be.

// principalInput is the policy engine's view of a caller.
func principalInput(p *principal.Principal) policy.Principal {
	return policy.Principal{Type: principalType(p.Kind), ARN: p.ARN, Account: p.AccountID, RoleARN: p.RoleARN}
}

// load compiles a principal's identity-based policies and permissions
// boundary into in.
func (e *Engine) load(in *policy.Input, set *PolicySet) error {
	for _, d := range set.Identity {
		c, err := e.compile(d)
		if err != nil {
			return err
		}
		in.Identity = append(in.Identity, c)
	}
	if set.Boundary != nil {
		c, err := e.compile(*set.Boundary)
		if err != nil {
			return err
		}
		in.Boundary = c
	}
	return nil
}

// sessionPolicies compiles the session policies a role session carries.
func (e *Engine) sessionPolicies(in *policy.Input, p *principal.Principal) error {
	if p.Kind != principal.AssumedRole || len(p.SessionPolicies) == 0 && len(p.SessionPolicyARNs) == 0 {
		return nil
	}
	in.Session = make([]*policy.Compiled, 0, len(p.SessionPolicies))
	for _, doc := range p.SessionPolicies {
		c, err := e.compile(Document{Key: "session:" + hash(doc), Text: doc, Kind: policy.KindSession})
		if err != nil {
			return err
		}
		in.Session = append(in.Session, c)
	}
	return nil
}

// resourceAccount is the account an ARN names, "" for none (and for AWS
// managed policies, whose "aws" account is nobody's).
func resourceAccount(res string) string {
	if a, err := arn.Parse(res); err == nil && a.AccountID != "" && a.AccountID != "aws" {
		return a.AccountID
	}
	return ""
}

// fillContext sets the global condition keys AWS adds to every request,
// then the request's own keys.
func (e *Engine) fillContext(ctx context.Context, c *policy.Context, req Request) {
	p := req.Principal
	info := reqctx.From(ctx)
	now := info.Time
	if now.IsZero() {
		now = e.now()
	}
	c.Set(policy.KeyPrincipalArn, principalARNKey(p))
	c.Set(policy.KeyPrincipalAccount, p.AccountID)
	c.Set(policy.KeyPrincipalType, p.Kind.String())
	c.Set(policy.KeyUserID, p.UserID)
	if p.Kind == principal.User {
		c.Set(policy.KeyUsername, p.Name)
	}
	ts := e.times.format(now)
	c.Set(policy.KeyCurrentTime, ts.current)
	c.Set(policy.KeyEpochTime, ts.epoch)
	if info.SourceIP != "" {
		c.Set(policy.KeySourceIP, info.SourceIP)
	}
	c.Set(policy.KeySecureTransport, strconv.FormatBool(info.Secure))
	if info.Region != "" {
		c.Set(policy.KeyRequestedRegion, info.Region)
	}
	if p.IsTemporary() {
		c.Set(policy.KeyTokenIssueTime, p.TokenIssueTime.UTC().Format(time.RFC3339))
		c.Set(policy.KeyMultiFactorAuthPresent, strconv.FormatBool(p.MFA))
	}
	c.Set(policy.KeyViaAWSService, "false")
	for k, v := range p.Tags {
		c.Set(policy.KeyPrincipalTagPrefix+k, v)
	}
	if p.SourceIdentity != "" {
		c.Set("aws:SourceIdentity", p.SourceIdentity)
	}
	for k, vs := range req.Context {
		c.Set(k, vs...)
	}
}

// principalARNKey is aws:PrincipalArn: for a role session, the role's ARN
// (AWS documents that aws:PrincipalArn carries the role, not the session).
func principalARNKey(p *principal.Principal) string {
	if p.Kind == principal.AssumedRole && p.RoleARN != "" {
		return p.RoleARN
	}
	return p.ARN
}

func principalType(k principal.Kind) policy.PrincipalType {
	switch k {
	case principal.Root:
		return policy.PrincipalRoot
	case principal.User:
		return policy.PrincipalUser
	case principal.AssumedRole:
		return policy.PrincipalRoleSession
	case principal.FederatedUser:
		return policy.PrincipalFederatedUser
	case principal.Service:
		return policy.PrincipalService
	}
	return policy.PrincipalAnonymous
}

// timeStrings are aws:CurrentTime and aws:EpochTime of one second.
type timeStrings struct {
	unix           int64
	current, epoch string
}

// timeCache remembers the strings of the last second formatted: requests
// in the same second share them.
type timeCache struct{ last atomic.Pointer[timeStrings] }

func (tc *timeCache) format(now time.Time) *timeStrings {
	sec := now.Unix()
	if ts := tc.last.Load(); ts != nil && ts.unix == sec {
		return ts
	}
	ts := &timeStrings{unix: sec, current: now.UTC().Format(time.RFC3339), epoch: strconv.FormatInt(sec, 10)}
	tc.last.Store(ts)
	return ts
}
