// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/berthdev/berth/internal/testutil"
)

// TestService_SDK_SessionTagPermissions checks, through the whole control
// plane, who must allow the extra actions of AssumeRole: sts:TagSession
// (session tags) and sts:SetSourceIdentity (a source identity) are asked
// of the role's trust policy like sts:AssumeRole. Within one account a
// trust policy naming the caller suffices and identity policies cannot
// stand in for it; a trust policy naming the account delegates to the
// caller's identity policies.
func TestService_SDK_SessionTagPermissions(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	iamc := iam.NewFromConfig(cp.RootConfig())
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const acct = "arn:aws:iam::123456789012:"
	user := func(name, doc string) *sts.Client {
		t.Helper()
		must(iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
		if doc != "" {
			must(iamc.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))
		}
		key, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return sts.NewFromConfig(testutil.Config(cp.URL, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""))
	}
	role := func(name, principal, actions string) {
		t.Helper()
		must(iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":` + actions + `}]}`)}))
	}
	tags := []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}
	assume := func(c *sts.Client, roleName string, mod func(*sts.AssumeRoleInput)) error {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(acct + "role/" + roleName), RoleSessionName: aws.String("sess")}
		if mod != nil {
			mod(in)
		}
		_, err := c.AssumeRole(ctx, in)
		return err
	}
	denied := func(t *testing.T, err error, who, action, roleName string) {
		t.Helper()
		ae, status := apiError(t, err)
		want := "User: " + acct + "user/" + who + " is not authorized to perform: " + action + " on resource: " + acct + "role/" + roleName
		if ae.ErrorCode() != "AccessDenied" || status != http.StatusForbidden || !strings.HasPrefix(ae.ErrorMessage(), want) {
			t.Errorf("error = %s (HTTP %d) %q, want AccessDenied (403) %q…", ae.ErrorCode(), status, ae.ErrorMessage(), want)
		}
	}
	withTags := func(in *sts.AssumeRoleInput) { in.Tags = tags }

	// bob may do everything STS has by his own policy; the trust policy of
	// "notag" names him for sts:AssumeRole only.
	bob := user("bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}`)
	role("notag", acct+"user/bob", `"sts:AssumeRole"`)
	t.Run("trust policy without sts:TagSession refuses session tags", func(t *testing.T) {
		if err := assume(bob, "notag", nil); err != nil {
			t.Fatalf("untagged AssumeRole: %v", err)
		}
		denied(t, assume(bob, "notag", withTags), "bob", "sts:TagSession", "notag")
		denied(t, assume(bob, "notag", func(in *sts.AssumeRoleInput) { in.TransitiveTagKeys = []string{"team"}; in.Tags = tags }), "bob", "sts:TagSession", "notag")
	})
	t.Run("trust policy without sts:SetSourceIdentity refuses a source identity", func(t *testing.T) {
		denied(t, assume(bob, "notag", func(in *sts.AssumeRoleInput) { in.SourceIdentity = aws.String("alice") }), "bob", "sts:SetSourceIdentity", "notag")
	})

	// carol has no identity policy: a trust policy naming her suffices.
	carol := user("carol", "")
	role("direct", acct+"user/carol", `["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]`)
	t.Run("trust policy naming the caller needs no identity policy", func(t *testing.T) {
		if err := assume(carol, "direct", func(in *sts.AssumeRoleInput) { in.Tags = tags; in.SourceIdentity = aws.String("carol") }); err != nil {
			t.Errorf("AssumeRole with tags and a source identity: %v", err)
		}
	})

	// A trust policy naming the account delegates to identity policies.
	role("account", acct+"root", `["sts:AssumeRole","sts:TagSession"]`)
	dave := user("dave", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	t.Run("trust policy naming the account needs the caller's identity policy", func(t *testing.T) {
		denied(t, assume(carol, "account", nil), "carol", "sts:AssumeRole", "account")
		if err := assume(dave, "account", nil); err != nil {
			t.Errorf("untagged AssumeRole: %v", err)
		}
		denied(t, assume(dave, "account", withTags), "dave", "sts:TagSession", "account")
		if err := assume(bob, "account", withTags); err != nil {
			t.Errorf("tagged AssumeRole by a caller allowed sts:TagSession: %v", err)
		}
	})
}
