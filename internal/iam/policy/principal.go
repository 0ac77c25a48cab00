// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import (
	"strings"

	"github.com/berthdev/berth/internal/arn"
)

// PrincipalType is the kind of caller making a request.
type PrincipalType uint8

const (
	// PrincipalAnonymous is an unauthenticated caller.
	PrincipalAnonymous PrincipalType = iota
	// PrincipalRoot is an account's root user (ARN arn:aws:iam::ACCOUNT:root).
	PrincipalRoot
	// PrincipalUser is an IAM user.
	PrincipalUser
	// PrincipalRoleSession is an assumed-role session (ARN
	// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION); RoleARN names the role.
	PrincipalRoleSession
	// PrincipalFederatedUser is a GetFederationToken session (ARN
	// arn:aws:sts::ACCOUNT:federated-user/NAME); UserARN names the IAM user
	// (or root) that federated.
	PrincipalFederatedUser
	// PrincipalService is an AWS service principal; ARN holds its name, e.g.
	// "ecs-tasks.amazonaws.com".
	PrincipalService
	// PrincipalWebIdentity is a caller federated through an OIDC or SAML
	// provider (AssumeRoleWithWebIdentity/SAML); ARN holds the provider, as
	// a trust policy's "Federated" principal names it.
	PrincipalWebIdentity
)

// String returns the type's name.
func (t PrincipalType) String() string {
	return [...]string{"Anonymous", "Root", "User", "RoleSession", "FederatedUser", "Service", "WebIdentity"}[t]
}

// Principal describes who makes a request.
type Principal struct {
	Type PrincipalType
	// ARN is the caller's ARN (for a role session the assumed-role ARN), or
	// the service or provider name for PrincipalService and
	// PrincipalWebIdentity.
	ARN string
	// Account is the caller's account id; empty for services and anonymous.
	Account string
	// RoleARN is the role of a PrincipalRoleSession, path included.
	RoleARN string
	// UserARN is the IAM user (or root) that created a PrincipalFederatedUser
	// session.
	UserARN string
	// CanonicalUser is the caller's S3 canonical user id, if any.
	CanonicalUser string
}

func (p *Principal) isSession() bool {
	return p.Type == PrincipalRoleSession || p.Type == PrincipalFederatedUser
}

func (p *Principal) hasAccount() bool {
	switch p.Type {
	case PrincipalRoot, PrincipalUser, PrincipalRoleSession, PrincipalFederatedUser:
		return p.Account != ""
	}
	return false
}

// grant says how a resource-based policy statement named the caller, which
// decides what else must allow the request (see Evaluate).
type grant uint8

const (
	grantNone grant = iota
	// grantAccount: the caller's account (id or root ARN). This delegates to
	// the account: its identity-based policies must allow too.
	grantAccount
	// grantEntity: the role of a role session, or the IAM user behind a
	// federated-user session. Not limited by identity-based policies but
	// limited by permissions boundaries and session policies.
	grantEntity
	// grantDirect: the caller itself (user, session, service, provider,
	// canonical user) or "*". Not limited by any implicit deny.
	grantDirect
)

// cprincipals is a compiled Principal or NotPrincipal element.
type cprincipals struct {
	any       bool
	accounts  []string
	arns      []string
	services  []string // lower case
	federated []string
	canonical []string
}

func compilePrincipals(p *Principals) *cprincipals {
	if p == nil {
		return nil
	}
	c := &cprincipals{any: p.Wildcard}
	for _, v := range p.AWS {
		switch {
		case v == "*":
			c.any = true
		case arn.IsAccountID(v):
			c.accounts = append(c.accounts, v)
		default:
			if a, ok := splitARN(v); ok && a.service == "iam" && a.resource == "root" {
				c.accounts = append(c.accounts, a.account)
			} else {
				c.arns = append(c.arns, v)
			}
		}
	}
	for _, v := range p.Service {
		if v == "*" {
			c.any = true
		}
		c.services = append(c.services, strings.ToLower(v))
	}
	c.federated = append(c.federated, p.Federated...)
	c.canonical = append(c.canonical, p.CanonicalUser...)
	return c
}

// match returns the strongest grant under which the element names pr.
func (c *cprincipals) match(pr *Principal) grant {
	if c.any {
		return grantDirect
	}
	switch pr.Type {
	case PrincipalService:
		for _, s := range c.services {
			if equalFoldASCII(pr.ARN, s) {
				return grantDirect
			}
		}
		return grantNone
	case PrincipalWebIdentity:
		for _, f := range c.federated {
			if f == pr.ARN {
				return grantDirect
			}
		}
		return grantNone
	case PrincipalAnonymous:
		return grantNone
	}
	if pr.CanonicalUser != "" {
		for _, cu := range c.canonical {
			if cu == pr.CanonicalUser {
				return grantDirect
			}
		}
	}
	g := grantNone
	for _, a := range c.arns {
		switch {
		case a == pr.ARN:
			return grantDirect
		case pr.Type == PrincipalRoleSession && a == pr.RoleARN,
			pr.Type == PrincipalFederatedUser && a == pr.UserARN:
			g = grantEntity
		}
	}
	if g == grantNone && pr.hasAccount() {
		for _, acct := range c.accounts {
			if acct == pr.Account {
				return grantAccount
			}
		}
	}
	return g
}

// excludes reports whether a NotPrincipal element exempts pr. AWS may check
// the account, then the role, then the session (NotPrincipal page), so a
// caller is exempt only when every identity in its chain is listed.
func (c *cprincipals) excludes(pr *Principal) bool {
	if c.any {
		return true
	}
	switch pr.Type {
	case PrincipalService:
		for _, s := range c.services {
			if equalFoldASCII(pr.ARN, s) {
				return true
			}
		}
		return false
	case PrincipalWebIdentity:
		for _, f := range c.federated {
			if f == pr.ARN {
				return true
			}
		}
		return false
	case PrincipalAnonymous:
		return false
	}
	hasAcct := false
	for _, a := range c.accounts {
		if a == pr.Account {
			hasAcct = true
		}
	}
	if !hasAcct {
		return false
	}
	listed := func(arn string) bool {
		for _, a := range c.arns {
			if a == arn {
				return true
			}
		}
		return false
	}
	switch pr.Type {
	case PrincipalRoot:
		return true
	case PrincipalRoleSession:
		return listed(pr.RoleARN) && listed(pr.ARN)
	default:
		return listed(pr.ARN)
	}
}
