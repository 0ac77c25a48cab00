// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
)

func TestService_AccessKeys(t *testing.T) {
	t.Parallel()
	now := testNow
	s := newTestService(t, func(c *Config) { c.Clock = func() time.Time { return now } })
	ctx := context.Background()
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("u"), Tags: []iamapi.Tag{{Key: str("team"), Value: str("a")}}}))
	k1 := must[*iamapi.CreateAccessKeyOutput](t)(s.CreateAccessKey(ctx, &iamapi.CreateAccessKeyInput{UserName: str("u")})).AccessKey
	if !strings.HasPrefix(*k1.AccessKeyId, "AKIA") || len(*k1.AccessKeyId) != 20 || len(*k1.SecretAccessKey) != 40 || *k1.Status != "Active" || *k1.UserName != "u" {
		t.Errorf("key = %s %d %s", *k1.AccessKeyId, len(*k1.SecretAccessKey), *k1.Status)
	}
	k2 := must[*iamapi.CreateAccessKeyOutput](t)(s.CreateAccessKey(userCtx("u"), &iamapi.CreateAccessKeyInput{})).AccessKey // the caller
	_, err := s.CreateAccessKey(ctx, &iamapi.CreateAccessKeyInput{UserName: str("u")})
	wantErr(t, err, iamapi.CodeLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: 2")

	list := must[*iamapi.ListAccessKeysOutput](t)(s.ListAccessKeys(ctx, &iamapi.ListAccessKeysInput{UserName: str("u")}))
	if len(list.AccessKeyMetadata) != 2 {
		t.Fatalf("keys = %v", list.AccessKeyMetadata)
	}
	must[*iamapi.UpdateAccessKeyOutput](t)(s.UpdateAccessKey(ctx, &iamapi.UpdateAccessKeyInput{UserName: str("u"), AccessKeyId: k2.AccessKeyId, Status: str("Inactive")}))
	_, err = s.UpdateAccessKey(ctx, &iamapi.UpdateAccessKeyInput{UserName: str("u"), AccessKeyId: k2.AccessKeyId, Status: str("Off")})
	wantErr(t, err, "ValidationError", "1 validation error detected: Value 'Off' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]")

	// AccessKey: what authentication sees.
	info := must[AccessKeyInfo](t)(s.AccessKey(ctx, *k1.AccessKeyId))
	want := &principal.Principal{Kind: principal.User, AccountID: testAccount, ARN: "arn:aws:iam::123456789012:user/u", UserID: info.Principal.UserID,
		Name: "u", AccessKeyID: *k1.AccessKeyId, Tags: map[string]string{"team": "a"}}
	if d := cmp.Diff(want, info.Principal); d != "" || info.Secret != *k1.SecretAccessKey || !info.Active {
		t.Errorf("AccessKey (-want +got):\n%s", d)
	}
	if strings.Contains(info.String(), info.Secret) || strings.Contains(fmt.Sprint(info), info.Secret) {
		t.Errorf("AccessKeyInfo prints its secret")
	}
	if i2 := must[AccessKeyInfo](t)(s.AccessKey(ctx, *k2.AccessKeyId)); i2.Active {
		t.Errorf("inactive key reported active")
	}
	_, err = s.AccessKey(ctx, "AKIANOTAKEY000000000")
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}

	// Last used: buffered, then flushed.
	lu := must[*iamapi.GetAccessKeyLastUsedOutput](t)(s.GetAccessKeyLastUsed(ctx, &iamapi.GetAccessKeyLastUsedInput{AccessKeyId: k1.AccessKeyId}))
	wantLU := &iamapi.GetAccessKeyLastUsedOutput{UserName: str("u"), AccessKeyLastUsed: &iamapi.AccessKeyLastUsed{ServiceName: str("N/A"), Region: str("N/A")}}
	if d := cmp.Diff(wantLU, lu); d != "" {
		t.Errorf("never used (-want +got):\n%s", d)
	}
	now = testNow.Add(time.Hour)
	s.RecordAccessKeyUse(ctx, *k1.AccessKeyId, "ecs", "us-east-1")
	wantLU.AccessKeyLastUsed = &iamapi.AccessKeyLastUsed{LastUsedDate: &now, ServiceName: str("ecs"), Region: str("us-east-1")}
	lu = must[*iamapi.GetAccessKeyLastUsedOutput](t)(s.GetAccessKeyLastUsed(ctx, &iamapi.GetAccessKeyLastUsedInput{AccessKeyId: k1.AccessKeyId}))
	if d := cmp.Diff(wantLU, lu); d != "" {
		t.Errorf("used (-want +got):\n%s", d)
	}
	if err := s.FlushLastUsed(ctx); err != nil {
		t.Fatal(err)
	}
	rec := must[*accessKeyRec](t)(getRecView[accessKeyRec](s, key(tableKeys, *k1.AccessKeyId)))
	if rec.LastUsed == nil || rec.LastUsed.Service != "ecs" || !rec.LastUsed.Date.Equal(now) {
		t.Errorf("flushed last used = %+v", rec.LastUsed)
	}
	lu = must[*iamapi.GetAccessKeyLastUsedOutput](t)(s.GetAccessKeyLastUsed(ctx, &iamapi.GetAccessKeyLastUsedInput{AccessKeyId: k1.AccessKeyId}))
	if d := cmp.Diff(wantLU, lu); d != "" {
		t.Errorf("after flush (-want +got):\n%s", d)
	}
	// A flush with nothing new leaves the record alone.
	if err := s.FlushLastUsed(ctx); err != nil {
		t.Fatal(err)
	}

	// Delete: only the owner's keys.
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("other")}))
	_, err = s.DeleteAccessKey(ctx, &iamapi.DeleteAccessKeyInput{UserName: str("other"), AccessKeyId: k1.AccessKeyId})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "The Access Key with id "+*k1.AccessKeyId+" cannot be found.")
	must[*iamapi.DeleteAccessKeyOutput](t)(s.DeleteAccessKey(ctx, &iamapi.DeleteAccessKeyInput{UserName: str("u"), AccessKeyId: k1.AccessKeyId}))
	if _, err := s.AccessKey(ctx, *k1.AccessKeyId); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted key: %v", err)
	}
	_, err = s.GetAccessKeyLastUsed(ctx, &iamapi.GetAccessKeyLastUsedInput{AccessKeyId: k1.AccessKeyId})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "")
	_, err = s.ListAccessKeys(ctx, &iamapi.ListAccessKeysInput{})
	wantErr(t, err, "ValidationError", "Must specify userName when calling with non-User credentials")
}

