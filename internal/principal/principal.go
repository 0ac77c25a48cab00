// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package principal is the shared vocabulary for "who is calling": the
// identity that SigV4 authentication establishes, that authorization judges
// and that services such as STS GetCallerIdentity report.
package principal

import (
	"context"
	"time"
)

// Kind is the type of a principal, as aws:PrincipalType reports it.
type Kind int

// The kinds of principal.
const (
	Anonymous   Kind = iota
	Root             // the account root: arn:aws:iam::ID:root
	User             // an IAM user: arn:aws:iam::ID:user/PATH/NAME
	AssumedRole      // a role session: arn:aws:sts::ID:assumed-role/ROLE/SESSION
	FederatedUser
	Service // an AWS service principal acting on its own, e.g. ecs-tasks.amazonaws.com
)

// String returns the aws:PrincipalType value of k.
func (k Kind) String() string {
	switch k {
	case Root:
		return "Account"
	case User:
		return "User"
	case AssumedRole:
		return "AssumedRole"
	case FederatedUser:
		return "FederatedUser"
	case Service:
		return "Service"
	default:
		return "Anonymous"
	}
}

// Principal is an authenticated caller. It is immutable once attached to a
// request context.
type Principal struct {
	Kind      Kind
	AccountID string
	// ARN is the principal's ARN: the root, user or assumed-role session ARN.
	ARN string
	// UserID is aws:userid: the user's AIDA… id, or "AROA…:session" for a
	// role session, or the account id for the root.
	UserID string
	// Name is aws:username for users; the role name for role sessions.
	Name string
	// RoleARN is the role a session was assumed from (AssumedRole only).
	RoleARN string
	// SessionName is the role session name (AssumedRole only).
	SessionName string
	// AccessKeyID is the key the request was signed with.
	AccessKeyID string
	// SessionPolicies are the inline session policy and the documents of the
	// managed session policies passed to AssumeRole, if any. A role session
	// with session policies is allowed only what they also allow.
	SessionPolicies []string
	// SessionPolicyARNs are the ARNs of managed session policies.
	SessionPolicyARNs []string
	// Tags are the principal's tags (aws:PrincipalTag/*): user or role tags
	// overlaid by session tags.
	Tags map[string]string
	// TokenIssueTime is when temporary credentials were issued (zero for
	// long-term keys).
	TokenIssueTime time.Time
	// MFA reports aws:MultiFactorAuthPresent.
	MFA bool
	// SourceIdentity is sts:SourceIdentity of a role session.
	SourceIdentity string
}

// IsTemporary reports whether the principal signed with temporary
// credentials.
func (p *Principal) IsTemporary() bool { return !p.TokenIssueTime.IsZero() }

type ctxKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal of the request, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}
