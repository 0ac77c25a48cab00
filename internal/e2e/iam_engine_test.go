// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/testutil"
)

// The IAM policy engine through the AWS CLI against the berth binary:
// users, role sessions with session policies, permissions boundaries, and
// the policy simulator.

const trustDev = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/dev"},"Action":"sts:AssumeRole"}]}`

// session returns a runner signed with temporary credentials.
func (c *cli) session(id, secret, token string) *cli {
	s := c.as(id, secret)
	s.env = append(s.env, "AWS_SESSION_TOKEN="+token)
	return s
}

// deniedWith runs the CLI, expects AccessDenied and checks the message
// contains each of parts.
func (c *cli) deniedWith(parts []string, args ...string) {
	c.t.Helper()
	msg := c.mustFail("AccessDenied", args...)
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			c.t.Errorf("aws %s: %q does not contain %q", strings.Join(args, " "), strings.TrimSpace(msg), p)
		}
	}
}

// assumeRole assumes roleARN with the caller and returns the session's
// runner.
func (c *cli) assumeRole(roleARN string, extra ...string) *cli {
	c.t.Helper()
	var out struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	c.must(&out, append([]string{"sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "cli"}, extra...)...)
	cr := out.Credentials
	return c.session(cr.AccessKeyId, cr.SecretAccessKey, cr.SessionToken)
}

// rootEnv fixes the server's root key, so setup can go through the SDK
// (much faster than the CLI) while the behaviour under test goes through
// the CLI.
var rootEnv = []string{"BERTH_ROOT_ACCESS_KEY_ID=AKIAIAMENGINETEST001", "BERTH_ROOT_SECRET_ACCESS_KEY=iam-engine-test-secret-key-000000000000000"}

func rootSDK(p *testutil.Process) *iam.Client {
	return iam.NewFromConfig(testutil.Config(p.URL, "AKIAIAMENGINETEST001", "iam-engine-test-secret-key-000000000000000", ""))
}

func setup(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestCLI_IAMEngine_UserRoleAndBoundary(t *testing.T) {
	srv := testutil.StartServer(t, t.TempDir(), rootEnv)
	cli := newCLI(t, srv)
	root, ctx := rootSDK(srv), context.Background()
	_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")})
	setup(t, err)
	_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("scoped"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/app/*"},
	  {"Effect":"Allow","Action":["iam:ListRoles","iam:CreateUser"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}},
	  {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"},
	  {"Effect":"Deny","NotAction":["iam:Get*","iam:List*","sts:*"],"Resource":"*"}]}`)})
	setup(t, err)
	for _, r := range [][2]string{{"web", "/app/"}, {"db", "/"}} {
		_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r[0]), Path: aws.String(r[1]), AssumeRolePolicyDocument: aws.String(trustDev)})
		setup(t, err)
	}
	_, err = root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("web"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","iam:ListRoles"],"Resource":"*"}]}`)})
	setup(t, err)
	boundary, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("get-only"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`)})
	setup(t, err)
	_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bounded"), AssumeRolePolicyDocument: aws.String(trustDev), PermissionsBoundary: boundary.Policy.Arn})
	setup(t, err)
	_, err = root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("bounded"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")})
	setup(t, err)
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})
	setup(t, err)
	dev := cli.as(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey))
	user := "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "

	// A user's inline policy: a resource-scoped allow (the role's path is
	// in its ARN), a region condition and a NotAction deny.
	dev.must(nil, "iam", "get-role", "--role-name", "web")
	dev.deniedWith([]string{user + "iam:GetRole on resource: arn:aws:iam::123456789012:role/db because no identity-based policy allows the iam:GetRole action"},
		"iam", "get-role", "--role-name", "db")
	dev.deniedWith([]string{user + "iam:ListRoles on resource: arn:aws:iam::123456789012:role/ because no identity-based policy allows the iam:ListRoles action"},
		"iam", "list-roles", "--region", "eu-west-1")
	dev.deniedWith([]string{user + "iam:CreateUser on resource: arn:aws:iam::123456789012:user/eve with an explicit deny in an identity-based policy"},
		"iam", "create-user", "--user-name", "eve")

	// A role session: the role's policy allows, a session policy narrows.
	web := dev.assumeRole("arn:aws:iam::123456789012:role/app/web")
	web.must(nil, "iam", "get-role", "--role-name", "db")
	session := "User: arn:aws:sts::123456789012:assumed-role/web/cli is not authorized to perform: "
	web.deniedWith([]string{session + "iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no identity-based policy allows the iam:ListUsers action"}, "iam", "list-users")
	narrow := dev.assumeRole("arn:aws:iam::123456789012:role/app/web", "--policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`)
	narrow.deniedWith([]string{session + "iam:ListRoles on resource: arn:aws:iam::123456789012:role/ because no session policy allows the iam:ListRoles action"}, "iam", "list-roles")

	// A permissions boundary: allowed only where it and the role's policy
	// both allow.
	bounded := dev.assumeRole("arn:aws:iam::123456789012:role/bounded")
	bounded.must(nil, "iam", "get-role", "--role-name", "bounded")
	bounded.deniedWith([]string{
		"User: arn:aws:sts::123456789012:assumed-role/bounded/cli is not authorized to perform: iam:ListRoles",
		"because no permissions boundary allows the iam:ListRoles action",
	}, "iam", "list-roles")

	// The role's last use is the session's.
	role, err := root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("bounded")})
	setup(t, err)
	if lu := role.Role.RoleLastUsed; lu == nil || lu.LastUsedDate == nil || aws.ToString(lu.Region) != testutil.Region {
		t.Errorf("RoleLastUsed = %+v, want the session's use in %s", lu, testutil.Region)
	}
}

// simResult is the part of an EvaluationResult the CLI tests compare.
type simResult struct {
	EvalActionName    string
	EvalResourceName  string
	EvalDecision      string
	MatchedStatements []struct {
		SourcePolicyId   string
		SourcePolicyType string
		StartPosition    struct{ Line, Column int }
		EndPosition      struct{ Line, Column int }
	}
	MissingContextValues              []string
	PermissionsBoundaryDecisionDetail *struct{ AllowedByPermissionsBoundary bool }
}

func TestCLI_IAMEngine_Simulator(t *testing.T) {
	srv := testutil.StartServer(t, t.TempDir(), rootEnv)
	cli := newCLI(t, srv)
	root, ctx := rootSDK(srv), context.Background()
	_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	setup(t, err)
	_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("Reports"),
		PolicyDocument: aws.String("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": \"arn:aws:s3:::reports/*\"\n    },\n    {\n      \"Effect\": \"Deny\",\n      \"NotAction\": \"s3:GetObject\",\n      \"Resource\": \"arn:aws:s3:::reports/secret/*\"\n    }\n  ]\n}")})
	setup(t, err)

	var out struct{ EvaluationResults []simResult }
	cli.must(&out, "iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::123456789012:user/alice",
		"--action-names", "s3:GetObject", "s3:DeleteObject", "--resource-arns", "arn:aws:s3:::reports/secret/plan.txt")
	type row struct {
		Action, Decision, Source, Type string
		Start, End                     [2]int
	}
	var got []row
	for _, r := range out.EvaluationResults {
		rw := row{Action: r.EvalActionName, Decision: r.EvalDecision}
		if len(r.MatchedStatements) > 0 {
			m := r.MatchedStatements[0]
			rw.Source, rw.Type = m.SourcePolicyId, m.SourcePolicyType
			rw.Start, rw.End = [2]int{m.StartPosition.Line, m.StartPosition.Column}, [2]int{m.EndPosition.Line, m.EndPosition.Column}
		}
		got = append(got, rw)
	}
	want := []row{
		{"s3:GetObject", "allowed", "user_alice_Reports", "IAM Policy", [2]int{3, 17}, [2]int{8, 6}},
		{"s3:DeleteObject", "explicitDeny", "user_alice_Reports", "IAM Policy", [2]int{8, 6}, [2]int{13, 6}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("simulate-principal-policy (-want +got):\n%s", diff)
	}

	out.EvaluationResults = nil
	cli.must(&out, "iam", "simulate-custom-policy",
		"--policy-input-list", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`,
		"--permissions-boundary-policy-input-list", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:List*","Resource":"*"}]}`,
		"--action-names", "ecs:ListClusters", "ecs:RunTask", "ecs:DescribeClusters",
		"--context-entries", "ContextKeyName=aws:RequestedRegion,ContextKeyValues=eu-west-1,ContextKeyType=string")
	var decisions []string
	for _, r := range out.EvaluationResults {
		d := r.EvalActionName + " " + r.EvalDecision
		if b := r.PermissionsBoundaryDecisionDetail; b != nil && b.AllowedByPermissionsBoundary {
			d += " (boundary allows)"
		}
		decisions = append(decisions, d)
	}
	if diff := cmp.Diff([]string{"ecs:ListClusters allowed (boundary allows)", "ecs:RunTask implicitDeny", "ecs:DescribeClusters implicitDeny"}, decisions); diff != "" {
		t.Errorf("simulate-custom-policy (-want +got):\n%s", diff)
	}
	if m := out.EvaluationResults[0].MatchedStatements; len(m) != 2 || m[0].SourcePolicyId != "PolicyInputList.1" || m[1].SourcePolicyId != "PermissionsBoundaryPolicyInputList.1" {
		t.Errorf("matched statements = %+v, want PolicyInputList.1 and PermissionsBoundaryPolicyInputList.1", m)
	}

	// Without the context entry the key is reported missing.
	out.EvaluationResults = nil
	cli.must(&out, "iam", "simulate-custom-policy",
		"--policy-input-list", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`,
		"--action-names", "ecs:ListClusters")
	if r := out.EvaluationResults[0]; r.EvalDecision != "implicitDeny" || !cmp.Equal(r.MissingContextValues, []string{"aws:RequestedRegion"}) {
		t.Errorf("without context: %s missing %v, want implicitDeny missing [aws:RequestedRegion]", r.EvalDecision, r.MissingContextValues)
	}

	var keys struct{ ContextKeyNames []string }
	cli.must(&keys, "iam", "get-context-keys-for-custom-policy", "--policy-input-list",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Bool":{"aws:SecureTransport":"true"}}}]}`)
	if diff := cmp.Diff([]string{"aws:SourceIp", "aws:SecureTransport", "aws:username"}, keys.ContextKeyNames); diff != "" {
		t.Errorf("get-context-keys-for-custom-policy (-want +got):\n%s", diff)
	}
	cli.mustFail("NoSuchEntity", "iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::123456789012:user/nobody", "--action-names", "s3:GetObject")
}
