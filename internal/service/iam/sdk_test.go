// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/testutil"
)

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// TestService_SDK_ContainerInstanceRole walks the ECS container-instance
// role setup through aws-sdk-go-v2 and the gateway: role, AWS managed
// policy, instance profile, and the documents as the SDK sees them.
func TestService_SDK_ContainerInstanceRole(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	c := iam.NewFromConfig(cp.RootConfig())
	ctx := context.Background()

	r, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ecsInstanceRole"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if doc, err := url.QueryUnescape(aws.ToString(r.Role.AssumeRolePolicyDocument)); err != nil || doc != trust {
		t.Errorf("trust policy via SDK = %q (%v)", aws.ToString(r.Role.AssumeRolePolicyDocument), err)
	}
	const managed = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ecsInstanceRole"), PolicyArn: aws.String(managed)}); err != nil {
		t.Fatal(err)
	}
	ap, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("ecsInstanceRole")})
	if err != nil || len(ap.AttachedPolicies) != 1 || aws.ToString(ap.AttachedPolicies[0].PolicyArn) != managed {
		t.Fatalf("ListAttachedRolePolicies = %+v, %v", ap, err)
	}
	if _, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ecsInstanceRole")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ecsInstanceRole"), RoleName: aws.String("ecsInstanceRole")}); err != nil {
		t.Fatal(err)
	}
	ip, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("ecsInstanceRole")})
	if err != nil || len(ip.InstanceProfile.Roles) != 1 || aws.ToString(ip.InstanceProfile.Roles[0].RoleName) != "ecsInstanceRole" {
		t.Fatalf("GetInstanceProfile = %+v, %v", ip, err)
	}
	p, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(managed)})
	if err != nil || aws.ToInt32(p.Policy.AttachmentCount) != 1 || aws.ToString(p.Policy.DefaultVersionId) != "v10" {
		t.Fatalf("GetPolicy = %+v, %v", p, err)
	}

	// Errors arrive with IAM's codes.
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("ecsInstanceRole")})
	var conflict *iamtypes.DeleteConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("DeleteRole = %v, want DeleteConflict", err)
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("missing")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) || nse.ErrorMessage() != "The role with name missing cannot be found." {
		t.Errorf("GetRole(missing) = %v", err)
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(managed), PolicyDocument: aws.String(trust)})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" {
		t.Errorf("CreatePolicyVersion on an AWS policy = %v", err)
	}
}

// TestService_SDK_Paginators runs the SDK's own paginators over Marker and
// MaxItems.
func TestService_SDK_Paginators(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	c := iam.NewFromConfig(cp.RootConfig())
	ctx := context.Background()
	pg := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, MaxItems: aws.Int32(3)})
	var n, pages int
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.Policies)
		pages++
	}
	if n < 14 || pages < 5 {
		t.Errorf("AWS policies: %d in %d pages", n, pages)
	}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	users := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(2)})
	var names []string
	for users.HasMorePages() {
		out, err := users.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	if len(names) != 5 || names[0] != "a" || names[4] != "e" {
		t.Errorf("users = %v", names)
	}

	// A key never used: no date, "N/A" for service and region.
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	lu, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKey.AccessKeyId})
	if err != nil || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "N/A" || lu.AccessKeyLastUsed.LastUsedDate != nil || aws.ToString(lu.UserName) != "a" {
		t.Errorf("GetAccessKeyLastUsed = %+v, %v", lu, err)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("a"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a+b c"}]}`)}); err != nil {
		t.Fatal(err)
	}
	gp, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("a"), PolicyName: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(gp.PolicyDocument)); doc != `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a+b c"}]}` {
		t.Errorf("GetUserPolicy document = %s", doc)
	}
}
