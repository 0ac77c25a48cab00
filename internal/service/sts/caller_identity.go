// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"
	"errors"

	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/principal"
)

// GetCallerIdentity implements stsapi.API: the account, ARN and user id of
// whoever signed the request. Every authenticated principal may call it.
func (s *Service) GetCallerIdentity(ctx context.Context, _ *stsapi.GetCallerIdentityInput) (*stsapi.GetCallerIdentityOutput, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	account := p.AccountID
	if account == "" {
		account = s.cfg.AccountID
	}
	userID := p.UserID
	if userID == "" && p.Kind == principal.Root {
		userID = account
	}
	return &stsapi.GetCallerIdentityOutput{Account: ptr(account), Arn: ptr(p.ARN), UserId: ptr(userID)}, nil
}

// GetAccessKeyInfo implements stsapi.API: the account an access key belongs
// to. berth serves one account, so every key, known or not, belongs to it
// (AWS, too, answers for keys it cannot authenticate); a session key
// reports its principal's account.
func (s *Service) GetAccessKeyInfo(ctx context.Context, in *stsapi.GetAccessKeyInfoInput) (*stsapi.GetAccessKeyInfoOutput, error) {
	var v violations
	v.required("accessKeyId", in.AccessKeyId)
	v.str("accessKeyId", in.AccessKeyId, 16, 128, reAccessKeyID, patAccessKeyID)
	if err := v.err(); err != nil {
		return nil, err
	}
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	account := s.cfg.AccountID
	if isTemporaryKeyID(*in.AccessKeyId) {
		sess, err := s.sessions.get(ctx, *in.AccessKeyId)
		switch {
		case err == nil && sess.Principal != nil && sess.Principal.AccountID != "":
			account = sess.Principal.AccountID
		case err != nil && !errors.Is(err, ErrSessionNotFound):
			return nil, awserr.InternalFailure(err)
		}
	}
	return &stsapi.GetAccessKeyInfoOutput{Account: ptr(account)}, nil
}
