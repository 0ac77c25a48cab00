// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/awserr"
)

// Credentials are temporary credentials minted for a service-initiated
// assume, with the identity they stand for.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	// RoleARN is the role assumed.
	RoleARN string
	// AssumedRoleARN is arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
	AssumedRoleARN string
	// AssumedRoleID is "AROA…:SESSION".
	AssumedRoleID string
}

// AssumeRoleAsService assumes roleARN on behalf of an AWS service
// principal, as EC2 does for instance profiles (servicePrincipal
// "ec2.amazonaws.com", sessionName the instance id) and ECS for task roles
// ("ecs-tasks.amazonaws.com", the task id). The role's trust policy must
// allow the service principal sts:AssumeRole; the request context carries
// sts:RoleSessionName and aws:SourceAccount (this account). duration 0
// means one hour; it may be 15 minutes to 12 hours and, as for AWS
// services, is not bound by the role's MaxSessionDuration.
//
// A missing role or a trust denial returns an AccessDenied *awserr.Error
// whose cause wraps ErrAssumeDenied (and ErrRoleNotFound for a missing
// role); invalid arguments return a ValidationError. The session is
// persisted like any other and is visible to SessionCredential.
func (s *Service) AssumeRoleAsService(ctx context.Context, servicePrincipal, roleARN, sessionName string, duration time.Duration) (*Credentials, error) {
	if duration == 0 {
		duration = defaultRoleSession
	}
	if servicePrincipal == "" {
		return nil, validationError("a service principal is required")
	}
	var v violations
	v.str("roleArn", &roleARN, 20, 2048, nil, "")
	v.str("roleSessionName", &sessionName, 2, 64, reSessionName, patSessionName)
	secs := int32(min(duration/time.Second, 1<<31-1))
	v.intRange("durationSeconds", &secs, minDuration, maxRoleDuration)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkARN(roleARN); err != nil {
		return nil, err
	}
	role, err := s.deps.Roles.RoleByARN(ctx, roleARN)
	if errors.Is(err, ErrRoleNotFound) {
		return nil, accessDenied(fmt.Errorf("%w: %w", ErrAssumeDenied, err), "%s", denyMessage(servicePrincipal, ActionAssumeRole, roleARN))
	}
	if err != nil {
		return nil, awserr.InternalFailure(fmt.Errorf("sts: look up role %s: %w", roleARN, err))
	}
	req := AssumeRequest{
		Service: servicePrincipal,
		Role:    role,
		Action:  ActionAssumeRole,
		Context: map[string][]string{
			"sts:RoleSessionName": {sessionName},
			"aws:SourceAccount":   {s.cfg.AccountID},
		},
	}
	if err := s.judge(ctx, req, servicePrincipal); err != nil {
		return nil, err
	}
	sp := roleSessionPrincipal(role, sessionName)
	sp.Tags = mergeTags(role.Tags)
	sess, err := s.issue(ctx, sp, duration, nil)
	if err != nil {
		return nil, err
	}
	return &Credentials{
		AccessKeyID:     sess.AccessKeyID,
		SecretAccessKey: sess.SecretAccessKey,
		SessionToken:    sess.SessionToken,
		Expiration:      sess.Expiration,
		RoleARN:         role.ARN,
		AssumedRoleARN:  sp.ARN,
		AssumedRoleID:   sp.UserID,
	}, nil
}
