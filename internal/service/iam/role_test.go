// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/awserr"
)

func TestService_CreateRole(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	out := must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{
		RoleName: str("ecsInstanceRole"), AssumeRolePolicyDocument: str(ec2Trust),
		Description: str("hosts"), Tags: []iamapi.Tag{{Key: str("k"), Value: str("v")}},
	}))
	r := out.Role
	if !strings.HasPrefix(*r.RoleId, "AROA") || len(*r.RoleId) != 21 {
		t.Errorf("RoleId = %s", *r.RoleId)
	}
	if *r.Arn != "arn:aws:iam::123456789012:role/ecsInstanceRole" || *r.Path != "/" || *r.MaxSessionDuration != 3600 {
		t.Errorf("role = %s %s %d", *r.Arn, *r.Path, *r.MaxSessionDuration)
	}
	// The trust policy comes back URL-encoded, as IAM returns it.
	if *r.AssumeRolePolicyDocument != url.PathEscape(ec2Trust) && !strings.HasPrefix(*r.AssumeRolePolicyDocument, "%7B%22Version%22%3A") {
		t.Errorf("AssumeRolePolicyDocument = %s", *r.AssumeRolePolicyDocument)
	}
	if got := decoded(t, r.AssumeRolePolicyDocument); got != ec2Trust {
		t.Errorf("decoded trust = %s", got)
	}

	got := must[*iamapi.GetRoleOutput](t)(s.GetRole(ctx, &iamapi.GetRoleInput{RoleName: str("ECSINSTANCEROLE")})).Role
	want := &iamapi.Role{
		Path: str("/"), RoleName: str("ecsInstanceRole"), RoleId: r.RoleId, Arn: r.Arn, CreateDate: &testNow,
		AssumeRolePolicyDocument: r.AssumeRolePolicyDocument, Description: str("hosts"), MaxSessionDuration: i32(3600),
		Tags: []iamapi.Tag{{Key: str("k"), Value: str("v")}}, RoleLastUsed: &iamapi.RoleLastUsed{},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("GetRole (-want +got):\n%s", d)
	}

	_, err := s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("ECSInstanceRole"), AssumeRolePolicyDocument: str(ec2Trust)})
	wantErr(t, err, iamapi.CodeEntityAlreadyExists, "Role with name ECSInstanceRole already exists.")
	_, err = s.GetRole(ctx, &iamapi.GetRoleInput{RoleName: str("nope")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "The role with name nope cannot be found.")
}

func TestService_CreateRole_Errors(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	bigTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"` + strings.Repeat("x", 2000) + `"}}}]}`
	tests := []struct {
		name string
		in   *iamapi.CreateRoleInput
		code string
		msg  string
	}{
		{"no trust", &iamapi.CreateRoleInput{RoleName: str("r")}, awserr.CodeValidationError,
			"1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null"},
		{"malformed trust", &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str("{nope")}, iamapi.CodeMalformedPolicyDocument,
			"Syntax errors in policy."},
		{"identity policy as trust", &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(allowAll)}, iamapi.CodeMalformedPolicyDocument,
			"Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"},
		{"trust too big", &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(bigTrust)}, iamapi.CodeLimitExceeded,
			"Cannot exceed quota for ACLSizePerRole: 2048"},
		{"session too short", &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(ec2Trust), MaxSessionDuration: i32(60)}, awserr.CodeValidationError,
			"1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"},
		{"session too long", &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(ec2Trust), MaxSessionDuration: i32(43201)}, awserr.CodeValidationError,
			"1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"name too long", &iamapi.CreateRoleInput{RoleName: str(strings.Repeat("r", 65)), AssumeRolePolicyDocument: str(ec2Trust)}, awserr.CodeValidationError, ""},
		{"long path", &iamapi.CreateRoleInput{RoleName: str("r"), Path: str("/" + strings.Repeat("p", 511) + "/"), AssumeRolePolicyDocument: str(ec2Trust)}, awserr.CodeValidationError, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateRole(ctx, tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	// Whitespace does not count toward the 2,048 characters.
	spaced := strings.ReplaceAll(ec2Trust, ",", ",          ")
	spaced = strings.Replace(spaced, `"sts:AssumeRole"`, `"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"`+strings.Repeat("y", 1800)+`"}}`, 1)
	spaced = strings.Replace(spaced, "{", "{\n"+strings.Repeat(" ", 200), 1)
	if documentSize(spaced) > 2048 || len(spaced) <= 2048 {
		t.Fatalf("test document: size %d, length %d", documentSize(spaced), len(spaced))
	}
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("spaced"), AssumeRolePolicyDocument: str(spaced)}))
}