func TestService_RootAccessKeys(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	if _, err := s.RootAccessKey(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("RootAccessKey before = %v", err)
	}
	const id, secret = "AKIAROOTKEY000000000", "root-secret-root-secret-root-secret-0000"
	created := must[bool](t)(s.EnsureRootAccessKey(ctx, id, secret))
	again := must[bool](t)(s.EnsureRootAccessKey(ctx, id, secret))
	if !created || again {
		t.Errorf("EnsureRootAccessKey created = %v, %v", created, again)
	}
	info := must[AccessKeyInfo](t)(s.RootAccessKey(ctx))
	if info.AccessKeyID != id || info.Secret != secret || info.Principal.Kind != principal.Root || info.Principal.ARN != "arn:aws:iam::123456789012:root" {
		t.Errorf("RootAccessKey = %v %+v", info, info.Principal)
	}
	// Root keys are not a user's.
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("u")}))
	if l := must[*iamapi.ListAccessKeysOutput](t)(s.ListAccessKeys(ctx, &iamapi.ListAccessKeysInput{UserName: str("u")})); len(l.AccessKeyMetadata) != 0 {
		t.Errorf("user lists root keys: %v", l.AccessKeyMetadata)
	}
	_, err := s.DeleteAccessKey(ctx, &iamapi.DeleteAccessKeyInput{UserName: str("u"), AccessKeyId: str(id)})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "")
	// Root manages its own keys without UserName.
	l := must[*iamapi.ListAccessKeysOutput](t)(s.ListAccessKeys(rootCtx(), &iamapi.ListAccessKeysInput{}))
	if len(l.AccessKeyMetadata) != 1 || *l.AccessKeyMetadata[0].AccessKeyId != id || l.AccessKeyMetadata[0].UserName != nil {
		t.Errorf("root keys = %+v", l.AccessKeyMetadata)
	}
	k := must[*iamapi.CreateAccessKeyOutput](t)(s.CreateAccessKey(rootCtx(), &iamapi.CreateAccessKeyInput{})).AccessKey
	_, err = s.CreateAccessKey(rootCtx(), &iamapi.CreateAccessKeyInput{})
	wantErr(t, err, iamapi.CodeLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: 2")
	must[*iamapi.DeleteAccessKeyOutput](t)(s.DeleteAccessKey(rootCtx(), &iamapi.DeleteAccessKeyInput{AccessKeyId: k.AccessKeyId}))
	sum := must[*iamapi.GetAccountSummaryOutput](t)(s.GetAccountSummary(ctx, &iamapi.GetAccountSummaryInput{})).SummaryMap
	if sum["AccountAccessKeysPresent"] != 1 || sum["Users"] != 1 {
		t.Errorf("summary = %v", sum)
	}
	if _, err := s.EnsureRootAccessKey(ctx, "short", "x"); err == nil {
		t.Errorf("EnsureRootAccessKey accepted a bad id")
	}
}

