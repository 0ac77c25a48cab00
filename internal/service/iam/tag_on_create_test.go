// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/testutil"
)

// TestService_SDK_TagOnCreate checks IAM's tag-on-create authorization: a
// create call with Tags also needs the entity's tagging action
// (iam:TagRole for CreateRole, iam:TagUser for CreateUser), and a refused
// create creates nothing.
func TestService_SDK_TagOnCreate(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	root := iam.NewFromConfig(cp.RootConfig())
	ctx := context.Background()
	user := func(name, doc string) *iam.Client {
		t.Helper()
		if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
		key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return iam.NewFromConfig(testutil.Config(cp.URL, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""))
	}
	denied := func(err error, want string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
			t.Fatalf("error = %v, want AccessDenied", err)
		}
		if !strings.HasPrefix(ae.ErrorMessage(), want) {
			t.Errorf("message %q, want prefix %q", ae.ErrorMessage(), want)
		}
	}
	roleExists := func(name string) bool {
		t.Helper()
		_, err := root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		var nse *iamtypes.NoSuchEntityException
		if err != nil && !errors.As(err, &nse) {
			t.Fatal(err)
		}
		return err == nil
	}
	tags := []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}

	creator := user("creator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateRole","iam:CreateUser"],"Resource":"*"}]}`)
	if _, err := creator.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("plain"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatalf("untagged CreateRole: %v", err)
	}
	_, err := creator.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("tagged"), AssumeRolePolicyDocument: aws.String(trust), Tags: tags})
	denied(err, "User: arn:aws:iam::123456789012:user/creator is not authorized to perform: iam:TagRole on resource: arn:aws:iam::123456789012:role/tagged")
	if roleExists("tagged") {
		t.Error("a refused tagged CreateRole created the role")
	}
	_, err = creator.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tagged-user"), Tags: tags})
	denied(err, "User: arn:aws:iam::123456789012:user/creator is not authorized to perform: iam:TagUser on resource: arn:aws:iam::123456789012:user/tagged-user")

	// iam:TagRole limited to the tag the creator may set.
	tagger := user("tagger", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:CreateRole","Resource":"*"},
		{"Effect":"Allow","Action":"iam:TagRole","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}}]}`)
	if _, err := tagger.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("tagged"), AssumeRolePolicyDocument: aws.String(trust), Tags: tags}); err != nil {
		t.Fatalf("tagged CreateRole with iam:TagRole: %v", err)
	}
	lt, err := root.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("tagged")})
	if err != nil || len(lt.Tags) != 1 || aws.ToString(lt.Tags[0].Value) != "blue" {
		t.Errorf("tags of the new role: %v %+v", err, lt)
	}
	_, err = tagger.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("red"), AssumeRolePolicyDocument: aws.String(trust),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})
	denied(err, "User: arn:aws:iam::123456789012:user/tagger is not authorized to perform: iam:TagRole on resource: arn:aws:iam::123456789012:role/red")
	if roleExists("red") {
		t.Error("a refused tagged CreateRole created the role")
	}
}