func TestService_CreateRole_URLEncodedInput(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	spaced := strings.ReplaceAll(ec2Trust, ":", ": ")
	tests := []struct{ name, in, want string }{
		{"percent", encodeDocument(ec2Trust), ec2Trust},
		{"percent spaced", encodeDocument(spaced), spaced},
		{"query", url.QueryEscape(spaced), spaced},
		{"plain spaced", spaced, spaced},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "r" + string(rune('a'+i))
			out := must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str(name), AssumeRolePolicyDocument: str(tc.in)}))
			if got := decoded(t, out.Role.AssumeRolePolicyDocument); got != tc.want {
				t.Errorf("stored trust = %s", got)
			}
		})
	}
}

func TestService_UpdateRole(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(ec2Trust), Description: str("d1")}))

	must[*iamapi.UpdateRoleOutput](t)(s.UpdateRole(ctx, &iamapi.UpdateRoleInput{RoleName: str("r"), MaxSessionDuration: i32(7200)}))
	r := must[*iamapi.GetRoleOutput](t)(s.GetRole(ctx, &iamapi.GetRoleInput{RoleName: str("r")})).Role
	if *r.MaxSessionDuration != 7200 || *r.Description != "d1" {
		t.Errorf("after UpdateRole: %d %q", *r.MaxSessionDuration, *r.Description)
	}
	d := must[*iamapi.UpdateRoleDescriptionOutput](t)(s.UpdateRoleDescription(ctx, &iamapi.UpdateRoleDescriptionInput{RoleName: str("r"), Description: str("d2")}))
	if *d.Role.Description != "d2" || *d.Role.MaxSessionDuration != 7200 {
		t.Errorf("UpdateRoleDescription = %q %d", *d.Role.Description, *d.Role.MaxSessionDuration)
	}
	_, err := s.UpdateRole(ctx, &iamapi.UpdateRoleInput{RoleName: str("r"), MaxSessionDuration: i32(1)})
	wantErr(t, err, awserr.CodeValidationError, "")
	_, err = s.UpdateRole(ctx, &iamapi.UpdateRoleInput{RoleName: str("x")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "The role with name x cannot be found.")

	must[*iamapi.UpdateAssumeRolePolicyOutput](t)(s.UpdateAssumeRolePolicy(ctx, &iamapi.UpdateAssumeRolePolicyInput{RoleName: str("r"), PolicyDocument: str(tasksTrust)}))
	info := must[*RoleInfo](t)(s.Role(ctx, "r"))
	if info.TrustPolicy != tasksTrust {
		t.Errorf("trust = %s", info.TrustPolicy)
	}
	_, err = s.UpdateAssumeRolePolicy(ctx, &iamapi.UpdateAssumeRolePolicyInput{RoleName: str("r"), PolicyDocument: str(allowAll)})
	wantErr(t, err, iamapi.CodeMalformedPolicyDocument, "")
}

func TestService_DeleteRole_Conflicts(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(ec2Trust), PermissionsBoundary: str(ec2RoleARN)}))
	must[*iamapi.CreateInstanceProfileOutput](t)(s.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileInput{InstanceProfileName: str("ip")}))
	must[*iamapi.AddRoleToInstanceProfileOutput](t)(s.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: str("ip"), RoleName: str("r")}))
	must[*iamapi.AttachRolePolicyOutput](t)(s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("r"), PolicyArn: str(ec2RoleARN)}))
	must[*iamapi.PutRolePolicyOutput](t)(s.PutRolePolicy(ctx, &iamapi.PutRolePolicyInput{RoleName: str("r"), PolicyName: str("p"), PolicyDocument: str(allowS3)}))

	steps := []struct {
		msg    string
		remove func() error
	}{
		{"Cannot delete entity, must remove roles from instance profile first.", func() error {
			_, err := s.RemoveRoleFromInstanceProfile(ctx, &iamapi.RemoveRoleFromInstanceProfileInput{InstanceProfileName: str("ip"), RoleName: str("r")})
			return err
		}},
		{"Cannot delete entity, must detach all policies first.", func() error {
			_, err := s.DetachRolePolicy(ctx, &iamapi.DetachRolePolicyInput{RoleName: str("r"), PolicyArn: str(ec2RoleARN)})
			return err
		}},
		{"Cannot delete entity, must delete policies first.", func() error {
			_, err := s.DeleteRolePolicy(ctx, &iamapi.DeleteRolePolicyInput{RoleName: str("r"), PolicyName: str("p")})
			return err
		}},
	}
	for _, st := range steps {
		_, err := s.DeleteRole(ctx, &iamapi.DeleteRoleInput{RoleName: str("r")})
		wantErr(t, err, iamapi.CodeDeleteConflict, st.msg)
		if err := st.remove(); err != nil {
			t.Fatal(err)
		}
	}
	must[*iamapi.DeleteRoleOutput](t)(s.DeleteRole(ctx, &iamapi.DeleteRoleInput{RoleName: str("r")}))
	pol := must[*iamapi.GetPolicyOutput](t)(s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: str(ec2RoleARN)})).Policy
	if *pol.AttachmentCount != 0 || *pol.PermissionsBoundaryUsageCount != 0 {
		t.Errorf("counts after delete = %d %d", *pol.AttachmentCount, *pol.PermissionsBoundaryUsageCount)
	}
}

