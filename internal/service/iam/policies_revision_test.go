// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"testing"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/store"
)

// TestService_PoliciesRevision checks that PoliciesRevision moves with
// every change to what PoliciesFor reads, deletions included, and with
// nothing else.
func TestService_PoliciesRevision(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	other, err := store.NewTable[struct{ N int }](ctx, s.st, "other", store.TableConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rev := s.PoliciesRevision()
	if rev == 0 || rev > s.st.Revision() {
		t.Fatalf("PoliciesRevision() = %d on a fresh store at %d", rev, s.st.Revision())
	}
	step := func(what string, wantMove bool, write func() error) {
		t.Helper()
		storeBefore := s.st.Revision()
		if err := write(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if s.st.Revision() <= storeBefore {
			t.Fatalf("%s wrote nothing: store still at %d", what, storeBefore)
		}
		got := s.PoliciesRevision()
		switch {
		case got < rev:
			t.Errorf("%s: PoliciesRevision went back from %d to %d", what, rev, got)
		case wantMove && got == rev:
			t.Errorf("%s: PoliciesRevision stayed at %d", what, rev)
		case !wantMove && got != rev:
			t.Errorf("%s: PoliciesRevision moved from %d to %d", what, rev, got)
		}
		rev = got
	}
	call := func(_ any, err error) error { return err }
	arn := ""

	step("CreateUser", true, func() error { return call(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("alice")})) })
	step("PutUserPolicy", true, func() error {
		return call(s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: str("alice"), PolicyName: str("p"), PolicyDocument: str(allowS3)}))
	})
	step("write to another table", false, func() error { return call(other.Create(ctx, "x", &struct{ N int }{1})) })
	step("CreateInstanceProfile", false, func() error {
		return call(s.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileInput{InstanceProfileName: str("ip")}))
	})
	step("CreateGroup", true, func() error { return call(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("g")})) })
	step("AddUserToGroup", true, func() error {
		return call(s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: str("g"), UserName: str("alice")}))
	})
	step("CreatePolicy", true, func() error {
		out, err := s.CreatePolicy(ctx, &iamapi.CreatePolicyInput{PolicyName: str("cm"), PolicyDocument: str(allowS3)})
		if err == nil {
			arn = *out.Policy.Arn
		}
		return err
	})
	step("CreatePolicyVersion", true, func() error {
		return call(s.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionInput{PolicyArn: &arn, PolicyDocument: str(allowAll), SetAsDefault: ptr(true)}))
	})
	step("AttachGroupPolicy", true, func() error {
		return call(s.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyInput{GroupName: str("g"), PolicyArn: &arn}))
	})
	step("PutUserPermissionsBoundary", true, func() error {
		return call(s.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryInput{UserName: str("alice"), PermissionsBoundary: &arn}))
	})
	step("CreateRole", true, func() error {
		return call(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(ec2Trust)}))
	})
	step("write to another table again", false, func() error { return call(other.Put(ctx, "x", &struct{ N int }{2}, 0)) })
	step("DeleteRole", true, func() error { return call(s.DeleteRole(ctx, &iamapi.DeleteRoleInput{RoleName: str("r")})) })
	step("DeleteUserPolicy", true, func() error {
		return call(s.DeleteUserPolicy(ctx, &iamapi.DeleteUserPolicyInput{UserName: str("alice"), PolicyName: str("p")}))
	})
}
