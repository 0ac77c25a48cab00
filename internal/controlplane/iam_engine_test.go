// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/testutil"
)

// The IAM policy engine end to end: aws-sdk-go-v2 clients signed as users
// and role sessions, every call authorized through the gateway, and the
// policy simulator deciding with the same engine.

const acct = "123456789012"

// allowed fails the test unless err is nil.
func allowed(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v, want allowed", what, err)
	}
}

// denied fails the test unless err is AccessDenied with a message that
// starts with "User: caller is not authorized to perform: action" and ends
// with reason.
func denied(t *testing.T, what string, err error, caller, action, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: allowed, want AccessDenied", what)
	}
	ae, status := apiError(t, err)
	if ae.ErrorCode() != "AccessDenied" || status != 403 {
		t.Fatalf("%s: %v (HTTP %d), want AccessDenied (403)", what, err, status)
	}
	msg := ae.ErrorMessage()
	if prefix := "User: " + caller + " is not authorized to perform: " + action; !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, reason) {
		t.Errorf("%s: message %q, want %q ... %q", what, msg, prefix, reason)
	}
}

func putUserPolicy(t *testing.T, root *iam.Client, user, name, doc string) {
	t.Helper()
	if _, err := root.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: &user, PolicyName: &name, PolicyDocument: &doc}); err != nil {
		t.Fatal(err)
	}
}

func createRole(t *testing.T, root *iam.Client, in *iam.CreateRoleInput) string {
	t.Helper()
	if in.AssumeRolePolicyDocument == nil {
		in.AssumeRolePolicyDocument = aws.String(benchTrust)
	}
	out, err := root.CreateRole(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Role.Arn)
}

// inRegion returns cfg signing for region.
func inRegion(cfg aws.Config, region string) aws.Config {
	cfg = cfg.Copy()
	cfg.Region = region
	return cfg
}

// TestServer_IAMEngine_UserPolicy decides a user's calls by a policy with
// a path-scoped resource, a condition on aws:RequestedRegion and a
// NotAction deny.
func TestServer_IAMEngine_UserPolicy(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := iam.NewFromConfig(cp.RootConfig())
	dev := newUser(t, cp, "dev")
	putUserPolicy(t, root, "dev", "scoped", `{"Version":"2012-10-17","Statement":[
	  {"Sid":"AppRoles","Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/app/*"},
	  {"Sid":"HomeRegion","Effect":"Allow","Action":["iam:ListRoles","iam:CreateUser"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}},
	  {"Sid":"ReadOnly","Effect":"Deny","NotAction":["iam:Get*","iam:List*"],"Resource":"*"}]}`)
	createRole(t, root, &iam.CreateRoleInput{RoleName: aws.String("web"), Path: aws.String("/app/")})
	createRole(t, root, &iam.CreateRoleInput{RoleName: aws.String("db")})
	client := iam.NewFromConfig(dev)
	user := "arn:aws:iam::123456789012:user/dev"

	_, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("web")})
	allowed(t, "GetRole web (path /app/)", err)
	_, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("db")})
	denied(t, "GetRole db", err, user, "iam:GetRole on resource: arn:aws:iam::123456789012:role/db",
		"because no identity-based policy allows the iam:GetRole action")
	_, err = client.ListRoles(ctx, &iam.ListRolesInput{})
	allowed(t, "ListRoles in us-east-1", err)
	_, err = iam.NewFromConfig(inRegion(dev, "eu-west-1")).ListRoles(ctx, &iam.ListRolesInput{})
	denied(t, "ListRoles in eu-west-1", err, user, "iam:ListRoles", "because no identity-based policy allows the iam:ListRoles action")
	_, err = client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("intruder")})
	denied(t, "CreateUser", err, user, "iam:CreateUser on resource: arn:aws:iam::123456789012:user/intruder",
		"with an explicit deny in an identity-based policy")
	if _, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("intruder")}); err == nil {
		t.Error("the denied CreateUser created the user")
	}
}

