// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package authz_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/testutil"
)

// TestPolicyChangeTakesEffect drives a control plane with the SDK: every
// IAM change to a user's policies decides that user's very next request,
// whatever the engine cached for the requests before it.
func TestPolicyChangeTakesEffect(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := iam.NewFromConfig(cp.RootConfig())
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("u")})
	if err != nil {
		t.Fatal(err)
	}
	user := iam.NewFromConfig(testutil.Config(cp.URL, aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""))
	check := func(step string, want bool) {
		t.Helper()
		for range 2 { // the second request is served from the engine's cache
			_, err := user.ListRoles(ctx, &iam.ListRolesInput{})
			var ae smithy.APIError
			switch {
			case want && err != nil:
				t.Fatalf("%s: ListRoles = %v, want allowed", step, err)
			case !want && (!errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied"):
				t.Fatalf("%s: ListRoles = %v, want AccessDenied", step, err)
			}
		}
	}
	const readOnly = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
	const denyList = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ListRoles","Resource":"*"}]}`
	const allowList = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`

	check("no policy", false)
	must(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(readOnly)}))
	check("managed policy attached", true)
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p"), PolicyDocument: aws.String(denyList)}))
	check("inline deny added", false)
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowList)}))
	check("inline policy rewritten to allow", true)
	must(root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(readOnly)}))
	check("managed detached, inline still allows", true)
	must(root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p")}))
	check("inline deleted", false)

	// Through a group and a customer managed policy's new default version.
	must(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	must(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: aws.String("u")}))
	pol, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("cm"), PolicyDocument: aws.String(allowList)})
	if err != nil {
		t.Fatal(err)
	}
	must(root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: pol.Policy.Arn}))
	check("group policy attached", true)
	must(root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: pol.Policy.Arn, PolicyDocument: aws.String(denyList), SetAsDefault: true}))
	check("default version now denies", false)
	must(root.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: pol.Policy.Arn, VersionId: aws.String("v1")}))
	check("default version back to v1", true)
	must(root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("g"), UserName: aws.String("u")}))
	check("removed from group", false)
}
