// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package targets

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/gateway"
)

// fakeIAM knows one role, /ci/deployer, tagged team=blue, and an untagged
// policy.
type fakeIAM struct{}

func (fakeIAM) EntityPath(_ context.Context, kind, name string) (string, bool) {
	if kind == "role" && name == "deployer" {
		return "/ci/", true
	}
	return "", false
}

func (fakeIAM) ResourceTags(_ context.Context, arn string) (map[string]string, bool) {
	switch arn {
	case "arn:aws:iam::123456789012:role/ci/deployer":
		return map[string]string{"team": "blue"}, true
	case "arn:aws:iam::123456789012:policy/p":
		return nil, true
	}
	return nil, false
}

func sp(s string) *string { return &s }

func TestIAM_AuthzTarget(t *testing.T) {
	d := IAM{Account: "123456789012", Paths: fakeIAM{}}
	tests := []struct {
		op   string
		in   any
		want gateway.Target
	}{
		{"GetRole", &iamapi.GetRoleInput{RoleName: sp("deployer")}, gateway.Target{
			Action: "iam:GetRole", Resources: []string{"arn:aws:iam::123456789012:role/ci/deployer"},
			Context: map[string][]string{"aws:ResourceTag/team": {"blue"}, "iam:ResourceTag/team": {"blue"}},
		}},
		{"GetRole", &iamapi.GetRoleInput{RoleName: sp("other")}, gateway.Target{
			Action: "iam:GetRole", Resources: []string{"arn:aws:iam::123456789012:role/other"},
		}},
		{"GetPolicy", &iamapi.GetPolicyInput{PolicyArn: sp("arn:aws:iam::123456789012:policy/p")}, gateway.Target{
			Action: "iam:GetPolicy", Resources: []string{"arn:aws:iam::123456789012:policy/p"},
		}},
		{"SimulatePrincipalPolicy", &iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: sp("arn:aws:iam::123456789012:user/alice"), ActionNames: []string{"s3:GetObject"}}, gateway.Target{
			Action: "iam:SimulatePrincipalPolicy", Resources: []string{"arn:aws:iam::123456789012:user/alice"},
		}},
		{"GetContextKeysForPrincipalPolicy", &iamapi.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: sp("arn:aws:iam::123456789012:group/g")}, gateway.Target{
			Action: "iam:GetContextKeysForPrincipalPolicy", Resources: []string{"arn:aws:iam::123456789012:group/g"},
		}},
		{"GenerateServiceLastAccessedDetails", &iamapi.GenerateServiceLastAccessedDetailsInput{Arn: sp("arn:aws:iam::123456789012:role/ci/deployer")}, gateway.Target{
			Action: "iam:GenerateServiceLastAccessedDetails", Resources: []string{"arn:aws:iam::123456789012:role/ci/deployer"},
			Context: map[string][]string{"aws:ResourceTag/team": {"blue"}, "iam:ResourceTag/team": {"blue"}},
		}},
		{"SimulateCustomPolicy", &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{"{}"}}, gateway.Target{Action: "iam:SimulateCustomPolicy"}},
		{"CreateRole", &iamapi.CreateRoleInput{RoleName: sp("new")}, gateway.Target{
			Action: "iam:CreateRole", Resources: []string{"arn:aws:iam::123456789012:role/new"},
		}},
		{"CreateRole", &iamapi.CreateRoleInput{RoleName: sp("new"), Path: sp("/app/"), Tags: []iamapi.Tag{{Key: sp("team"), Value: sp("red")}}}, gateway.Target{
			Action: "iam:CreateRole", Resources: []string{"arn:aws:iam::123456789012:role/app/new"},
			Context: map[string][]string{"aws:RequestTag/team": {"red"}, "aws:TagKeys": {"team"}},
			Extra: []gateway.Check{{Action: "iam:TagRole", Resources: []string{"arn:aws:iam::123456789012:role/app/new"},
				Context: map[string][]string{"aws:RequestTag/team": {"red"}, "aws:TagKeys": {"team"}}}},
		}},
		{"CreatePolicy", &iamapi.CreatePolicyInput{PolicyName: sp("p2"), Tags: []iamapi.Tag{{Key: sp("k"), Value: sp("")}}}, gateway.Target{
			Action: "iam:CreatePolicy", Resources: []string{"arn:aws:iam::123456789012:policy/p2"},
			Context: map[string][]string{"aws:RequestTag/k": {""}, "aws:TagKeys": {"k"}},
			Extra: []gateway.Check{{Action: "iam:TagPolicy", Resources: []string{"arn:aws:iam::123456789012:policy/p2"},
				Context: map[string][]string{"aws:RequestTag/k": {""}, "aws:TagKeys": {"k"}}}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			got, err := d.AuthzTarget(context.Background(), tc.op, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("AuthzTarget (-want +got):\n%s", diff)
			}
		})
	}
}
