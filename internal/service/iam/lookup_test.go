// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/principal"
)

// sources summarizes a PolicySet as "managed:NAME@VERSION" and
// "inline:HOLDER/NAME" strings.
func sources(set *PolicySet) (identity []string, boundary string) {
	for _, d := range set.Identity {
		identity = append(identity, docLabel(d))
	}
	if set.Boundary != nil {
		boundary = docLabel(*set.Boundary)
	}
	return identity, boundary
}

func docLabel(d PolicyDocument) string {
	if d.Managed {
		return "managed:" + d.Name + "@" + d.VersionID
	}
	return "inline:" + d.Source[strings.LastIndexByte(d.Source, ':')+1:] + "/" + d.Name
}

func TestService_PoliciesFor_User(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("alice"), PermissionsBoundary: str("arn:aws:iam::aws:policy/AmazonS3FullAccess")}))
	arn := *must[*iamapi.CreatePolicyOutput](t)(s.CreatePolicy(ctx, &iamapi.CreatePolicyInput{PolicyName: str("cust"), PolicyDocument: str(allowS3)})).Policy.Arn
	must[*iamapi.CreatePolicyVersionOutput](t)(s.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionInput{PolicyArn: &arn, PolicyDocument: str(allowAll), SetAsDefault: ptr(true)}))
	must[*iamapi.PutUserPolicyOutput](t)(s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: str("alice"), PolicyName: str("mine"), PolicyDocument: str(allowS3)}))
	must[*iamapi.AttachUserPolicyOutput](t)(s.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyInput{UserName: str("alice"), PolicyArn: &arn}))
	for _, g := range []string{"devs", "ops", "unrelated"} {
		must[*iamapi.CreateGroupOutput](t)(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str(g)}))
		must[*iamapi.PutGroupPolicyOutput](t)(s.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyInput{GroupName: str(g), PolicyName: str(g + "-inline"), PolicyDocument: str(allowS3)}))
	}
	must[*iamapi.AttachGroupPolicyOutput](t)(s.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyInput{GroupName: str("ops"), PolicyArn: str(ec2RoleARN)}))
	must[*iamapi.AddUserToGroupOutput](t)(s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: str("devs"), UserName: str("alice")}))
	must[*iamapi.AddUserToGroupOutput](t)(s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: str("ops"), UserName: str("alice")}))

	key := must[*iamapi.CreateAccessKeyOutput](t)(s.CreateAccessKey(ctx, &iamapi.CreateAccessKeyInput{UserName: str("alice")})).AccessKey
	p := must[AccessKeyInfo](t)(s.AccessKey(ctx, *key.AccessKeyId)).Principal
	set := must[*PolicySet](t)(s.PoliciesFor(ctx, p))
	identity, boundary := sources(set)
	slices.Sort(identity)
	want := []string{
		"inline:group/devs/devs-inline",
		"inline:group/ops/ops-inline",
		"inline:user/alice/mine",
		"managed:AmazonEC2ContainerServiceforEC2Role@v10",
		"managed:cust@v2",
	}
	if d := cmp.Diff(want, identity); d != "" {
		t.Errorf("identity policies (-want +got):\n%s", d)
	}
	if boundary != "managed:AmazonS3FullAccess@v2" {
		t.Errorf("boundary = %s", boundary)
	}
	for _, d := range set.Identity {
		if d.Name == "cust" && d.Document != allowAll {
			t.Errorf("cust document = %s, want the default version's", d.Document)
		}
	}

	// Keys are stable, and change when a document does.
	again := must[*PolicySet](t)(s.PoliciesFor(ctx, p))
	keys := func(set *PolicySet) map[string]string {
		m := map[string]string{}
		for _, d := range set.Identity {
			m[docLabel(d)] = d.Key
		}
		return m
	}
	if d := cmp.Diff(keys(set), keys(again)); d != "" {
		t.Errorf("keys changed between calls:\n%s", d)
	}
	must[*iamapi.PutUserPolicyOutput](t)(s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: str("alice"), PolicyName: str("mine"), PolicyDocument: str(allowAll)}))
	must[*iamapi.SetDefaultPolicyVersionOutput](t)(s.SetDefaultPolicyVersion(ctx, &iamapi.SetDefaultPolicyVersionInput{PolicyArn: &arn, VersionId: str("v1")}))
	changed := keys(must[*PolicySet](t)(s.PoliciesFor(ctx, p)))
	before := keys(set)
	if changed["inline:user/alice/mine"] == before["inline:user/alice/mine"] {
		t.Errorf("inline key did not change with the document")
	}
	if changed["managed:cust@v1"] == "" || changed["managed:cust@v1"] == before["managed:cust@v2"] {
		t.Errorf("managed key did not follow the default version")
	}

	// A re-created user with the same name is not the principal's.
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("bob")}))
	if _, err := s.PoliciesFor(ctx, &principal.Principal{Kind: principal.User, Name: "bob", UserID: "AIDAOLDBOB"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("stale principal: %v", err)
	}
	root := must[*PolicySet](t)(s.PoliciesFor(ctx, &principal.Principal{Kind: principal.Root}))
	if len(root.Identity) != 0 || root.Boundary != nil {
		t.Errorf("root policies = %+v", root)
	}
}

