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

// TestServer_OpenAuth: with --auth open any well-formed signature, even
// with dummy keys, acts as the account's administrator; without it the
// same keys are refused.
func TestServer_OpenAuth(t *testing.T) {
	ctx := context.Background()
	dummy := func(url string) aws.Config { return testutil.Config(url, "test", "test", "") }

	open := testutil.TestControlPlane(t, testutil.WithAuthMode("open"))
	id, err := sts.NewFromConfig(dummy(open.URL)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with dummy keys in open mode: %v", err)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:iam::123456789012:root"; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}
	if _, err := iam.NewFromConfig(dummy(open.URL)).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}); err != nil {
		t.Fatalf("CreateUser with dummy keys in open mode: %v", err)
	}

	strict := testutil.TestControlPlane(t)
	_, err = iam.NewFromConfig(dummy(strict.URL)).ListUsers(ctx, &iam.ListUsersInput{})
	if ae, _ := apiError(t, err); ae.ErrorCode() != "InvalidClientTokenId" {
		t.Fatalf("dummy keys in sigv4 mode: %v, want InvalidClientTokenId", err)
	}
}
