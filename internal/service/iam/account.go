// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/store"
)

// notFound returns an error wrapping ErrNotFound.
func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotFound}, args...)...)
}

// loadAccount returns the account record for change, a new one if absent.
func (s *Service) loadAccount(tx *txn) (*accountRec, error) {
	a, err := getRec[accountRec](tx, key(tableAccount, accountID))
	if err != nil {
		return nil, err
	}
	if a == nil {
		a = &accountRec{Created: s.now()}
	}
	return a, nil
}

// account returns the account record from the cache (shared: read only);
// an empty one if none was written yet.
func (s *Service) account(ctx context.Context) (*accountRec, error) {
	rec, err := s.t.account.Get(ctx, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return &accountRec{}, nil
	}
	if err != nil {
		return nil, err
	}
	return rec.Value, nil
}

// created is when the account's record was first written (the root's
// CreateDate), or now if it never was.
func (a *accountRec) created(s *Service) time.Time {
	if a.Created.IsZero() {
		return s.now()
	}
	return a.Created
}

// GetAccountSummary implements iamapi.API: entity counts and IAM's quotas.
func (s *Service) GetAccountSummary(ctx context.Context, _ *iamapi.GetAccountSummaryInput) (*iamapi.GetAccountSummaryOutput, error) {
	count := func(n int, err error) (int32, error) { return int32(n), err }
	var (
		m   = map[string]int32{}
		err error
	)
	n := func(key string, f func() (int32, error)) {
		if err == nil {
			m[key], err = f()
		}
	}
	n("Users", func() (int32, error) { r, e := all(ctx, s.t.users); return count(len(r), e) })
	n("Groups", func() (int32, error) { r, e := all(ctx, s.t.groups); return count(len(r), e) })
	n("Roles", func() (int32, error) { r, e := all(ctx, s.t.roles); return count(len(r), e) })
	n("InstanceProfiles", func() (int32, error) { r, e := all(ctx, s.t.profiles); return count(len(r), e) })
	var versions int
	n("Policies", func() (int32, error) {
		ps, e := all(ctx, s.t.policies)
		for _, p := range ps {
			versions += len(p.Versions)
		}
		return count(len(ps), e)
	})
	if err != nil {
		return nil, err
	}
	acct, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	m["PolicyVersionsInUse"] = int32(versions)
	m["AccountAccessKeysPresent"] = b2i(len(acct.RootKeys) > 0)
	for k, v := range map[string]int32{
		"UsersQuota": 5000, "GroupsQuota": 300, "RolesQuota": 1000, "InstanceProfilesQuota": 1000,
		"PoliciesQuota": 1500, "PolicyVersionsInUseQuota": 10000, "VersionsPerPolicyQuota": quotaVersionsPerPolicy,
		"PolicySizeQuota": quotaPolicySize, "AssumeRolePolicySizeQuota": quotaTrustPolicySize,
		"UserPolicySizeQuota": quotaUserPolicySize, "GroupPolicySizeQuota": quotaGroupPolicySize,
		"RolePolicySizeQuota": quotaRolePolicySize, "AccessKeysPerUserQuota": quotaAccessKeysPerUser,
		"GroupsPerUserQuota":              int32(s.cfg.Quotas.GroupsPerUser),
		"AttachedPoliciesPerUserQuota":    int32(s.cfg.Quotas.PoliciesPerUser),
		"AttachedPoliciesPerRoleQuota":    int32(s.cfg.Quotas.PoliciesPerRole),
		"AttachedPoliciesPerGroupQuota":   int32(s.cfg.Quotas.PoliciesPerGroup),
		"SigningCertificatesPerUserQuota": 2, "ServerCertificatesQuota": 20, "ServerCertificates": 0,
		"MFADevices": 0, "MFADevicesInUse": 0, "AccountMFAEnabled": 0, "AccountSigningCertificatesPresent": 0,
		"Providers": 0, "GlobalEndpointTokenVersion": 1,
	} {
		m[k] = v
	}
	return &iamapi.GetAccountSummaryOutput{SummaryMap: m}, nil
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
