// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"
	"maps"
	"time"

	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/principal"
)

const (
	// defaultUserSession is GetSessionToken's default for IAM users.
	defaultUserSession = 12 * time.Hour
	// rootSessionMax caps (silently, as AWS does) the root's sessions; it
	// is also the root's default.
	rootSessionMax = time.Hour
)

// GetSessionToken implements stsapi.API. It is for IAM users and the root,
// signing with long-term keys; the session stands for the same principal.
func (s *Service) GetSessionToken(ctx context.Context, in *stsapi.GetSessionTokenInput) (*stsapi.GetSessionTokenOutput, error) {
	var v violations
	v.intRange("durationSeconds", in.DurationSeconds, minDuration, maxSessionTokenSeconds)
	v.str("serialNumber", in.SerialNumber, 9, 256, reSerial, patSerial)
	v.str("tokenCode", in.TokenCode, 6, 6, reTokenCode, patTokenCode)
	if err := v.err(); err != nil {
		return nil, err
	}
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if p.IsTemporary() || (p.Kind != principal.User && p.Kind != principal.Root) {
		return nil, accessDenied(nil, "Cannot call GetSessionToken with session credentials")
	}
	if in.SerialNumber != nil || in.TokenCode != nil {
		return nil, accessDenied(errMFAUnsupported, "MultiFactorAuthentication failed with invalid MFA one time pass code.")
	}

	duration := defaultUserSession
	if in.DurationSeconds != nil {
		duration = time.Duration(*in.DurationSeconds) * time.Second
	}
	if p.Kind == principal.Root {
		duration = min(duration, rootSessionMax)
	}
	sp := &principal.Principal{
		Kind:      p.Kind,
		AccountID: p.AccountID,
		ARN:       p.ARN,
		UserID:    p.UserID,
		Name:      p.Name,
		Tags:      maps.Clone(p.Tags),
	}
	if sp.AccountID == "" {
		sp.AccountID = s.cfg.AccountID
	}
	sess, err := s.issue(ctx, sp, duration, nil)
	if err != nil {
		return nil, err
	}
	return &stsapi.GetSessionTokenOutput{Credentials: sess.apiCredentials()}, nil
}
