// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/awserr"
)

func TestService_CreatePolicy(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	out := must[*iamapi.CreatePolicyOutput](t)(s.CreatePolicy(ctx, &iamapi.CreatePolicyInput{
		PolicyName: str("read"), Path: str("/team/"), PolicyDocument: str(allowS3), Description: str("reads"),
		Tags: []iamapi.Tag{{Key: str("k"), Value: str("v")}},
	}))
	p := out.Policy
	if !strings.HasPrefix(*p.PolicyId, "ANPA") || len(*p.PolicyId) != 21 {
		t.Errorf("PolicyId = %s", *p.PolicyId)
	}
	want := &iamapi.Policy{
		PolicyName: str("read"), PolicyId: p.PolicyId, Arn: str("arn:aws:iam::123456789012:policy/team/read"), Path: str("/team/"),
		DefaultVersionId: str("v1"), AttachmentCount: i32(0), PermissionsBoundaryUsageCount: i32(0), IsAttachable: ptr(true),
		Description: str("reads"), CreateDate: &testNow, UpdateDate: &testNow, Tags: []iamapi.Tag{{Key: str("k"), Value: str("v")}},
	}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("CreatePolicy (-want +got):\n%s", d)
	}
	got := must[*iamapi.GetPolicyOutput](t)(s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: want.Arn}))
	if d := cmp.Diff(want, got.Policy); d != "" {
		t.Errorf("GetPolicy (-want +got):\n%s", d)
	}
	v := must[*iamapi.GetPolicyVersionOutput](t)(s.GetPolicyVersion(ctx, &iamapi.GetPolicyVersionInput{PolicyArn: want.Arn, VersionId: str("v1")}))
	if decoded(t, v.PolicyVersion.Document) != allowS3 || !*v.PolicyVersion.IsDefaultVersion {
		t.Errorf("version = %+v", v.PolicyVersion)
	}

	tests := []struct {
		name string
		in   *iamapi.CreatePolicyInput
		code string
		msg  string
	}{
		{"duplicate name on another path", &iamapi.CreatePolicyInput{PolicyName: str("READ"), Path: str("/other/"), PolicyDocument: str(allowS3)},
			iamapi.CodeEntityAlreadyExists, "A policy called READ already exists. Duplicate names are not allowed."},
		{"principal in identity policy", &iamapi.CreatePolicyInput{PolicyName: str("p"), PolicyDocument: str(ec2Trust)},
			iamapi.CodeMalformedPolicyDocument, "Policy document should not specify a principal."},
		{"too big", &iamapi.CreatePolicyInput{PolicyName: str("p"), PolicyDocument: str(sizedPolicy(6145))},
			iamapi.CodeLimitExceeded, "Cannot exceed quota for PolicySize: 6144"},
		{"bad path", &iamapi.CreatePolicyInput{PolicyName: str("p"), Path: str("/a b/"), PolicyDocument: str(allowS3)},
			awserr.CodeValidationError, `1 validation error detected: Value '/a b/' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/`},
		{"document not Latin-1", &iamapi.CreatePolicyInput{PolicyName: str("p"), PolicyDocument: str(`{"x":"☃"}`)},
			awserr.CodeValidationError, `1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreatePolicy(ctx, tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	must[*iamapi.CreatePolicyOutput](t)(s.CreatePolicy(ctx, &iamapi.CreatePolicyInput{PolicyName: str("exact"), PolicyDocument: str(sizedPolicy(6144))}))

	_, err := s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: str(policyARN("missing"))})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "Policy arn:aws:iam::123456789012:policy/missing was not found.")
	_, err = s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: str(policyARN("read"))})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "Policy arn:aws:iam::123456789012:policy/read was not found.") // wrong path
	_, err = s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: str("arn:aws:iam::123456789012:role/read")})
	wantErr(t, err, iamapi.CodeInvalidInput, "ARN arn:aws:iam::123456789012:role/read is not valid.")
}

func TestService_PolicyVersions(t *testing.T) {
	t.Parallel()
	now := testNow
	s := newTestService(t, func(c *Config) { c.Clock = func() time.Time { return now } })
	ctx := context.Background()
	arn := *must[*iamapi.CreatePolicyOutput](t)(s.CreatePolicy(ctx, &iamapi.CreatePolicyInput{PolicyName: str("p"), PolicyDocument: str(allowS3)})).Policy.Arn
	for i := 2; i <= 5; i++ {
		now = testNow.Add(time.Duration(i) * time.Minute)
		v := must[*iamapi.CreatePolicyVersionOutput](t)(s.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionInput{
			PolicyArn: &arn, PolicyDocument: str(sizedPolicy(200 + i)), SetAsDefault: ptr(i == 3),
		}))
		want := &iamapi.PolicyVersion{VersionId: str(fmt.Sprintf("v%d", i)), IsDefaultVersion: ptr(i == 3), CreateDate: &now}
		if d := cmp.Diff(want, v.PolicyVersion); d != "" {
			t.Errorf("CreatePolicyVersion %d (-want +got):\n%s", i, d)
		}
	}
	_, err := s.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionInput{PolicyArn: &arn, PolicyDocument: str(allowAll)})
	wantErr(t, err, iamapi.CodeLimitExceeded, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")

	list := must[*iamapi.ListPolicyVersionsOutput](t)(s.ListPolicyVersions(ctx, &iamapi.ListPolicyVersionsInput{PolicyArn: &arn, MaxItems: i32(3)}))
	if !*list.IsTruncated || len(list.Versions) != 3 || *list.Versions[0].VersionId != "v5" || list.Versions[0].Document != nil {
		t.Fatalf("page 1 = %+v", list.Versions)
	}
	list2 := must[*iamapi.ListPolicyVersionsOutput](t)(s.ListPolicyVersions(ctx, &iamapi.ListPolicyVersionsInput{PolicyArn: &arn, Marker: list.Marker}))
	var ids []string
	for _, v := range append(list.Versions, list2.Versions...) {
		ids = append(ids, *v.VersionId)
	}
	if d := cmp.Diff([]string{"v5", "v4", "v3", "v2", "v1"}, ids); d != "" {
		t.Errorf("versions (-want +got):\n%s", d)
	}

	p := must[*iamapi.GetPolicyOutput](t)(s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: &arn})).Policy
	if *p.DefaultVersionId != "v3" || !p.UpdateDate.Equal(testNow.Add(5*time.Minute)) {
		t.Errorf("policy default %s updated %v", *p.DefaultVersionId, p.UpdateDate)
	}
	_, err = s.DeletePolicyVersion(ctx, &iamapi.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: str("v3")})
	wantErr(t, err, iamapi.CodeDeleteConflict, "Cannot delete the default version of a policy.")
	_, err = s.DeletePolicyVersion(ctx, &iamapi.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: str("v9")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "Policy "+arn+" version v9 does not exist or is not attachable.")
	_, err = s.GetPolicyVersion(ctx, &iamapi.GetPolicyVersionInput{PolicyArn: &arn, VersionId: str("x1")})
	wantErr(t, err, awserr.CodeValidationError, `1 validation error detected: Value 'x1' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	must[*iamapi.DeletePolicyVersionOutput](t)(s.DeletePolicyVersion(ctx, &iamapi.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: str("v5")}))
	v := must[*iamapi.CreatePolicyVersionOutput](t)(s.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionInput{PolicyArn: &arn, PolicyDocument: str(allowAll)}))
	if *v.PolicyVersion.VersionId != "v6" {
		t.Errorf("version after delete = %s, want v6 (ids are not reused)", *v.PolicyVersion.VersionId)
	}
	must[*iamapi.SetDefaultPolicyVersionOutput](t)(s.SetDefaultPolicyVersion(ctx, &iamapi.SetDefaultPolicyVersionInput{PolicyArn: &arn, VersionId: str("v6")}))
	got := must[*iamapi.GetPolicyVersionOutput](t)(s.GetPolicyVersion(ctx, &iamapi.GetPolicyVersionInput{PolicyArn: &arn, VersionId: str("v6")}))
	if !*got.PolicyVersion.IsDefaultVersion || decoded(t, got.PolicyVersion.Document) != allowAll {
		t.Errorf("v6 = %+v", got.PolicyVersion)
	}
	_, err = s.SetDefaultPolicyVersion(ctx, &iamapi.SetDefaultPolicyVersionInput{PolicyArn: &arn, VersionId: str("v5")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "")

	// DeletePolicy refuses while other versions exist, and while attached.
	_, err = s.DeletePolicy(ctx, &iamapi.DeletePolicyInput{PolicyArn: &arn})
	wantErr(t, err, iamapi.CodeDeleteConflict, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	for _, id := range []string{"v1", "v2", "v3", "v4"} {
		must[*iamapi.DeletePolicyVersionOutput](t)(s.DeletePolicyVersion(ctx, &iamapi.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: str(id)}))
	}
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(ec2Trust)}))
	must[*iamapi.AttachRolePolicyOutput](t)(s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("r"), PolicyArn: &arn}))
	_, err = s.DeletePolicy(ctx, &iamapi.DeletePolicyInput{PolicyArn: &arn})
	wantErr(t, err, iamapi.CodeDeleteConflict, "Cannot delete a policy attached to entities.")
	must[*iamapi.DetachRolePolicyOutput](t)(s.DetachRolePolicy(ctx, &iamapi.DetachRolePolicyInput{RoleName: str("r"), PolicyArn: &arn}))
	must[*iamapi.PutRolePermissionsBoundaryOutput](t)(s.PutRolePermissionsBoundary(ctx, &iamapi.PutRolePermissionsBoundaryInput{RoleName: str("r"), PermissionsBoundary: &arn}))
	_, err = s.DeletePolicy(ctx, &iamapi.DeletePolicyInput{PolicyArn: &arn})
	wantErr(t, err, iamapi.CodeDeleteConflict, "Cannot delete a policy attached to entities.")
	must[*iamapi.DeleteRolePermissionsBoundaryOutput](t)(s.DeleteRolePermissionsBoundary(ctx, &iamapi.DeleteRolePermissionsBoundaryInput{RoleName: str("r")}))
	must[*iamapi.DeletePolicyOutput](t)(s.DeletePolicy(ctx, &iamapi.DeletePolicyInput{PolicyArn: &arn}))
	_, err = s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: &arn})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "")
}

