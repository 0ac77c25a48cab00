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
	"github.com/berthdev/berth/internal/awserr"
)

func TestService_CreateUser_Validation(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	long := strings.Repeat("a", 65)
	tests := []struct {
		name string
		in   *iamapi.CreateUserInput
		code string
		msg  string
	}{
		{"missing name", &iamapi.CreateUserInput{}, awserr.CodeValidationError,
			"1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
		{"bad name", &iamapi.CreateUserInput{UserName: str("a b")}, awserr.CodeValidationError,
			`1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"long name", &iamapi.CreateUserInput{UserName: str(long)}, awserr.CodeValidationError,
			"1 validation error detected: Value '" + long + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"bad path and name", &iamapi.CreateUserInput{UserName: str("a b"), Path: str("x")}, awserr.CodeValidationError,
			`2 validation errors detected: Value 'x' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F); Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"duplicate tag keys", &iamapi.CreateUserInput{UserName: str("u"), Tags: []iamapi.Tag{{Key: str("Team"), Value: str("a")}, {Key: str("team"), Value: str("b")}}},
			iamapi.CodeInvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"bad tag key", &iamapi.CreateUserInput{UserName: str("u"), Tags: []iamapi.Tag{{Key: str("a*b"), Value: str("v")}}}, awserr.CodeValidationError,
			`1 validation error detected: Value 'a*b' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
		{"boundary missing", &iamapi.CreateUserInput{UserName: str("u"), PermissionsBoundary: str(policyARN("nope"))}, iamapi.CodeNoSuchEntity,
			"Policy arn:aws:iam::123456789012:policy/nope does not exist or is not attachable."},
		{"boundary invalid", &iamapi.CreateUserInput{UserName: str("u"), PermissionsBoundary: str("arn:aws:iam::1:nothing/x")}, iamapi.CodeInvalidInput,
			"ARN arn:aws:iam::1:nothing/x is not valid."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateUser(ctx, tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
}

func TestService_CreateUser_GetUser(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	out := must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{
		UserName: str("Alice"), Path: str("/eng/"),
		Tags: []iamapi.Tag{{Key: str("team"), Value: str("core")}},
	}))
	id := *out.User.UserId
	if !strings.HasPrefix(id, "AIDA") || len(id) != 21 || strings.ToUpper(id) != id {
		t.Errorf("UserId = %q, want AIDA + 17 upper-case characters", id)
	}
	want := &iamapi.User{
		Path: str("/eng/"), UserName: str("Alice"), UserId: &id,
		Arn: str("arn:aws:iam::123456789012:user/eng/Alice"), CreateDate: &testNow,
		Tags: []iamapi.Tag{{Key: str("team"), Value: str("core")}},
	}
	if d := cmp.Diff(want, out.User); d != "" {
		t.Errorf("CreateUser (-want +got):\n%s", d)
	}
	for _, name := range []string{"Alice", "alice", "ALICE"} {
		got := must[*iamapi.GetUserOutput](t)(s.GetUser(ctx, &iamapi.GetUserInput{UserName: str(name)}))
		if d := cmp.Diff(want, got.User); d != "" {
			t.Errorf("GetUser(%s) (-want +got):\n%s", name, d)
		}
	}
	_, err := s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("ALICE")})
	wantErr(t, err, iamapi.CodeEntityAlreadyExists, "User with name ALICE already exists.")
	_, err = s.GetUser(ctx, &iamapi.GetUserInput{UserName: str("bob")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "The user with name bob cannot be found.")

	// Without UserName: the caller.
	got := must[*iamapi.GetUserOutput](t)(s.GetUser(userCtx("Alice"), &iamapi.GetUserInput{}))
	if *got.User.UserId != id {
		t.Errorf("GetUser as Alice = %v", *got.User.UserId)
	}
	root := must[*iamapi.GetUserOutput](t)(s.GetUser(rootCtx(), &iamapi.GetUserInput{}))
	if *root.User.Arn != "arn:aws:iam::123456789012:root" || *root.User.UserId != testAccount {
		t.Errorf("GetUser as root = %v %v", *root.User.Arn, *root.User.UserId)
	}
	_, err = s.GetUser(ctx, &iamapi.GetUserInput{})
	wantErr(t, err, awserr.CodeValidationError, "Must specify userName when calling with non-User credentials")
}

func TestService_ListUsers_Pagination(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("user%02d", i)
		path := "/a/"
		if i%2 == 1 {
			path = "/b/"
		}
		must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str(name), Path: str(path)}))
		want = append(want, name)
	}
	tests := []struct {
		name   string
		prefix *string
		max    int32
		want   []string
	}{
		{"all by 3", nil, 3, want},
		{"all by 100", nil, 100, want},
		{"prefix /b/ by 2", str("/b/"), 2, []string{"user01", "user03", "user05"}},
		{"prefix /a", str("/a"), 1, []string{"user00", "user02", "user04", "user06"}},
		{"prefix /c/", str("/c/"), 5, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			var marker *string
			for pages := 0; ; pages++ {
				out := must[*iamapi.ListUsersOutput](t)(s.ListUsers(ctx, &iamapi.ListUsersInput{PathPrefix: tc.prefix, MaxItems: &tc.max, Marker: marker}))
				if len(out.Users) > int(tc.max) {
					t.Fatalf("page of %d users, MaxItems %d", len(out.Users), tc.max)
				}
				for _, u := range out.Users {
					got = append(got, *u.UserName)
					if u.Tags != nil || u.PermissionsBoundary != nil {
						t.Errorf("ListUsers returned tags or boundary: %v", u)
					}
				}
				if !*out.IsTruncated {
					if out.Marker != nil {
						t.Errorf("Marker set on the last page")
					}
					break
				}
				marker = out.Marker
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("users (-want +got):\n%s", d)
			}
		})
	}
	_, err := s.ListUsers(ctx, &iamapi.ListUsersInput{MaxItems: i32(0)})
	wantErr(t, err, awserr.CodeValidationError, "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1")
	_, err = s.ListUsers(ctx, &iamapi.ListUsersInput{Marker: str("!!!")})
	wantErr(t, err, awserr.CodeValidationError, "Invalid Marker.")
}

func TestService_UpdateUser(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("old")}))
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("taken")}))
	must[*iamapi.CreateGroupOutput](t)(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("g")}))
	must[*iamapi.AddUserToGroupOutput](t)(s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: str("g"), UserName: str("old")}))
	key := must[*iamapi.CreateAccessKeyOutput](t)(s.CreateAccessKey(ctx, &iamapi.CreateAccessKeyInput{UserName: str("old")}))

	_, err := s.UpdateUser(ctx, &iamapi.UpdateUserInput{UserName: str("old"), NewUserName: str("Taken")})
	wantErr(t, err, iamapi.CodeEntityAlreadyExists, "User with name Taken already exists.")
	must[*iamapi.UpdateUserOutput](t)(s.UpdateUser(ctx, &iamapi.UpdateUserInput{UserName: str("old"), NewUserName: str("new"), NewPath: str("/p/")}))

	_, err = s.GetUser(ctx, &iamapi.GetUserInput{UserName: str("old")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "")
	u := must[*iamapi.GetUserOutput](t)(s.GetUser(ctx, &iamapi.GetUserInput{UserName: str("new")}))
	if *u.User.Arn != "arn:aws:iam::123456789012:user/p/new" {
		t.Errorf("Arn = %s", *u.User.Arn)
	}
	groups := must[*iamapi.GetGroupOutput](t)(s.GetGroup(ctx, &iamapi.GetGroupInput{GroupName: str("g")}))
	if len(groups.Users) != 1 || *groups.Users[0].UserName != "new" {
		t.Errorf("group members after rename = %v", groups.Users)
	}
	info := must[AccessKeyInfo](t)(s.AccessKey(ctx, *key.AccessKey.AccessKeyId))
	if info.Principal.Name != "new" {
		t.Errorf("access key owner after rename = %q", info.Principal.Name)
	}
	keys := must[*iamapi.ListAccessKeysOutput](t)(s.ListAccessKeys(ctx, &iamapi.ListAccessKeysInput{UserName: str("new")}))
	if len(keys.AccessKeyMetadata) != 1 || *keys.AccessKeyMetadata[0].UserName != "new" {
		t.Errorf("keys after rename = %v", keys.AccessKeyMetadata)
	}
	// A case-only rename keeps the record.
	must[*iamapi.UpdateUserOutput](t)(s.UpdateUser(ctx, &iamapi.UpdateUserInput{UserName: str("new"), NewUserName: str("New")}))
	u = must[*iamapi.GetUserOutput](t)(s.GetUser(ctx, &iamapi.GetUserInput{UserName: str("new")}))
	if *u.User.UserName != "New" {
		t.Errorf("UserName = %s", *u.User.UserName)
	}
}

func TestService_DeleteUser_Conflicts(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("u")}))
	must[*iamapi.CreateGroupOutput](t)(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("g")}))
	must[*iamapi.CreateLoginProfileOutput](t)(s.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileInput{UserName: str("u"), Password: str("Secret-123")}))
	key := must[*iamapi.CreateAccessKeyOutput](t)(s.CreateAccessKey(ctx, &iamapi.CreateAccessKeyInput{UserName: str("u")}))
	must[*iamapi.PutUserPolicyOutput](t)(s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: str("u"), PolicyName: str("p"), PolicyDocument: str(allowS3)}))
	must[*iamapi.AttachUserPolicyOutput](t)(s.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyInput{UserName: str("u"), PolicyArn: str(ec2RoleARN)}))
	must[*iamapi.AddUserToGroupOutput](t)(s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: str("g"), UserName: str("u")}))
	must[*iamapi.PutUserPermissionsBoundaryOutput](t)(s.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryInput{UserName: str("u"), PermissionsBoundary: str(ec2RoleARN)}))

	steps := []struct {
		msg    string
		remove func() error
	}{
		{"Cannot delete entity, must delete login profile first.", func() error {
			_, err := s.DeleteLoginProfile(ctx, &iamapi.DeleteLoginProfileInput{UserName: str("u")})
			return err
		}},
		{"Cannot delete entity, must delete access keys first.", func() error {
			_, err := s.DeleteAccessKey(ctx, &iamapi.DeleteAccessKeyInput{UserName: str("u"), AccessKeyId: key.AccessKey.AccessKeyId})
			return err
		}},
		{"Cannot delete entity, must delete policies first.", func() error {
			_, err := s.DeleteUserPolicy(ctx, &iamapi.DeleteUserPolicyInput{UserName: str("u"), PolicyName: str("p")})
			return err
		}},
		{"Cannot delete entity, must detach all policies first.", func() error {
			_, err := s.DetachUserPolicy(ctx, &iamapi.DetachUserPolicyInput{UserName: str("u"), PolicyArn: str(ec2RoleARN)})
			return err
		}},
		{"Cannot delete entity, must remove users from group first.", func() error {
			_, err := s.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupInput{UserName: str("u"), GroupName: str("g")})
			return err
		}},
	}
	for _, st := range steps {
		_, err := s.DeleteUser(ctx, &iamapi.DeleteUserInput{UserName: str("u")})
		wantErr(t, err, iamapi.CodeDeleteConflict, st.msg)
		if err := st.remove(); err != nil {
			t.Fatal(err)
		}
	}
	pol := must[*iamapi.GetPolicyOutput](t)(s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: str(ec2RoleARN)}))
	if *pol.Policy.PermissionsBoundaryUsageCount != 1 || *pol.Policy.AttachmentCount != 0 {
		t.Errorf("counts before delete = %d %d", *pol.Policy.AttachmentCount, *pol.Policy.PermissionsBoundaryUsageCount)
	}
	must[*iamapi.DeleteUserOutput](t)(s.DeleteUser(ctx, &iamapi.DeleteUserInput{UserName: str("u")}))
	pol = must[*iamapi.GetPolicyOutput](t)(s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: str(ec2RoleARN)}))
	if *pol.Policy.PermissionsBoundaryUsageCount != 0 {
		t.Errorf("boundary count after delete = %d", *pol.Policy.PermissionsBoundaryUsageCount)
	}
	_, err := s.DeleteUser(ctx, &iamapi.DeleteUserInput{UserName: str("u")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "The user with name u cannot be found.")
}

func TestService_UserTags(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("u"), Tags: []iamapi.Tag{{Key: str("a"), Value: str("1")}}}))
	must[*iamapi.TagUserOutput](t)(s.TagUser(ctx, &iamapi.TagUserInput{UserName: str("u"), Tags: []iamapi.Tag{{Key: str("A"), Value: str("2")}, {Key: str("b"), Value: str("3")}}}))
	must[*iamapi.UntagUserOutput](t)(s.UntagUser(ctx, &iamapi.UntagUserInput{UserName: str("u"), TagKeys: []string{"B", "missing"}}))
	out := must[*iamapi.ListUserTagsOutput](t)(s.ListUserTags(ctx, &iamapi.ListUserTagsInput{UserName: str("u")}))
	if d := cmp.Diff([]iamapi.Tag{{Key: str("A"), Value: str("2")}}, out.Tags); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
	var many []iamapi.Tag
	for i := range 50 {
		many = append(many, iamapi.Tag{Key: str(fmt.Sprintf("k%d", i)), Value: str("v")})
	}
	_, err := s.TagUser(ctx, &iamapi.TagUserInput{UserName: str("u"), Tags: many})
	wantErr(t, err, iamapi.CodeLimitExceeded, "Cannot exceed quota for TagsPerUser: 50")
	_, err = s.TagUser(ctx, &iamapi.TagUserInput{UserName: str("nobody"), Tags: many[:1]})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "The user with name nobody cannot be found.")

	// Pagination over tags.
	must[*iamapi.TagUserOutput](t)(s.TagUser(ctx, &iamapi.TagUserInput{UserName: str("u"), Tags: many[:4]}))
	var got int
	var marker *string
	for {
		p := must[*iamapi.ListUserTagsOutput](t)(s.ListUserTags(ctx, &iamapi.ListUserTagsInput{UserName: str("u"), MaxItems: i32(2), Marker: marker}))
		got += len(p.Tags)
		if !*p.IsTruncated {
			break
		}
		marker = p.Marker
	}
	if got != 5 {
		t.Errorf("paged %d tags, want 5", got)
	}
}