// TestServer_IAMEngine_ResourceTags authorizes by the tags of the role a
// call acts on (aws:ResourceTag/* and iam:ResourceTag/*).
func TestServer_IAMEngine_ResourceTags(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := iam.NewFromConfig(cp.RootConfig())
	ops := newUser(t, cp, "ops")
	putUserPolicy(t, root, "ops", "blue", `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
	  {"Effect":"Allow","Action":"iam:ListRoleTags","Resource":"*","Condition":{"StringEquals":{"iam:ResourceTag/team":"blue"}}}]}`)
	createRole(t, root, &iam.CreateRoleInput{RoleName: aws.String("blue"), Path: aws.String("/svc/"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	createRole(t, root, &iam.CreateRoleInput{RoleName: aws.String("red"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})
	client := iam.NewFromConfig(ops)
	user := "arn:aws:iam::123456789012:user/ops"
	_, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("blue")})
	allowed(t, "GetRole blue", err)
	_, err = client.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("blue")})
	allowed(t, "ListRoleTags blue", err)
	_, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("red")})
	denied(t, "GetRole red", err, user, "iam:GetRole on resource: arn:aws:iam::123456789012:role/red", "because no identity-based policy allows the iam:GetRole action")

	// Retagging changes the decision at once.
	if _, err := root.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("red"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("red")})
	allowed(t, "GetRole red after retagging", err)
}

