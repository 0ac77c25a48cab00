// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"encoding/json"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/iam/actionmap"
	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/testutil"
)

const ec2Trust = `{"Version":"2008-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

const instanceRolePolicy = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"

// TestCLI_ContainerInstanceRoleStory drives the AWS CLI through the steps of
// AWS's "Amazon ECS Container Instance IAM Role" page against the berth
// binary, then kills the server with SIGKILL and checks the state survived.
func TestCLI_ContainerInstanceRoleStory(t *testing.T) {
	dir := t.TempDir()
	srv := testutil.StartServer(t, dir, nil)
	aws := newCLI(t, srv)

	// Create ecsInstanceRole with EC2 trust and attach the managed policy.
	aws.must(nil, "iam", "create-role", "--role-name", "ecsInstanceRole", "--assume-role-policy-document", ec2Trust)
	aws.must(nil, "iam", "attach-role-policy", "--role-name", "ecsInstanceRole", "--policy-arn", instanceRolePolicy)

	// "Check the trust relationship".
	var role struct {
		Role struct {
			Arn                      string
			AssumeRolePolicyDocument struct {
				Statement []struct {
					Effect    string
					Principal struct{ Service string }
					Action    string
				}
			}
		}
	}
	aws.must(&role, "iam", "get-role", "--role-name", "ecsInstanceRole")
	st := role.Role.AssumeRolePolicyDocument.Statement
	if len(st) != 1 || st[0].Principal.Service != "ec2.amazonaws.com" || st[0].Action != "sts:AssumeRole" || st[0].Effect != "Allow" {
		t.Fatalf("trust relationship = %+v, want ec2.amazonaws.com allowed sts:AssumeRole", st)
	}

	// The instance profile holds the role.
	aws.must(nil, "iam", "create-instance-profile", "--instance-profile-name", "ecsInstanceRole")
	aws.must(nil, "iam", "add-role-to-instance-profile", "--instance-profile-name", "ecsInstanceRole", "--role-name", "ecsInstanceRole")
	var prof struct {
		InstanceProfile struct{ Roles []struct{ RoleName string } }
	}
	aws.must(&prof, "iam", "get-instance-profile", "--instance-profile-name", "ecsInstanceRole")
	if len(prof.InstanceProfile.Roles) != 1 || prof.InstanceProfile.Roles[0].RoleName != "ecsInstanceRole" {
		t.Fatalf("instance profile roles = %+v", prof.InstanceProfile.Roles)
	}

	// S3 read-only access for the config bootstrap.
	aws.must(nil, "iam", "attach-role-policy", "--role-name", "ecsInstanceRole", "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
	var attached struct{ AttachedPolicies []struct{ PolicyArn string } }
	aws.must(&attached, "iam", "list-attached-role-policies", "--role-name", "ecsInstanceRole")
	if len(attached.AttachedPolicies) != 2 {
		t.Fatalf("attached policies = %+v, want 2", attached.AttachedPolicies)
	}

	// AWS's current document grants every action of the guide's older one.
	var pol struct {
		Policy struct{ DefaultVersionId string }
	}
	aws.must(&pol, "iam", "get-policy", "--policy-arn", instanceRolePolicy)
	var ver struct {
		PolicyVersion struct {
			Document         json.RawMessage
			IsDefaultVersion bool
		}
	}
	aws.must(&ver, "iam", "get-policy-version", "--policy-arn", instanceRolePolicy, "--version-id", pol.Policy.DefaultVersionId)
	if !ver.PolicyVersion.IsDefaultVersion {
		t.Fatal("get-policy-version of the default version says IsDefaultVersion=false")
	}
	checkGrantsGuideActions(t, string(ver.PolicyVersion.Document))

	// A fresh IAM user with an access key is denied iam:ListRoles.
	aws.must(nil, "iam", "create-user", "--user-name", "newcomer")
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	aws.must(&key, "iam", "create-access-key", "--user-name", "newcomer")
	newcomer := aws.as(key.AccessKey.AccessKeyId, key.AccessKey.SecretAccessKey)
	errs := newcomer.mustFail("AccessDenied", "iam", "list-roles")
	if !strings.Contains(errs, "user/newcomer is not authorized to perform: iam:ListRoles") {
		t.Errorf("denial message %q does not say who and what", errs)
	}

	// AssumeRole: a principal the trust policy names succeeds, one it does
	// not name fails.
	aws.must(nil, "iam", "put-user-policy", "--user-name", "newcomer", "--policy-name", "assume",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	aws.must(nil, "iam", "create-role", "--role-name", "for-newcomer", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+testutil.AccountID+`:user/newcomer"},"Action":"sts:AssumeRole"}]}`)
	var creds struct{ AssumedRoleUser struct{ Arn string } }
	newcomer.must(&creds, "sts", "assume-role", "--role-arn", "arn:aws:iam::"+testutil.AccountID+":role/for-newcomer", "--role-session-name", "s1")
	if want := "arn:aws:sts::" + testutil.AccountID + ":assumed-role/for-newcomer/s1"; creds.AssumedRoleUser.Arn != want {
		t.Errorf("assumed role ARN = %q, want %q", creds.AssumedRoleUser.Arn, want)
	}
	newcomer.mustFail("AccessDenied", "sts", "assume-role", "--role-arn", role.Role.Arn, "--role-session-name", "s2")

	// State survives kill -9 and a restart.
	srv.Kill()
	srv2 := testutil.StartServer(t, dir, nil)
	aws2 := newCLI(t, srv2)
	aws2.must(&attached, "iam", "list-attached-role-policies", "--role-name", "ecsInstanceRole")
	if len(attached.AttachedPolicies) != 2 {
		t.Fatalf("after kill -9: attached policies = %+v, want 2", attached.AttachedPolicies)
	}
	aws2.must(&prof, "iam", "get-instance-profile", "--instance-profile-name", "ecsInstanceRole")
	if len(prof.InstanceProfile.Roles) != 1 {
		t.Fatalf("after kill -9: instance profile roles = %+v", prof.InstanceProfile.Roles)
	}
	aws2.as(key.AccessKey.AccessKeyId, key.AccessKey.SecretAccessKey).must(nil, "sts", "get-caller-identity")
}