func TestService_LoginProfiles(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("u")}))
	lp := must[*iamapi.CreateLoginProfileOutput](t)(s.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileInput{UserName: str("u"), Password: str("first-Pass1"), PasswordResetRequired: ptr(true)}))
	want := &iamapi.LoginProfile{UserName: str("u"), CreateDate: &testNow, PasswordResetRequired: ptr(true)}
	if d := cmp.Diff(want, lp.LoginProfile); d != "" {
		t.Errorf("CreateLoginProfile (-want +got):\n%s", d)
	}
	_, err := s.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileInput{UserName: str("u"), Password: str("x")})
	wantErr(t, err, iamapi.CodeEntityAlreadyExists, "Login Profile for user u already exists.")
	got := must[*iamapi.GetLoginProfileOutput](t)(s.GetLoginProfile(ctx, &iamapi.GetLoginProfileInput{UserName: str("u")}))
	if d := cmp.Diff(want, got.LoginProfile); d != "" {
		t.Errorf("GetLoginProfile (-want +got):\n%s", d)
	}
	if ok := must[bool](t)(s.CheckPassword(ctx, "u", "first-Pass1")); !ok {
		t.Errorf("CheckPassword rejects the password")
	}
	if ok := must[bool](t)(s.CheckPassword(ctx, "u", "wrong")); ok {
		t.Errorf("CheckPassword accepts a wrong password")
	}
	rec := must[*userRec](t)(getRecView[userRec](s, userKey("u")))
	if strings.Contains(rec.Login.Hash, "first-Pass1") || !strings.HasPrefix(rec.Login.Hash, "$argon2id$") {
		t.Errorf("stored hash = %q", rec.Login.Hash)
	}

	// Password policy.
	_, err = s.GetAccountPasswordPolicy(ctx, &iamapi.GetAccountPasswordPolicyInput{})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "The Password Policy with domain name 123456789012 cannot be found.")
	_, err = s.UpdateAccountPasswordPolicy(ctx, &iamapi.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: i32(5)})
	wantErr(t, err, "ValidationError", "1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6")
	must[*iamapi.UpdateAccountPasswordPolicyOutput](t)(s.UpdateAccountPasswordPolicy(ctx, &iamapi.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: i32(10), RequireUppercaseCharacters: ptr(true), RequireNumbers: ptr(true), RequireSymbols: ptr(true), MaxPasswordAge: i32(90),
	}))
	pp := must[*iamapi.GetAccountPasswordPolicyOutput](t)(s.GetAccountPasswordPolicy(ctx, &iamapi.GetAccountPasswordPolicyInput{})).PasswordPolicy
	wantPP := &iamapi.PasswordPolicy{
		MinimumPasswordLength: i32(10), RequireSymbols: ptr(true), RequireNumbers: ptr(true), RequireUppercaseCharacters: ptr(true),
		RequireLowercaseCharacters: ptr(false), AllowUsersToChangePassword: ptr(false), ExpirePasswords: ptr(true), MaxPasswordAge: i32(90), HardExpiry: ptr(false),
	}
	if d := cmp.Diff(wantPP, pp); d != "" {
		t.Errorf("GetAccountPasswordPolicy (-want +got):\n%s", d)
	}
	for _, tc := range []struct{ pw, msg string }{
		{"Short1!", "Password should have a minimum length of 10"},
		{"lowercase1!", "Password should have at least one uppercase letter"},
		{"NoNumbers!!", "Password should have at least one number"},
		{"NoSymbols11", "Password should have at least one symbol"},
	} {
		_, err := s.UpdateLoginProfile(ctx, &iamapi.UpdateLoginProfileInput{UserName: str("u"), Password: str(tc.pw)})
		wantErr(t, err, iamapi.CodePasswordPolicyViolation, tc.msg)
	}
	must[*iamapi.UpdateLoginProfileOutput](t)(s.UpdateLoginProfile(ctx, &iamapi.UpdateLoginProfileInput{UserName: str("u"), Password: str("Good-Pass-123"), PasswordResetRequired: ptr(false)}))

	// ChangePassword: the caller's own.
	_, err = s.ChangePassword(userCtx("u"), &iamapi.ChangePasswordInput{OldPassword: str("first-Pass1"), NewPassword: str("Other-Pass-456")})
	wantErr(t, err, "AccessDenied", "The old password was incorrect.")
	_, err = s.ChangePassword(userCtx("u"), &iamapi.ChangePasswordInput{OldPassword: str("Good-Pass-123"), NewPassword: str("weak")})
	wantErr(t, err, iamapi.CodePasswordPolicyViolation, "Password should have a minimum length of 10")
	must[*iamapi.ChangePasswordOutput](t)(s.ChangePassword(userCtx("u"), &iamapi.ChangePasswordInput{OldPassword: str("Good-Pass-123"), NewPassword: str("Other-Pass-456")}))
	if ok := must[bool](t)(s.CheckPassword(ctx, "u", "Other-Pass-456")); !ok {
		t.Errorf("new password not set")
	}
	_, err = s.ChangePassword(rootCtx(), &iamapi.ChangePasswordInput{OldPassword: str("a"), NewPassword: str("b")})
	wantErr(t, err, iamapi.CodeInvalidUserType, "")

	must[*iamapi.DeleteAccountPasswordPolicyOutput](t)(s.DeleteAccountPasswordPolicy(ctx, &iamapi.DeleteAccountPasswordPolicyInput{}))
	_, err = s.DeleteAccountPasswordPolicy(ctx, &iamapi.DeleteAccountPasswordPolicyInput{})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "")
	must[*iamapi.DeleteLoginProfileOutput](t)(s.DeleteLoginProfile(ctx, &iamapi.DeleteLoginProfileInput{UserName: str("u")}))
	_, err = s.GetLoginProfile(ctx, &iamapi.GetLoginProfileInput{UserName: str("u")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "Login Profile for User u cannot be found.")
}