func TestService_PoliciesFor_Role(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	r := must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("task"), Path: str("/ecs/"), AssumeRolePolicyDocument: str(tasksTrust),
		MaxSessionDuration: i32(7200), Tags: []iamapi.Tag{{Key: str("app"), Value: str("web")}}})).Role
	must[*iamapi.AttachRolePolicyOutput](t)(s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("task"), PolicyArn: str("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")}))
	must[*iamapi.PutRolePolicyOutput](t)(s.PutRolePolicy(ctx, &iamapi.PutRolePolicyInput{RoleName: str("task"), PolicyName: str("extra"), PolicyDocument: str(allowS3)}))
	must[*iamapi.PutRolePermissionsBoundaryOutput](t)(s.PutRolePermissionsBoundary(ctx, &iamapi.PutRolePermissionsBoundaryInput{RoleName: str("task"), PermissionsBoundary: str("arn:aws:iam::aws:policy/AdministratorAccess")}))

	p := &principal.Principal{Kind: principal.AssumedRole, RoleARN: *r.Arn, ARN: "arn:aws:sts::123456789012:assumed-role/task/s1"}
	identity, boundary := sources(must[*PolicySet](t)(s.PoliciesFor(ctx, p)))
	if d := cmp.Diff([]string{"inline:role/ecs/task/extra", "managed:AmazonECSTaskExecutionRolePolicy@v1"}, identity); d != "" {
		t.Errorf("identity (-want +got):\n%s", d)
	}
	if boundary != "managed:AdministratorAccess@v1" {
		t.Errorf("boundary = %s", boundary)
	}
	if _, err := s.PoliciesFor(ctx, &principal.Principal{Kind: principal.AssumedRole, RoleARN: "arn:aws:iam::123456789012:role/task"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("role ARN without its path: %v", err)
	}

	info := must[*RoleInfo](t)(s.RoleByARN(ctx, *r.Arn))
	want := &RoleInfo{Name: "task", Path: "/ecs/", ARN: "arn:aws:iam::123456789012:role/ecs/task", RoleID: *r.RoleId, TrustPolicy: tasksTrust,
		MaxSessionDuration: 7200, Tags: map[string]string{"app": "web"}, PermissionsBoundary: "arn:aws:iam::aws:policy/AdministratorAccess", Created: testNow}
	if d := cmp.Diff(want, info); d != "" {
		t.Errorf("RoleByARN (-want +got):\n%s", d)
	}
	for _, bad := range []string{"arn:aws:iam::999999999999:role/ecs/task", "arn:aws:iam::123456789012:user/ecs/task", "nonsense"} {
		if _, err := s.RoleByARN(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("RoleByARN(%s) = %v", bad, err)
		}
	}
	if _, err := s.Role(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Role(nope) = %v", err)
	}
	doc := must[string](t)(s.PolicyDocument(ctx, "arn:aws:iam::aws:policy/AdministratorAccess"))
	if !strings.Contains(doc, `"Action": "*"`) {
		t.Errorf("AdministratorAccess = %s", doc)
	}
	if _, err := s.PolicyDocument(ctx, policyARN("missing")); !errors.Is(err, ErrNotFound) {
		t.Errorf("PolicyDocument(missing) = %v", err)
	}
}

func TestDocument_Encoding(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in string }{
		{"compact", ec2Trust},
		{"pretty", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"arn:aws:s3:::a+b/*\"}]\n}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc := encodeDocument(tc.in)
			for _, c := range enc {
				if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~%", c) {
					t.Fatalf("encoded document has %q", c)
				}
			}
			if got, err := url.QueryUnescape(enc); err != nil || got != tc.in {
				t.Errorf("QueryUnescape = %q, %v", got, err)
			}
			if got := decodeDocument(enc); got != tc.in {
				t.Errorf("decodeDocument(encoded) = %q", got)
			}
			if got := decodeDocument(tc.in); got != tc.in {
				t.Errorf("decodeDocument(plain) = %q", got)
			}
		})
	}
	if got := decodeDocument("%zz"); got != "%zz" {
		t.Errorf("bad escape = %q", got)
	}
	if n := documentSize("{ \"a\" :\n\t1 }"); n != 7 {
		t.Errorf("documentSize = %d, want 7", n)
	}
}

func TestPaginate(t *testing.T) {
	t.Parallel()
	items := []string{"d", "b", "a", "c", "e"}
	id := func(s string) string { return s }
	var got []string
	var marker *string
	for pages := 0; pages < 10; pages++ {
		p, err := paginate(slices.Clone(items), id, marker, i32(2))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Items...)
		if !p.Truncated {
			break
		}
		marker = p.Marker
	}
	if d := cmp.Diff([]string{"a", "b", "c", "d", "e"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// A marker survives the removal of the item it names.
	m := base64.RawURLEncoding.EncodeToString([]byte("b"))
	p, _ := paginate([]string{"a", "c", "d"}, id, &m, nil)
	if d := cmp.Diff([]string{"c", "d"}, p.Items); d != "" {
		t.Errorf("after removed marker (-want +got):\n%s", d)
	}
}
