// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/argon2"

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

// Passwords are stored as argon2id hashes in PHC string form. The
// parameters are OWASP's minimum for argon2id (19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// hashPassword returns the PHC-encoded argon2id hash of pw with a fresh salt.
func hashPassword(pw string) string {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt) // never fails (crypto/rand)
	sum := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(sum))
}

// checkPasswordHash reports whether pw matches a hash from hashPassword.
func checkPasswordHash(hash, pw string) bool {
	var (
		v, t       uint32
		m          uint32
		p          uint8
		salt, want string
	)
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, want = parts[4], parts[5]
	enc := base64.RawStdEncoding
	s, err1 := enc.DecodeString(salt)
	w, err2 := enc.DecodeString(want)
	if err1 != nil || err2 != nil || len(w) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), s, t, m, p, uint32(len(w)))
	return subtle.ConstantTimeCompare(got, w) == 1
}

// checkPassword applies the account password policy (none: any password
// the model allows) and returns PasswordPolicyViolation for the first
// requirement pw misses.
func checkPassword(pp *passwordPolicyRec, pw string) error {
	if pp == nil {
		return nil
	}
	violation := func(msg string) error { return iamapi.ErrPasswordPolicyViolation("%s", msg) }
	if int32(len([]rune(pw))) < pp.MinLength {
		return violation(fmt.Sprintf("Password should have a minimum length of %d", pp.MinLength))
	}
	has := func(f func(rune) bool) bool { return strings.IndexFunc(pw, f) >= 0 }
	isSymbol := func(r rune) bool {
		return r < 0x80 && unicode.IsPrint(r) && !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' '
	}
	switch {
	case pp.RequireUpper && !has(func(r rune) bool { return r >= 'A' && r <= 'Z' }):
		return violation("Password should have at least one uppercase letter")
	case pp.RequireLower && !has(func(r rune) bool { return r >= 'a' && r <= 'z' }):
		return violation("Password should have at least one lowercase letter")
	case pp.RequireNumbers && !has(func(r rune) bool { return r >= '0' && r <= '9' }):
		return violation("Password should have at least one number")
	case pp.RequireSymbols && !has(isSymbol):
		return violation("Password should have at least one symbol")
	}
	return nil
}

// passwordPolicyNotFound is IAM's answer when the account has no policy.
func (s *Service) passwordPolicyNotFound() error {
	return noSuchEntity("The Password Policy with domain name %s cannot be found.", s.cfg.AccountID)
}

// GetAccountPasswordPolicy implements iamapi.API.
func (s *Service) GetAccountPasswordPolicy(ctx context.Context, _ *iamapi.GetAccountPasswordPolicyInput) (*iamapi.GetAccountPasswordPolicyOutput, error) {
	a, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	pp := a.PasswordPolicy
	if pp == nil {
		return nil, s.passwordPolicyNotFound()
	}
	out := &iamapi.PasswordPolicy{
		MinimumPasswordLength:      ptr(pp.MinLength),
		RequireSymbols:             ptr(pp.RequireSymbols),
		RequireNumbers:             ptr(pp.RequireNumbers),
		RequireUppercaseCharacters: ptr(pp.RequireUpper),
		RequireLowercaseCharacters: ptr(pp.RequireLower),
		AllowUsersToChangePassword: ptr(pp.AllowChange),
		ExpirePasswords:            ptr(pp.MaxAge > 0),
	}
	if pp.MaxAge > 0 {
		out.MaxPasswordAge = ptr(pp.MaxAge)
	}
	if pp.ReusePrevent > 0 {
		out.PasswordReusePrevention = ptr(pp.ReusePrevent)
	}
	if pp.HardExpiry || pp.MaxAge > 0 {
		out.HardExpiry = ptr(pp.HardExpiry)
	}
	return &iamapi.GetAccountPasswordPolicyOutput{PasswordPolicy: out}, nil
}

// UpdateAccountPasswordPolicy implements iamapi.API. As in IAM it replaces
// the whole policy: a member left out takes its default (minimum length 6,
// everything else off).
func (s *Service) UpdateAccountPasswordPolicy(ctx context.Context, in *iamapi.UpdateAccountPasswordPolicyInput) (*iamapi.UpdateAccountPasswordPolicyOutput, error) {
	var v violations
	v.intRange("minimumPasswordLength", in.MinimumPasswordLength, 6, 128)
	v.intRange("maxPasswordAge", in.MaxPasswordAge, 1, 1095)
	v.intRange("passwordReusePrevention", in.PasswordReusePrevention, 1, 24)
	if err := v.err(); err != nil {
		return nil, err
	}
	pp := &passwordPolicyRec{
		MinLength:      6,
		RequireSymbols: deref(in.RequireSymbols),
		RequireNumbers: deref(in.RequireNumbers),
		RequireUpper:   deref(in.RequireUppercaseCharacters),
		RequireLower:   deref(in.RequireLowercaseCharacters),
		AllowChange:    deref(in.AllowUsersToChangePassword),
		MaxAge:         deref(in.MaxPasswordAge),
		ReusePrevent:   deref(in.PasswordReusePrevention),
		HardExpiry:     deref(in.HardExpiry),
	}
	if in.MinimumPasswordLength != nil {
		pp.MinLength = *in.MinimumPasswordLength
	}
	err := s.update(ctx, func(tx *txn) error {
		a, err := s.loadAccount(tx)
		if err != nil {
			return err
		}
		a.PasswordPolicy = pp
		tx.put(key(tableAccount, accountID), a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateAccountPasswordPolicyOutput{}, nil
}

// DeleteAccountPasswordPolicy implements iamapi.API.
func (s *Service) DeleteAccountPasswordPolicy(ctx context.Context, _ *iamapi.DeleteAccountPasswordPolicyInput) (*iamapi.DeleteAccountPasswordPolicyOutput, error) {
	err := s.update(ctx, func(tx *txn) error {
		a, err := s.loadAccount(tx)
		if err != nil {
			return err
		}
		if a.PasswordPolicy == nil {
			return s.passwordPolicyNotFound()
		}
		a.PasswordPolicy = nil
		tx.put(key(tableAccount, accountID), a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteAccountPasswordPolicyOutput{}, nil
}