func TestService_InstanceProfiles(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	ip := must[*iamapi.CreateInstanceProfileOutput](t)(s.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileInput{
		InstanceProfileName: str("ecsInstanceRole"), Tags: []iamapi.Tag{{Key: str("k"), Value: str("v")}},
	})).InstanceProfile
	if !strings.HasPrefix(*ip.InstanceProfileId, "AIPA") || *ip.Arn != "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole" || ip.Roles == nil {
		t.Errorf("profile = %+v", ip)
	}
	_, err := s.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileInput{InstanceProfileName: str("ECSInstanceRole")})
	wantErr(t, err, iamapi.CodeEntityAlreadyExists, "Instance Profile ECSInstanceRole already exists.")
	must[*iamapi.CreateInstanceProfileOutput](t)(s.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileInput{InstanceProfileName: str("other"), Path: str("/x/")}))
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("ecsInstanceRole"), AssumeRolePolicyDocument: str(ec2Trust)}))
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("second"), AssumeRolePolicyDocument: str(ec2Trust)}))
	must[*iamapi.AddRoleToInstanceProfileOutput](t)(s.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: str("ecsInstanceRole"), RoleName: str("ecsInstanceRole")}))
	must[*iamapi.AddRoleToInstanceProfileOutput](t)(s.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: str("other"), RoleName: str("ecsInstanceRole")}))
	_, err = s.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: str("ecsInstanceRole"), RoleName: str("second")})
	wantErr(t, err, iamapi.CodeLimitExceeded, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")

	got := must[*iamapi.GetInstanceProfileOutput](t)(s.GetInstanceProfile(ctx, &iamapi.GetInstanceProfileInput{InstanceProfileName: str("ecsInstanceRole")})).InstanceProfile
	if len(got.Roles) != 1 || *got.Roles[0].RoleName != "ecsInstanceRole" || decoded(t, got.Roles[0].AssumeRolePolicyDocument) != ec2Trust || len(got.Tags) != 1 {
		t.Errorf("GetInstanceProfile = %+v", got)
	}
	forRole := must[*iamapi.ListInstanceProfilesForRoleOutput](t)(s.ListInstanceProfilesForRole(ctx, &iamapi.ListInstanceProfilesForRoleInput{RoleName: str("ecsInstanceRole")}))
	if len(forRole.InstanceProfiles) != 2 {
		t.Errorf("ListInstanceProfilesForRole = %d", len(forRole.InstanceProfiles))
	}
	list := must[*iamapi.ListInstanceProfilesOutput](t)(s.ListInstanceProfiles(ctx, &iamapi.ListInstanceProfilesInput{PathPrefix: str("/x/")}))
	if len(list.InstanceProfiles) != 1 || *list.InstanceProfiles[0].InstanceProfileName != "other" || list.InstanceProfiles[0].Tags != nil {
		t.Errorf("ListInstanceProfiles /x/ = %+v", list.InstanceProfiles)
	}
	info := must[*InstanceProfileInfo](t)(s.InstanceProfile(ctx, "ecsinstancerole"))
	if len(info.Roles) != 1 || info.Roles[0].TrustPolicy != ec2Trust || info.Roles[0].ARN != "arn:aws:iam::123456789012:role/ecsInstanceRole" {
		t.Errorf("InstanceProfile = %+v", info)
	}
	byARN := must[*InstanceProfileInfo](t)(s.InstanceProfileByARN(ctx, "arn:aws:iam::123456789012:instance-profile/x/other"))
	if byARN.Name != "other" {
		t.Errorf("InstanceProfileByARN = %+v", byARN)
	}
	if _, err := s.InstanceProfileByARN(ctx, "arn:aws:iam::123456789012:instance-profile/other"); !errors.Is(err, ErrNotFound) {
		t.Errorf("wrong path: %v", err)
	}

	must[*iamapi.TagInstanceProfileOutput](t)(s.TagInstanceProfile(ctx, &iamapi.TagInstanceProfileInput{InstanceProfileName: str("other"), Tags: []iamapi.Tag{{Key: str("a"), Value: str("b")}}}))
	must[*iamapi.UntagInstanceProfileOutput](t)(s.UntagInstanceProfile(ctx, &iamapi.UntagInstanceProfileInput{InstanceProfileName: str("other"), TagKeys: []string{"a"}}))
	tags := must[*iamapi.ListInstanceProfileTagsOutput](t)(s.ListInstanceProfileTags(ctx, &iamapi.ListInstanceProfileTagsInput{InstanceProfileName: str("other")}))
	if len(tags.Tags) != 0 {
		t.Errorf("tags = %v", tags.Tags)
	}

	_, err = s.DeleteInstanceProfile(ctx, &iamapi.DeleteInstanceProfileInput{InstanceProfileName: str("other")})
	wantErr(t, err, iamapi.CodeDeleteConflict, "Cannot delete entity, must remove roles from instance profile first.")
	_, err = s.RemoveRoleFromInstanceProfile(ctx, &iamapi.RemoveRoleFromInstanceProfileInput{InstanceProfileName: str("other"), RoleName: str("second")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "The role with name second cannot be found.")
	must[*iamapi.RemoveRoleFromInstanceProfileOutput](t)(s.RemoveRoleFromInstanceProfile(ctx, &iamapi.RemoveRoleFromInstanceProfileInput{InstanceProfileName: str("other"), RoleName: str("ecsInstanceRole")}))
	must[*iamapi.DeleteInstanceProfileOutput](t)(s.DeleteInstanceProfile(ctx, &iamapi.DeleteInstanceProfileInput{InstanceProfileName: str("other")}))
	_, err = s.GetInstanceProfile(ctx, &iamapi.GetInstanceProfileInput{InstanceProfileName: str("other")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "Instance Profile other cannot be found.")
	forRole = must[*iamapi.ListInstanceProfilesForRoleOutput](t)(s.ListInstanceProfilesForRole(ctx, &iamapi.ListInstanceProfilesForRoleInput{RoleName: str("ecsInstanceRole")}))
	if len(forRole.InstanceProfiles) != 1 {
		t.Errorf("ListInstanceProfilesForRole after remove = %d", len(forRole.InstanceProfiles))
	}
}
