// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/berthdev/berth/internal/testutil"
)

// TestServer_PolicyDocumentsValidatedAtWrite checks that the policy engine's
// parser judges documents at write time, with AWS's messages, through the
// real wiring.
func TestServer_PolicyDocumentsValidatedAtWrite(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	c := iam.NewFromConfig(cp.RootConfig())
	ctx := context.Background()
	tests := []struct {
		name    string
		call    func() error
		wantMsg string
	}{
		{"syntax error", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[`)})
			return err
		}, "Syntax errors in policy."},
		{"principal in an identity policy", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bad2"), PolicyDocument: aws.String(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`)})
			return err
		}, "Policy document should not specify a principal."},
		{"trust policy action without a vendor", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad3"), AssumeRolePolicyDocument: aws.String(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"AssumeRole"}]}`)})
			return err
		}, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var mpd *iamtypes.MalformedPolicyDocumentException
			if !errors.As(err, &mpd) {
				t.Fatalf("got %v, want MalformedPolicyDocumentException", err)
			}
			if got := aws.ToString(mpd.Message); got != tc.wantMsg {
				t.Errorf("message = %q, want %q", got, tc.wantMsg)
			}
		})
	}
	// Nothing was written.
	out, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Policies) != 0 {
		t.Fatalf("malformed CreatePolicy left %d policies", len(out.Policies))
	}
}