// checkGrantsGuideActions evaluates doc for every action the guide's
// version of AmazonEC2ContainerServiceforEC2Role lists (ecs:Submit*
// expanded to the actions it matches) and fails for any not allowed.
func checkGrantsGuideActions(t *testing.T, doc string) {
	t.Helper()
	guide, err := os.ReadFile("testdata/guide-AmazonEC2ContainerServiceforEC2Role.json")
	if err != nil {
		t.Fatal(err)
	}
	var old struct{ Statement []struct{ Action []string } }
	if err := json.Unmarshal(guide, &old); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(doc, policy.KindManaged)
	if err != nil {
		t.Fatalf("current document does not parse: %v", err)
	}
	c := policy.Compile(p)
	var actions []string
	for _, a := range old.Statement[0].Action {
		prefix, name, _ := strings.Cut(a, ":")
		if !strings.Contains(name, "*") {
			actions = append(actions, a)
			continue
		}
		for _, n := range actionmap.Actions(prefix) {
			if ok, _ := path.Match(name, n); ok {
				actions = append(actions, prefix+":"+n)
			}
		}
	}
	if len(actions) < 14 {
		t.Fatalf("expanded only %d actions from the guide's policy: %v", len(actions), actions)
	}
	for _, a := range actions {
		in := &policy.Input{
			Principal: policy.Principal{Type: policy.PrincipalRoleSession, ARN: "arn:aws:sts::" + testutil.AccountID + ":assumed-role/ecsInstanceRole/i-1",
				Account: testutil.AccountID, RoleARN: "arn:aws:iam::" + testutil.AccountID + ":role/ecsInstanceRole"},
			Identity: []*policy.Compiled{c},
			Action:   a,
			Resource: "*",
			Context:  new(policy.Context),
		}
		if r := policy.Evaluate(in); r.Decision != policy.Allowed {
			t.Errorf("the current AmazonEC2ContainerServiceforEC2Role does not grant %s (%s)", a, r.Decision)
		}
	}
}