func TestService_ListRoles(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	for _, n := range []string{"b", "A", "c", "svc"} {
		path := "/"
		if n == "svc" {
			path = "/service-role/"
		}
		must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str(n), Path: str(path), AssumeRolePolicyDocument: str(ec2Trust),
			Tags: []iamapi.Tag{{Key: str("k"), Value: str("v")}}}))
	}
	out := must[*iamapi.ListRolesOutput](t)(s.ListRoles(ctx, &iamapi.ListRolesInput{MaxItems: i32(2)}))
	if len(out.Roles) != 2 || *out.Roles[0].RoleName != "A" || *out.Roles[1].RoleName != "b" || !*out.IsTruncated {
		t.Fatalf("page 1 = %v truncated %v", out.Roles, *out.IsTruncated)
	}
	if out.Roles[0].Tags != nil || out.Roles[0].RoleLastUsed != nil || out.Roles[0].AssumeRolePolicyDocument == nil {
		t.Errorf("ListRoles attributes: %+v", out.Roles[0])
	}
	out = must[*iamapi.ListRolesOutput](t)(s.ListRoles(ctx, &iamapi.ListRolesInput{MaxItems: i32(2), Marker: out.Marker}))
	if len(out.Roles) != 2 || *out.Roles[0].RoleName != "c" || *out.IsTruncated {
		t.Fatalf("page 2 = %v", out.Roles)
	}
	out = must[*iamapi.ListRolesOutput](t)(s.ListRoles(ctx, &iamapi.ListRolesInput{PathPrefix: str("/service-role/")}))
	if len(out.Roles) != 1 || *out.Roles[0].RoleName != "svc" {
		t.Errorf("by path = %v", out.Roles)
	}
}

func TestService_RoleTagsAndLastUsed(t *testing.T) {
	t.Parallel()
	now := testNow
	s := newTestService(t, func(c *Config) { c.Clock = func() time.Time { return now } })
	ctx := context.Background()
	r := must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(ec2Trust)})).Role
	must[*iamapi.TagRoleOutput](t)(s.TagRole(ctx, &iamapi.TagRoleInput{RoleName: str("r"), Tags: []iamapi.Tag{{Key: str("a"), Value: str("1")}, {Key: str("b"), Value: str("2")}}}))
	must[*iamapi.UntagRoleOutput](t)(s.UntagRole(ctx, &iamapi.UntagRoleInput{RoleName: str("r"), TagKeys: []string{"a"}}))
	tags := must[*iamapi.ListRoleTagsOutput](t)(s.ListRoleTags(ctx, &iamapi.ListRoleTagsInput{RoleName: str("r")}))
	if d := cmp.Diff([]iamapi.Tag{{Key: str("b"), Value: str("2")}}, tags.Tags); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}

	now = testNow.Add(time.Hour)
	s.RecordRoleUse(ctx, *r.Arn, "eu-west-1")
	got := must[*iamapi.GetRoleOutput](t)(s.GetRole(ctx, &iamapi.GetRoleInput{RoleName: str("r")})).Role.RoleLastUsed
	want := &iamapi.RoleLastUsed{LastUsedDate: &now, Region: str("eu-west-1")}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("RoleLastUsed before flush (-want +got):\n%s", d)
	}
	if err := s.FlushLastUsed(ctx); err != nil {
		t.Fatal(err)
	}
	rec := must[*roleRec](t)(getRecView[roleRec](s, roleKey("r")))
	if rec.LastUsed == nil || !rec.LastUsed.Date.Equal(now) || rec.LastUsed.Region != "eu-west-1" {
		t.Errorf("stored last used = %+v", rec.LastUsed)
	}
	got = must[*iamapi.GetRoleOutput](t)(s.GetRole(ctx, &iamapi.GetRoleInput{RoleName: str("r")})).Role.RoleLastUsed
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("RoleLastUsed after flush (-want +got):\n%s", d)
	}
}

// getRecView reads one record linearizably.
func getRecView[T any](s *Service, key string) (*T, error) {
	var out *T
	err := s.view(context.Background(), func(tx *txn) (err error) { out, err = getRec[T](tx, key); return err })
	return out, err
}