// assume returns the configuration of a session of roleARN assumed by the
// caller, narrowed by sessionPolicy when not empty.
func assume(t *testing.T, cp *testutil.ControlPlane, caller aws.Config, roleARN, sessionPolicy string) aws.Config {
	t.Helper()
	in := &sts.AssumeRoleInput{RoleArn: &roleARN, RoleSessionName: aws.String("s1")}
	if sessionPolicy != "" {
		in.Policy = &sessionPolicy
	}
	out, err := sts.NewFromConfig(caller).AssumeRole(context.Background(), in)
	if err != nil {
		t.Fatalf("AssumeRole %s: %v", roleARN, err)
	}
	c := out.Credentials
	return testutil.Config(cp.URL, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

// TestServer_IAMEngine_RoleSession decides a role session's calls by the
// role's policies, narrowed by a session policy.
func TestServer_IAMEngine_RoleSession(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := iam.NewFromConfig(cp.RootConfig())
	bob := newUser(t, cp, "bob")
	putUserPolicy(t, root, "bob", "assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	roleARN := createRole(t, root, &iam.CreateRoleInput{RoleName: aws.String("reader"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"sts:AssumeRole"}]}`)})
	if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","iam:ListRoles"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	session := "arn:aws:sts::123456789012:assumed-role/reader/s1"

	c := iam.NewFromConfig(assume(t, cp, bob, roleARN, ""))
	_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("reader")})
	allowed(t, "session GetRole", err)
	_, err = c.ListRoles(ctx, &iam.ListRolesInput{})
	allowed(t, "session ListRoles", err)
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{})
	denied(t, "session ListUsers", err, session, "iam:ListUsers", "because no identity-based policy allows the iam:ListUsers action")

	narrow := iam.NewFromConfig(assume(t, cp, bob, roleARN, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`))
	_, err = narrow.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("reader")})
	allowed(t, "narrowed session GetRole", err)
	_, err = narrow.ListRoles(ctx, &iam.ListRolesInput{})
	denied(t, "narrowed session ListRoles", err, session, "iam:ListRoles", "because no session policy allows the iam:ListRoles action")

	// The role's sessions show in RoleLastUsed.
	out, err := root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("reader")})
	if err != nil {
		t.Fatal(err)
	}
	if lu := out.Role.RoleLastUsed; lu == nil || lu.LastUsedDate == nil || aws.ToString(lu.Region) != testutil.Region {
		t.Errorf("RoleLastUsed = %+v, want a date and region %s", lu, testutil.Region)
	}
}

// TestServer_IAMEngine_PermissionsBoundary allows a role session only what
// both its identity policy and its permissions boundary allow.
func TestServer_IAMEngine_PermissionsBoundary(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := iam.NewFromConfig(cp.RootConfig())
	bob := newUser(t, cp, "bob")
	putUserPolicy(t, root, "bob", "assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	boundary, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("read-only-boundary"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","sts:*"],"Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	roleARN := createRole(t, root, &iam.CreateRoleInput{RoleName: aws.String("bounded"), PermissionsBoundary: boundary.Policy.Arn,
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)})
	if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("bounded"), PolicyName: aws.String("iam-all"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	c := iam.NewFromConfig(assume(t, cp, bob, roleARN, ""))
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("bounded")})
	allowed(t, "GetRole (identity and boundary allow)", err)
	_, err = c.ListRoles(ctx, &iam.ListRolesInput{})
	denied(t, "ListRoles (boundary does not allow)", err, "arn:aws:sts::123456789012:assumed-role/bounded/s1", "iam:ListRoles",
		"because no permissions boundary allows the iam:ListRoles action")
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	allowed(t, "GetUser", err)
}

// TestServer_IAMEngine_Simulate runs the policy simulator through the SDK:
// a user's own, group and boundary policies, the matched statements, and
// the simulator's own authorization.
func TestServer_IAMEngine_Simulate(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := iam.NewFromConfig(cp.RootConfig())
	auditor := newUser(t, cp, "auditor")
	newUser(t, cp, "alice")
	putUserPolicy(t, root, "alice", "S3Read", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": \"arn:aws:s3:::reports/*\"\n    }\n  ]\n}")
	if _, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("readers"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	alice := "arn:aws:iam::123456789012:user/alice"

	// The auditor may simulate alice only.
	putUserPolicy(t, root, "auditor", "simulate", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::123456789012:user/alice"},{"Effect":"Allow","Action":["iam:SimulateCustomPolicy","iam:GetContextKeysForCustomPolicy"],"Resource":"*"}]}`)
	ac := iam.NewFromConfig(auditor)
	_, err := ac.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/auditor"), ActionNames: []string{"s3:GetObject"}})
	denied(t, "simulate the auditor", err, "arn:aws:iam::123456789012:user/auditor", "iam:SimulatePrincipalPolicy on resource: arn:aws:iam::123456789012:user/auditor", "action")

	out, err := ac.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: &alice,
		ActionNames:     []string{"s3:GetObject", "iam:GetRole", "iam:CreateRole"},
		ResourceArns:    []string{"arn:aws:s3:::reports/q1.csv"},
	})
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Action, Resource, Decision, Source, Type, Start, End string }
	var got []row
	for _, r := range out.EvaluationResults {
		rw := row{Action: aws.ToString(r.EvalActionName), Resource: aws.ToString(r.EvalResourceName), Decision: string(r.EvalDecision)}
		if len(r.MatchedStatements) > 0 {
			m := r.MatchedStatements[0]
			rw.Source, rw.Type = aws.ToString(m.SourcePolicyId), string(m.SourcePolicyType)
			rw.Start = pos(m.StartPosition)
			rw.End = pos(m.EndPosition)
		}
		if len(r.ResourceSpecificResults) != 1 || string(r.ResourceSpecificResults[0].EvalResourceDecision) != rw.Decision {
			t.Errorf("%s: ResourceSpecificResults = %+v", rw.Action, r.ResourceSpecificResults)
		}
		got = append(got, rw)
	}
	want := []row{
		{"s3:GetObject", "arn:aws:s3:::reports/q1.csv", "allowed", "user_alice_S3Read", "IAM Policy", "3:17", "8:6"},
		{"iam:GetRole", "arn:aws:s3:::reports/q1.csv", "allowed", "IAMReadOnlyAccess", "IAM Policy", "", ""},
		{"iam:CreateRole", "arn:aws:s3:::reports/q1.csv", "implicitDeny", "", "", "", ""},
	}
	for i := range got {
		if want[i].Start == "" && got[i].Start != "" { // positions of an AWS managed document: not pinned
			got[i].Start, got[i].End = "", ""
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SimulatePrincipalPolicy (-want +got):\n%s", diff)
	}

	custom, err := ac.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList:                    []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`},
		PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:List*","Resource":"*"}]}`},
		ActionNames:                        []string{"ecs:ListClusters", "ecs:RunTask"},
		ContextEntries:                     []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:RequestedRegion"), ContextKeyValues: []string{"eu-west-1"}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var decisions []string
	for _, r := range custom.EvaluationResults {
		d := aws.ToString(r.EvalActionName) + " " + string(r.EvalDecision)
		if b := r.PermissionsBoundaryDecisionDetail; b != nil {
			d += " boundary=" + map[bool]string{true: "allows", false: "denies"}[b.AllowedByPermissionsBoundary]
		}
		decisions = append(decisions, d)
	}
	if diff := cmp.Diff([]string{"ecs:ListClusters allowed boundary=allows", "ecs:RunTask implicitDeny boundary=denies"}, decisions); diff != "" {
		t.Errorf("SimulateCustomPolicy (-want +got):\n%s", diff)
	}

	keys, err := ac.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"aws:SecureTransport", "aws:username"}, keys.ContextKeyNames); diff != "" {
		t.Errorf("GetContextKeysForCustomPolicy (-want +got):\n%s", diff)
	}
}