func TestService_ManagedCatalog(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	p := must[*iamapi.GetPolicyOutput](t)(s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: str(ec2RoleARN)})).Policy
	created := time.Date(2026, 2, 12, 17, 59, 52, 0, time.UTC)
	want := &iamapi.Policy{
		PolicyName: str("AmazonEC2ContainerServiceforEC2Role"), PolicyId: p.PolicyId, Arn: str(ec2RoleARN), Path: str("/service-role/"),
		DefaultVersionId: str("v10"), AttachmentCount: i32(0), PermissionsBoundaryUsageCount: i32(0), IsAttachable: ptr(true),
		CreateDate: &created, UpdateDate: &created,
	}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("GetPolicy (-want +got):\n%s", d)
	}
	if !strings.HasPrefix(*p.PolicyId, "ANPA") || len(*p.PolicyId) != 21 {
		t.Errorf("PolicyId = %s", *p.PolicyId)
	}

	// The document is the data file's, as JSON.
	v := must[*iamapi.GetPolicyVersionOutput](t)(s.GetPolicyVersion(ctx, &iamapi.GetPolicyVersionInput{PolicyArn: str(ec2RoleARN), VersionId: str("v10")}))
	raw, err := os.ReadFile("managed/AmazonEC2ContainerServiceforEC2Role.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Document any }
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal([]byte(decoded(t, v.PolicyVersion.Document)), &got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(file.Document, got); d != "" {
		t.Errorf("document (-file +served):\n%s", d)
	}
	_, err = s.GetPolicyVersion(ctx, &iamapi.GetPolicyVersionInput{PolicyArn: str(ec2RoleARN), VersionId: str("v9")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "")

	// Not editable.
	deny := func(op string) string {
		return "User: anonymous is not authorized to perform: iam:" + op + " on resource: policy " + ec2RoleARN + " because no resource-based policy allows the iam:" + op + " action"
	}
	_, err = s.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionInput{PolicyArn: str(ec2RoleARN), PolicyDocument: str(allowAll)})
	wantErr(t, err, awserr.CodeAccessDenied, deny("CreatePolicyVersion"))
	_, err = s.DeletePolicy(ctx, &iamapi.DeletePolicyInput{PolicyArn: str(ec2RoleARN)})
	wantErr(t, err, awserr.CodeAccessDenied, deny("DeletePolicy"))
	_, err = s.SetDefaultPolicyVersion(ctx, &iamapi.SetDefaultPolicyVersionInput{PolicyArn: str(ec2RoleARN), VersionId: str("v10")})
	wantErr(t, err, awserr.CodeAccessDenied, deny("SetDefaultPolicyVersion"))
	_, err = s.DeletePolicyVersion(ctx, &iamapi.DeletePolicyVersionInput{PolicyArn: str(ec2RoleARN), VersionId: str("v10")})
	wantErr(t, err, awserr.CodeAccessDenied, deny("DeletePolicyVersion"))
	_, err = s.TagPolicy(ctx, &iamapi.TagPolicyInput{PolicyArn: str(ec2RoleARN), Tags: []iamapi.Tag{{Key: str("a"), Value: str("b")}}})
	wantErr(t, err, awserr.CodeAccessDenied, deny("TagPolicy"))

	// Paths of the ECS service-role policies, and AdministratorAccess.
	for _, a := range []string{
		"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceRole",
		"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
		"arn:aws:iam::aws:policy/AdministratorAccess",
		"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
	} {
		if _, err := s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: str(a)}); err != nil {
			t.Errorf("GetPolicy(%s): %v", a, err)
		}
	}
	_, err = s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: str("arn:aws:iam::aws:policy/AmazonEC2ContainerServiceforEC2Role")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "") // wrong path

	// Big AWS policies are exempt from the customer size quota.
	ro := must[*iamapi.GetPolicyVersionOutput](t)(s.GetPolicyVersion(ctx, &iamapi.GetPolicyVersionInput{PolicyArn: str("arn:aws:iam::aws:policy/ReadOnlyAccess"), VersionId: str("v188")}))
	if n := documentSize(decoded(t, ro.PolicyVersion.Document)); n <= quotaPolicySize {
		t.Errorf("ReadOnlyAccess size %d, expected over the customer quota", n)
	}
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(ec2Trust)}))
	must[*iamapi.AttachRolePolicyOutput](t)(s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("r"), PolicyArn: str("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
}

func TestService_ListPolicies(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	for _, n := range []string{"zeta", "alpha", "ReadOnlyAccess"} {
		path := "/"
		if n == "zeta" {
			path = "/app/"
		}
		must[*iamapi.CreatePolicyOutput](t)(s.CreatePolicy(ctx, &iamapi.CreatePolicyInput{PolicyName: str(n), Path: str(path), PolicyDocument: str(allowS3), Description: str("d")}))
	}
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(ec2Trust)}))
	must[*iamapi.AttachRolePolicyOutput](t)(s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("r"), PolicyArn: str(ec2RoleARN)}))
	must[*iamapi.AttachRolePolicyOutput](t)(s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("r"), PolicyArn: str(policyARN("alpha"))}))
	must[*iamapi.PutRolePermissionsBoundaryOutput](t)(s.PutRolePermissionsBoundary(ctx, &iamapi.PutRolePermissionsBoundaryInput{RoleName: str("r"), PermissionsBoundary: str(policyARN("ReadOnlyAccess"))}))

	list := func(in *iamapi.ListPoliciesInput) []string {
		t.Helper()
		var out []string
		for {
			p := must[*iamapi.ListPoliciesOutput](t)(s.ListPolicies(ctx, in))
			for _, pol := range p.Policies {
				if pol.Description != nil || pol.Tags != nil {
					t.Errorf("ListPolicies returned a description or tags: %s", *pol.Arn)
				}
				out = append(out, *pol.Arn)
			}
			if !*p.IsTruncated {
				return out
			}
			in.Marker = p.Marker
		}
	}
	var awsARNs []string
	for _, p := range s.catalog.sorted {
		awsARNs = append(awsARNs, p.ARN)
	}
	local := []string{policyARN("alpha"), policyARN("ReadOnlyAccess"), policyARN("app/zeta")}
	tests := []struct {
		name string
		in   *iamapi.ListPoliciesInput
		want []string
	}{
		{"local", &iamapi.ListPoliciesInput{Scope: str("Local")}, local},
		{"local by 1", &iamapi.ListPoliciesInput{Scope: str("Local"), MaxItems: i32(1)}, local},
		{"aws", &iamapi.ListPoliciesInput{Scope: str("AWS"), MaxItems: i32(4)}, awsARNs},
		{"aws service-role path", &iamapi.ListPoliciesInput{Scope: str("AWS"), PathPrefix: str("/service-role/")}, []string{
			"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
			"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceRole",
			"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
		}},
		{"local path", &iamapi.ListPoliciesInput{PathPrefix: str("/app/")}, []string{policyARN("app/zeta")}},
		{"only attached", &iamapi.ListPoliciesInput{OnlyAttached: ptr(true)}, []string{policyARN("alpha"), ec2RoleARN, policyARN("ReadOnlyAccess")}},
		{"only attached local", &iamapi.ListPoliciesInput{OnlyAttached: ptr(true), Scope: str("Local")}, []string{policyARN("alpha"), policyARN("ReadOnlyAccess")}},
		{"only attached as boundary", &iamapi.ListPoliciesInput{OnlyAttached: ptr(true), PolicyUsageFilter: str("PermissionsBoundary")}, []string{policyARN("ReadOnlyAccess")}},
		{"only attached as permissions", &iamapi.ListPoliciesInput{OnlyAttached: ptr(true), PolicyUsageFilter: str("PermissionsPolicy")}, []string{policyARN("alpha"), ec2RoleARN}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, list(tc.in)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	all := list(&iamapi.ListPoliciesInput{MaxItems: i32(5)})
	if len(all) != len(awsARNs)+3 {
		t.Errorf("Scope All: %d policies, want %d", len(all), len(awsARNs)+3)
	}
	if !slices.Contains(all, "arn:aws:iam::aws:policy/ReadOnlyAccess") || !slices.Contains(all, policyARN("ReadOnlyAccess")) {
		t.Errorf("Scope All lacks one of the ReadOnlyAccess policies")
	}
	p := must[*iamapi.ListPoliciesOutput](t)(s.ListPolicies(ctx, &iamapi.ListPoliciesInput{Scope: str("AWS"), OnlyAttached: ptr(true)}))
	if len(p.Policies) != 1 || *p.Policies[0].AttachmentCount != 1 {
		t.Errorf("attached AWS policies = %+v", p.Policies)
	}
	_, err := s.ListPolicies(ctx, &iamapi.ListPoliciesInput{Scope: str("Mine")})
	wantErr(t, err, awserr.CodeValidationError, "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]")
}

func TestService_PolicyTags(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	arn := must[*iamapi.CreatePolicyOutput](t)(s.CreatePolicy(ctx, &iamapi.CreatePolicyInput{PolicyName: str("p"), PolicyDocument: str(allowS3)})).Policy.Arn
	must[*iamapi.TagPolicyOutput](t)(s.TagPolicy(ctx, &iamapi.TagPolicyInput{PolicyArn: arn, Tags: []iamapi.Tag{{Key: str("a"), Value: str("1")}, {Key: str("b"), Value: str("")}}}))
	must[*iamapi.UntagPolicyOutput](t)(s.UntagPolicy(ctx, &iamapi.UntagPolicyInput{PolicyArn: arn, TagKeys: []string{"a"}}))
	out := must[*iamapi.ListPolicyTagsOutput](t)(s.ListPolicyTags(ctx, &iamapi.ListPolicyTagsInput{PolicyArn: arn}))
	if d := cmp.Diff([]iamapi.Tag{{Key: str("b"), Value: str("")}}, out.Tags); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
	aws := must[*iamapi.ListPolicyTagsOutput](t)(s.ListPolicyTags(ctx, &iamapi.ListPolicyTagsInput{PolicyArn: str(ec2RoleARN)}))
	if len(aws.Tags) != 0 || aws.Tags == nil {
		t.Errorf("AWS policy tags = %#v", aws.Tags)
	}
}
