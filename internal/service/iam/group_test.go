// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
)

func TestService_Groups(t *testing.T) {
	t.Parallel()
	s := newTestService(t, func(c *Config) { c.Quotas.GroupsPerUser = 2 })
	ctx := context.Background()
	g := must[*iamapi.CreateGroupOutput](t)(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("devs"), Path: str("/eng/")})).Group
	if !strings.HasPrefix(*g.GroupId, "AGPA") || *g.Arn != "arn:aws:iam::123456789012:group/eng/devs" {
		t.Errorf("group = %s %s", *g.GroupId, *g.Arn)
	}
	_, err := s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("Devs")})
	wantErr(t, err, iamapi.CodeEntityAlreadyExists, "Group with name Devs already exists.")
	must[*iamapi.CreateGroupOutput](t)(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("ops")}))
	must[*iamapi.CreateGroupOutput](t)(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("third")}))
	for i := range 3 {
		name := str(fmt.Sprintf("u%d", i))
		must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: name}))
		must[*iamapi.AddUserToGroupOutput](t)(s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: str("devs"), UserName: name}))
	}
	must[*iamapi.AddUserToGroupOutput](t)(s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: str("devs"), UserName: str("u0")})) // no-op
	must[*iamapi.AddUserToGroupOutput](t)(s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: str("OPS"), UserName: str("u0")}))
	_, err = s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: str("third"), UserName: str("u0")})
	wantErr(t, err, iamapi.CodeLimitExceeded, "Cannot exceed quota for GroupsPerUser: 2")
	_, err = s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: str("nope"), UserName: str("u0")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "The group with name nope cannot be found.")

	gg := must[*iamapi.GetGroupOutput](t)(s.GetGroup(ctx, &iamapi.GetGroupInput{GroupName: str("devs"), MaxItems: i32(2)}))
	if len(gg.Users) != 2 || !*gg.IsTruncated || *gg.Group.GroupName != "devs" {
		t.Fatalf("GetGroup page 1 = %+v", gg)
	}
	gg2 := must[*iamapi.GetGroupOutput](t)(s.GetGroup(ctx, &iamapi.GetGroupInput{GroupName: str("devs"), Marker: gg.Marker}))
	if len(gg2.Users) != 1 || *gg2.Users[0].UserName != "u2" || *gg2.IsTruncated {
		t.Errorf("GetGroup page 2 = %+v", gg2.Users)
	}
	fu := must[*iamapi.ListGroupsForUserOutput](t)(s.ListGroupsForUser(ctx, &iamapi.ListGroupsForUserInput{UserName: str("u0")}))
	var names []string
	for _, g := range fu.Groups {
		names = append(names, *g.GroupName)
	}
	if d := cmp.Diff([]string{"devs", "ops"}, names); d != "" {
		t.Errorf("ListGroupsForUser (-want +got):\n%s", d)
	}
	lg := must[*iamapi.ListGroupsOutput](t)(s.ListGroups(ctx, &iamapi.ListGroupsInput{PathPrefix: str("/eng/")}))
	if len(lg.Groups) != 1 || *lg.Groups[0].GroupName != "devs" {
		t.Errorf("ListGroups /eng/ = %v", lg.Groups)
	}

	// Rename keeps members; delete refuses while members remain.
	must[*iamapi.UpdateGroupOutput](t)(s.UpdateGroup(ctx, &iamapi.UpdateGroupInput{GroupName: str("devs"), NewGroupName: str("developers"), NewPath: str("/")}))
	gg = must[*iamapi.GetGroupOutput](t)(s.GetGroup(ctx, &iamapi.GetGroupInput{GroupName: str("developers")}))
	if len(gg.Users) != 3 || *gg.Group.Arn != "arn:aws:iam::123456789012:group/developers" {
		t.Errorf("after rename: %d users, %s", len(gg.Users), *gg.Group.Arn)
	}
	_, err = s.UpdateGroup(ctx, &iamapi.UpdateGroupInput{GroupName: str("developers"), NewGroupName: str("ops")})
	wantErr(t, err, iamapi.CodeEntityAlreadyExists, "Group with name ops already exists.")
	_, err = s.DeleteGroup(ctx, &iamapi.DeleteGroupInput{GroupName: str("developers")})
	wantErr(t, err, iamapi.CodeDeleteConflict, "Cannot delete entity, must remove users from group first.")
	for i := range 3 {
		must[*iamapi.RemoveUserFromGroupOutput](t)(s.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupInput{GroupName: str("developers"), UserName: str(fmt.Sprintf("u%d", i))}))
	}
	_, err = s.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupInput{GroupName: str("developers"), UserName: str("u0")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "The user with name u0 cannot be found.")

	must[*iamapi.PutGroupPolicyOutput](t)(s.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyInput{GroupName: str("developers"), PolicyName: str("p"), PolicyDocument: str(allowS3)}))
	must[*iamapi.AttachGroupPolicyOutput](t)(s.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyInput{GroupName: str("developers"), PolicyArn: str(ec2RoleARN)}))
	_, err = s.DeleteGroup(ctx, &iamapi.DeleteGroupInput{GroupName: str("developers")})
	wantErr(t, err, iamapi.CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
	must[*iamapi.DetachGroupPolicyOutput](t)(s.DetachGroupPolicy(ctx, &iamapi.DetachGroupPolicyInput{GroupName: str("developers"), PolicyArn: str(ec2RoleARN)}))
	_, err = s.DeleteGroup(ctx, &iamapi.DeleteGroupInput{GroupName: str("developers")})
	wantErr(t, err, iamapi.CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
	must[*iamapi.DeleteGroupPolicyOutput](t)(s.DeleteGroupPolicy(ctx, &iamapi.DeleteGroupPolicyInput{GroupName: str("developers"), PolicyName: str("p")}))
	must[*iamapi.DeleteGroupOutput](t)(s.DeleteGroup(ctx, &iamapi.DeleteGroupInput{GroupName: str("developers")}))
}

func TestService_InlinePolicies(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("u")}))
	must[*iamapi.CreateGroupOutput](t)(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("g")}))
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(ec2Trust)}))

	// Put, get (URL-encoded), replace, list.
	must[*iamapi.PutRolePolicyOutput](t)(s.PutRolePolicy(ctx, &iamapi.PutRolePolicyInput{RoleName: str("r"), PolicyName: str("b"), PolicyDocument: str(allowS3)}))
	must[*iamapi.PutRolePolicyOutput](t)(s.PutRolePolicy(ctx, &iamapi.PutRolePolicyInput{RoleName: str("R"), PolicyName: str("a"), PolicyDocument: str(encodeDocument(allowS3))}))
	must[*iamapi.PutRolePolicyOutput](t)(s.PutRolePolicy(ctx, &iamapi.PutRolePolicyInput{RoleName: str("r"), PolicyName: str("b"), PolicyDocument: str(allowAll)}))
	got := must[*iamapi.GetRolePolicyOutput](t)(s.GetRolePolicy(ctx, &iamapi.GetRolePolicyInput{RoleName: str("R"), PolicyName: str("b")}))
	if *got.RoleName != "r" || *got.PolicyName != "b" || decoded(t, got.PolicyDocument) != allowAll {
		t.Errorf("GetRolePolicy = %s %s %s", *got.RoleName, *got.PolicyName, *got.PolicyDocument)
	}
	a := must[*iamapi.GetRolePolicyOutput](t)(s.GetRolePolicy(ctx, &iamapi.GetRolePolicyInput{RoleName: str("r"), PolicyName: str("a")}))
	if decoded(t, a.PolicyDocument) != allowS3 {
		t.Errorf("URL-encoded put stored %s", decoded(t, a.PolicyDocument))
	}
	names := must[*iamapi.ListRolePoliciesOutput](t)(s.ListRolePolicies(ctx, &iamapi.ListRolePoliciesInput{RoleName: str("r")}))
	if d := cmp.Diff([]string{"a", "b"}, names.PolicyNames); d != "" {
		t.Errorf("ListRolePolicies (-want +got):\n%s", d)
	}
	page := must[*iamapi.ListRolePoliciesOutput](t)(s.ListRolePolicies(ctx, &iamapi.ListRolePoliciesInput{RoleName: str("r"), MaxItems: i32(1)}))
	if len(page.PolicyNames) != 1 || !*page.IsTruncated {
		t.Errorf("page = %+v", page)
	}

	tests := []struct {
		name string
		put  func(doc string) error
		get  func() error
		del  func() error
		kind string
		lim  int
	}{
		{"user", func(doc string) error {
			_, err := s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: str("u"), PolicyName: str("p"), PolicyDocument: &doc})
			return err
		}, func() error {
			_, err := s.GetUserPolicy(ctx, &iamapi.GetUserPolicyInput{UserName: str("u"), PolicyName: str("missing")})
			return err
		}, func() error {
			_, err := s.DeleteUserPolicy(ctx, &iamapi.DeleteUserPolicyInput{UserName: str("u"), PolicyName: str("missing")})
			return err
		}, "user u", quotaUserPolicySize},
		{"group", func(doc string) error {
			_, err := s.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyInput{GroupName: str("g"), PolicyName: str("p"), PolicyDocument: &doc})
			return err
		}, func() error {
			_, err := s.GetGroupPolicy(ctx, &iamapi.GetGroupPolicyInput{GroupName: str("g"), PolicyName: str("missing")})
			return err
		}, func() error {
			_, err := s.DeleteGroupPolicy(ctx, &iamapi.DeleteGroupPolicyInput{GroupName: str("g"), PolicyName: str("missing")})
			return err
		}, "group g", quotaGroupPolicySize},
		{"role", func(doc string) error {
			_, err := s.PutRolePolicy(ctx, &iamapi.PutRolePolicyInput{RoleName: str("r"), PolicyName: str("p"), PolicyDocument: &doc})
			return err
		}, func() error {
			_, err := s.GetRolePolicy(ctx, &iamapi.GetRolePolicyInput{RoleName: str("r"), PolicyName: str("missing")})
			return err
		}, func() error {
			_, err := s.DeleteRolePolicy(ctx, &iamapi.DeleteRolePolicyInput{RoleName: str("r"), PolicyName: str("missing")})
			return err
		}, "role r", quotaRolePolicySize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The aggregate quota counts the other inline policies too.
			others := 0
			if tc.name == "role" {
				others = documentSize(allowS3) + documentSize(allowAll)
			}
			if err := tc.put(sizedPolicy(tc.lim - others)); err != nil {
				t.Fatalf("at the limit: %v", err)
			}
			wantErr(t, tc.put(sizedPolicy(tc.lim-others+1)), iamapi.CodeLimitExceeded,
				fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s", tc.lim, tc.kind))
			wantErr(t, tc.put(ec2Trust), iamapi.CodeMalformedPolicyDocument, "Policy document should not specify a principal.")
			kind := strings.Fields(tc.kind)[0]
			wantErr(t, tc.get(), iamapi.CodeNoSuchEntity, "The "+kind+" policy with name missing cannot be found.")
			wantErr(t, tc.del(), iamapi.CodeNoSuchEntity, "The "+kind+" policy with name missing cannot be found.")
		})
	}
	_, err := s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: str("nobody"), PolicyName: str("p"), PolicyDocument: str(allowS3)})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "The user with name nobody cannot be found.")
	_, err = s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: str("u"), PolicyName: str("a b"), PolicyDocument: str(allowS3)})
	wantErr(t, err, "ValidationError", `1 validation error detected: Value 'a b' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`)
}