func pos(p *iamtypes.Position) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(int(p.Line)) + ":" + strconv.Itoa(int(p.Column))
}

// TestServer_IAMEngine_LastUsed checks the activity IAM reports after
// calls through the gateway: GetAccessKeyLastUsed and the service last
// accessed report.
func TestServer_IAMEngine_LastUsed(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := iam.NewFromConfig(cp.RootConfig())
	cfg := newUser(t, cp, "worker")
	putUserPolicy(t, root, "worker", "read", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","s3:GetObject"],"Resource":"*"}]}`)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before, err := root.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: &creds.AccessKeyID})
	if err != nil {
		t.Fatal(err)
	}
	if lu := before.AccessKeyLastUsed; aws.ToString(lu.ServiceName) != "N/A" || lu.LastUsedDate != nil {
		t.Fatalf("unused key: %+v, want N/A", lu)
	}
	start := time.Now().Add(-time.Second)
	client := iam.NewFromConfig(cfg)
	if _, err := client.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatal(err)
	}
	_, _ = client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(benchTrust)}) // denied: still an attempt

	after, err := root.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: &creds.AccessKeyID})
	if err != nil {
		t.Fatal(err)
	}
	lu := after.AccessKeyLastUsed
	if aws.ToString(lu.ServiceName) != "iam" || aws.ToString(lu.Region) != testutil.Region || lu.LastUsedDate == nil || lu.LastUsedDate.Before(start) {
		t.Errorf("GetAccessKeyLastUsed = service %q region %q date %v, want iam in %s now", aws.ToString(lu.ServiceName), aws.ToString(lu.Region), lu.LastUsedDate, testutil.Region)
	}

	job, err := root.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{
		Arn: aws.String("arn:aws:iam::123456789012:user/worker"), Granularity: iamtypes.AccessAdvisorUsageGranularityTypeActionLevel})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := root.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: job.JobId})
	if err != nil {
		t.Fatal(err)
	}
	if rep.JobStatus != iamtypes.JobStatusTypeCompleted || len(rep.ServicesLastAccessed) != 2 {
		t.Fatalf("report: %s with %d services, want COMPLETED with iam and s3", rep.JobStatus, len(rep.ServicesLastAccessed))
	}
	svc := rep.ServicesLastAccessed[0] // AWS Identity and Access Management
	if aws.ToString(svc.ServiceNamespace) != "iam" || aws.ToInt32(svc.TotalAuthenticatedEntities) != 1 ||
		aws.ToString(svc.LastAuthenticatedEntity) != "arn:aws:iam::123456789012:user/worker" || aws.ToString(svc.LastAuthenticatedRegion) != testutil.Region {
		t.Errorf("iam entry = %+v", svc)
	}
	used := map[string]bool{}
	for _, a := range svc.TrackedActionsLastAccessed {
		if a.LastAccessedTime != nil {
			used[aws.ToString(a.ActionName)] = true
		}
	}
	if !used["ListRoles"] || used["CreateRole"] || len(used) != 1 {
		t.Errorf("accessed actions = %v, want ListRoles only (CreateRole is not granted, so not listed)", used)
	}
	if s3 := rep.ServicesLastAccessed[1]; aws.ToString(s3.ServiceNamespace) != "s3" || s3.LastAuthenticated != nil || aws.ToInt32(s3.TotalAuthenticatedEntities) != 0 {
		t.Errorf("s3 entry = %+v, want granted but never used", s3)
	}
}
