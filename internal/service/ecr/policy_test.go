// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/awserr/awserrtest"
	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
)

func TestService_RepositoryPolicy(t *testing.T) {
	f := newFixture(t)
	must[*ecrapi.CreateRepositoryOutput](t)(f.svc.CreateRepository(f.ctx, &ecrapi.CreateRepositoryInput{RepositoryName: sp("web")}))
	good := `{"Version":"2012-10-17","Statement":[{"Sid":"deny-bob","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}`
	tests := []struct {
		name, doc, code string
	}{
		{"not json", "nope", ecrapi.CodeInvalidParameter},
		{"no principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*"}]}`, ecrapi.CodeInvalidParameter},
		{"s3 action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`, ecrapi.CodeInvalidParameter},
		{"unknown ecr action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:FlyAway"}]}`, ecrapi.CodeInvalidParameter},
		{"good", good, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.SetRepositoryPolicy(f.ctx, &ecrapi.SetRepositoryPolicyInput{RepositoryName: sp("web"), PolicyText: &tc.doc})
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			awserrtest.WantCode(t, err, tc.code, "")
			_, err = f.svc.GetRepositoryPolicy(f.ctx, &ecrapi.GetRepositoryPolicyInput{RepositoryName: sp("web")})
			awserrtest.WantCode(t, err, ecrapi.CodeRepositoryPolicyNotFound, "")
		})
	}
	got := must[*ecrapi.GetRepositoryPolicyOutput](t)(f.svc.GetRepositoryPolicy(f.ctx, &ecrapi.GetRepositoryPolicyInput{RepositoryName: sp("web")}))
	if *got.PolicyText != good {
		t.Fatalf("policy = %s, want it as set", *got.PolicyText)
	}

	// The engine sees the policy with the repository as its resource.
	arn := "arn:aws:ecr:us-east-1:123456789012:repository/web"
	bob := principal.NewContext(context.Background(), &principal.Principal{Kind: principal.User, AccountID: testAccount, ARN: "arn:aws:iam::123456789012:user/bob"})
	doc, key, account, ok := f.svc.RepositoryPolicy(bob, "ecr:BatchGetImage", arn)
	if !ok || account != testAccount || key == "" {
		t.Fatalf("RepositoryPolicy = %q, %q, %q, %v", doc, key, account, ok)
	}
	var parsed struct{ Statement []map[string]any }
	if err := json.Unmarshal([]byte(doc), &parsed); err != nil || parsed.Statement[0]["Resource"] != arn {
		t.Fatalf("served policy %s lacks Resource %s (%v)", doc, arn, err)
	}
	if _, err := policy.Parse(doc, policy.KindResource); err != nil {
		t.Fatalf("served policy does not parse: %v", err)
	}
	if _, _, _, ok := f.svc.RepositoryPolicy(bob, "ecr:BatchGetImage", "arn:aws:ecr:us-east-1:123456789012:repository/other"); ok {
		t.Fatal("a policy for a repository without one")
	}
	// The account root is never locked out of the policy operations.
	if _, _, _, ok := f.svc.RepositoryPolicy(f.ctx, "ecr:SetRepositoryPolicy", arn); ok {
		t.Fatal("the root's SetRepositoryPolicy is judged by the repository policy")
	}

	del := must[*ecrapi.DeleteRepositoryPolicyOutput](t)(f.svc.DeleteRepositoryPolicy(f.ctx, &ecrapi.DeleteRepositoryPolicyInput{RepositoryName: sp("web")}))
	if *del.PolicyText != good {
		t.Fatalf("deleted policy = %s", *del.PolicyText)
	}
	_, err := f.svc.DeleteRepositoryPolicy(f.ctx, &ecrapi.DeleteRepositoryPolicyInput{RepositoryName: sp("web")})
	awserrtest.WantCode(t, err, ecrapi.CodeRepositoryPolicyNotFound, "")
	if _, _, _, ok := f.svc.RepositoryPolicy(bob, "ecr:BatchGetImage", arn); ok {
		t.Fatal("a deleted policy is still served")
	}
}

func TestService_AuthzTarget(t *testing.T) {
	f := newFixture(t)
	must[*ecrapi.CreateRepositoryOutput](t)(f.svc.CreateRepository(f.ctx, &ecrapi.CreateRepositoryInput{RepositoryName: sp("web"),
		Tags: []ecrapi.Tag{{Key: sp("team"), Value: sp("a")}}}))
	arn := "arn:aws:ecr:us-east-1:123456789012:repository/web"
	tests := []struct {
		op       string
		in       any
		action   string
		resource []string
		ctxKey   string
	}{
		{"GetAuthorizationToken", &ecrapi.GetAuthorizationTokenInput{}, "ecr:GetAuthorizationToken", nil, ""},
		{"BatchGetImage", &ecrapi.BatchGetImageInput{RepositoryName: sp("web")}, "ecr:BatchGetImage", []string{arn}, "aws:ResourceTag/team"},
		{"PutImage", &ecrapi.PutImageInput{RepositoryName: sp("new")}, "ecr:PutImage", []string{"arn:aws:ecr:us-east-1:123456789012:repository/new"}, ""},
		{"CreateRepository", &ecrapi.CreateRepositoryInput{RepositoryName: sp("x"), Tags: []ecrapi.Tag{{Key: sp("k"), Value: sp("v")}}}, "ecr:CreateRepository",
			[]string{"arn:aws:ecr:us-east-1:123456789012:repository/x"}, "aws:RequestTag/k"},
		{"DescribeRepositories", &ecrapi.DescribeRepositoriesInput{}, "ecr:DescribeRepositories", []string{"arn:aws:ecr:us-east-1:123456789012:repository/*"}, ""},
		{"TagResource", &ecrapi.TagResourceInput{ResourceArn: &arn}, "ecr:TagResource", []string{arn}, "aws:ResourceTag/team"},
		{"GetRepositoryPolicy", &ecrapi.GetRepositoryPolicyInput{RegistryId: sp("111111111111"), RepositoryName: sp("web")}, "ecr:GetRepositoryPolicy",
			[]string{"arn:aws:ecr:us-east-1:111111111111:repository/web"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			tg, err := f.svc.AuthzTarget(f.ctx, tc.op, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if tg.Action != tc.action || joined(tg.Resources) != joined(tc.resource) {
				t.Fatalf("target = %s on %v, want %s on %v", tg.Action, tg.Resources, tc.action, tc.resource)
			}
			if tc.ctxKey != "" && len(tg.Context[tc.ctxKey]) == 0 {
				t.Fatalf("context %v lacks %s", tg.Context, tc.ctxKey)
			}
		})
	}
}
