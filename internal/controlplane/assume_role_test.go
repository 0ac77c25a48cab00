// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/berthdev/berth/internal/testutil"
)

// TestServer_AssumeRole_TrustDecides runs AssumeRole through the whole
// stack: a role whose trust policy names bob can be assumed by bob, the
// session's identity is the assumed-role ARN, and carol — whose identity
// policy allows sts:AssumeRole just as bob's does — is refused because the
// trust policy does not name her.
func TestServer_AssumeRole_TrustDecides(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := iam.NewFromConfig(cp.RootConfig())
	bob, carol := newUser(t, cp, "bob"), newUser(t, cp, "carol")
	allowAssume := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`
	for _, u := range []string{"bob", "carol"} {
		if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(u), PolicyName: aws.String("assume"), PolicyDocument: aws.String(allowAssume)}); err != nil {
			t.Fatal(err)
		}
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"sts:AssumeRole"}]}`
	role, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}

	out, err := sts.NewFromConfig(bob).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("ship-it")})
	if err != nil {
		t.Fatalf("AssumeRole as bob: %v", err)
	}
	c := out.Credentials
	if got := aws.ToString(c.AccessKeyId); len(got) != 20 || got[:4] != "ASIA" {
		t.Errorf("AccessKeyId = %q, want ASIA + 16 characters", got)
	}
	sess := testutil.Config(cp.URL, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	id, err := sts.NewFromConfig(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the session: %v", err)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:sts::123456789012:assumed-role/deployer/ship-it"; got != want {
		t.Errorf("session Arn = %q, want %q", got, want)
	}

	_, err = sts.NewFromConfig(carol).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("nope")})
	ae, _ := apiError(t, err)
	if ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("AssumeRole as carol: %v, want AccessDenied", err)
	}
	want := "User: arn:aws:iam::123456789012:user/carol is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/deployer"
	if got := ae.ErrorMessage(); len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("message = %q, want prefix %q", got, want)
	}

	// A session without the session token is refused.
	noToken := testutil.Config(cp.URL, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), "")
	_, err = sts.NewFromConfig(noToken).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if ae, _ := apiError(t, err); ae.ErrorCode() != "InvalidClientTokenId" {
		t.Fatalf("session key without token: %v, want InvalidClientTokenId", err)
	}
}
