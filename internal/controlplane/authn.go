// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/principal"
	iamsvc "github.com/berthdev/berth/internal/service/iam"
	stssvc "github.com/berthdev/berth/internal/service/sts"
	"github.com/berthdev/berth/internal/sigv4"
	"github.com/berthdev/berth/internal/store"
)

// keyring finds the secret behind an access key: temporary (ASIA…) keys in
// STS's sessions, long-term keys (the root's and IAM users') in IAM.
type keyring struct {
	iam *iamsvc.Service
	sts *stssvc.Service
}

var _ sigv4.Lookup = keyring{}

func (k keyring) LookupAccessKey(ctx context.Context, id string) (sigv4.Credential, error) {
	if strings.HasPrefix(id, "ASIA") {
		sess, err := k.sts.SessionCredential(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return sigv4.Credential{}, fmt.Errorf("%w: %w", sigv4.ErrUnknownAccessKey, err)
		}
		if err != nil {
			return sigv4.Credential{}, err
		}
		return sigv4.Credential{SecretAccessKey: sess.SecretAccessKey, SessionToken: sess.SessionToken,
			Expiration: sess.Expiration, Principal: sess.Principal}, nil
	}
	info, err := k.iam.AccessKey(ctx, id)
	if errors.Is(err, iamsvc.ErrNotFound) {
		return sigv4.Credential{}, fmt.Errorf("%w: %w", sigv4.ErrUnknownAccessKey, err)
	}
	if err != nil {
		return sigv4.Credential{}, err
	}
	if !info.Active {
		// AWS answers an inactive key exactly as an unknown one.
		return sigv4.Credential{}, sigv4.ErrUnknownAccessKey
	}
	return sigv4.Credential{SecretAccessKey: info.Secret, Principal: info.Principal}, nil
}

// lastUseRecorder is told which key signed each authenticated request.
type lastUseRecorder interface {
	RecordAccessKeyUse(ctx context.Context, accessKeyID, service, region string)
	RecordRoleUse(ctx context.Context, roleARN, region string)
}

// authenticator verifies SigV4 (or, in open mode, only parses it) and
// returns the caller.
type authenticator struct {
	verifier *sigv4.Verifier
	open     bool
	account  string
	lastUsed lastUseRecorder
}

var _ gateway.Authenticator = (*authenticator)(nil)

func (a *authenticator) Authenticate(r *http.Request, body []byte, def *awsapi.Service) (*principal.Principal, error) {
	fam := family(def)
	if a.open {
		scope, err := sigv4.ParseScope(r)
		if err != nil {
			return nil, sigv4.AWSError(err, fam)
		}
		return &principal.Principal{Kind: principal.Root, AccountID: a.account, ARN: arn.Root(a.account),
			UserID: a.account, AccessKeyID: scope.AccessKeyID}, nil
	}
	res, err := a.verifier.Verify(r.Context(), r, body)
	if err != nil {
		return nil, sigv4.AWSError(err, fam)
	}
	p, ok := res.Principal.(*principal.Principal)
	if !ok || p == nil {
		return nil, fmt.Errorf("controlplane: access key %s has no principal", res.AccessKeyID)
	}
	if !p.IsTemporary() {
		a.lastUsed.RecordAccessKeyUse(r.Context(), res.AccessKeyID, def.Name, res.Region)
	} else if p.Kind == principal.AssumedRole {
		a.lastUsed.RecordRoleUse(r.Context(), p.RoleARN, res.Region)
	}
	return p, nil
}

func family(def *awsapi.Service) sigv4.Family {
	switch def.Protocol {
	case awsapi.ProtocolQuery, awsapi.ProtocolEC2:
		return sigv4.FamilyQuery
	case awsapi.ProtocolRestXML:
		return sigv4.FamilyS3
	}
	return sigv4.FamilyJSON
}
