// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/berthdev/berth/internal/testutil"
)

// TestConsole_EveryPage renders every page, as the root, over an account
// with a little of everything, and checks each one answers as a page
// should (templates fail only when executed).
func TestConsole_EveryPage(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(cp.RootConfig())
	ec := ecs.NewFromConfig(cp.RootConfig())
	newRole(t, cp, "ecsInstanceRole")
	newUser(t, cp, "alice", false, iamRead)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ecsInstanceRole"), PolicyName: aws.String("inline"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}))
	must(ic.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("ecsInstanceRole"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}}))
	must(ic.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ecsInstanceRole")}))
	must(ic.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ecsInstanceRole"), RoleName: aws.String("ecsInstanceRole")}))
	must(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	pol, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mine"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:List*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	policyARN := aws.ToString(pol.Policy.Arn)
	must(ic.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(policyARN), SetAsDefault: true,
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}`)}))
	must(ec.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("default")}))
	must(ec.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"), ContainerDefinitions: []ecstypes.ContainerDefinition{{
		Name: aws.String("web"), Image: aws.String("busybox"), Memory: aws.Int32(64),
	}}}))

	b := newBrowser(t, cp.URL)
	b.signIn("", rootPassword(t, cp))
	pages := []struct {
		path string
		want []string
	}{
		{"/console/", []string{"Get started with ECS", "existed", "missing"}},
		{"/console/iam/roles", []string{"ecsInstanceRole", "AWS service: ec2"}},
		{"/console/iam/roles?search=nothing", []string{"No roles match"}},
		{"/console/iam/roles/ecsInstanceRole", []string{"Managed policies", "inline", "s3:GetObject"}},
		{"/console/iam/roles/ecsInstanceRole?tab=trust", []string{"ec2.amazonaws.com"}},
		{"/console/iam/roles/ecsInstanceRole?tab=tags", []string{"team", "platform"}},
		{"/console/iam/roles/ecsInstanceRole?tab=profiles", []string{"instance-profile/ecsInstanceRole"}},
		{"/console/iam/roles/ecsInstanceRole/attach", []string{"AmazonEC2ContainerServiceforEC2Role", "mine"}},
		{"/console/iam/roles/ecsInstanceRole/trust", []string{"Update trust policy"}},
		{"/console/iam/roles/create", []string{"EC2 Role for Elastic Container Service", "Elastic Container Service Task"}},
		{"/console/iam/policies", []string{"mine", "Customer managed", "AmazonS3ReadOnlyAccess"}},
		{"/console/iam/policy?arn=" + url.QueryEscape(policyARN), []string{"v1", "v2", "ecs:Describe*"}},
		{"/console/iam/policy?arn=" + url.QueryEscape(policyARN) + "&version=v1", []string{"ecs:List*"}},
		{"/console/iam/users", []string{"alice"}},
		{"/console/iam/users/alice", []string{"Console password", "Active", "IAMReadOnlyAccess"}},
		{"/console/password", []string{"Change password"}},
		{"/console/ecs/first-run", []string{"Already exists", "Cluster default"}},
		{"/console/ecs/clusters", []string{"default", "ACTIVE"}},
		{"/console/ecs/clusters/default", []string{"No services"}},
		{"/console/ecs/clusters/default?tab=tasks&status=STOPPED", []string{"No stopped tasks"}},
		{"/console/ecs/clusters/default?tab=instances", []string{"No container instances"}},
		{"/console/ecs/task-definitions", []string{"web"}},
		{"/console/ecs/task-definitions/web", []string{"web:1"}},
		{"/console/ecs/task-definitions/web/1", []string{`&#34;family&#34;: &#34;web&#34;`}},
		{"/console/ecs/task-definitions/register?from=web:1", []string{`&#34;family&#34;: &#34;web&#34;`}},
	}
	for _, p := range pages {
		t.Run(p.path, func(t *testing.T) {
			resp, body := b.get(p.path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d\n%s", resp.StatusCode, body)
			}
			for _, w := range p.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
	notFound := []string{"/console/iam/roles/nope", "/console/ecs/clusters/nope", "/console/no/such/page", "/console/ecs/clusters/default/services/nope"}
	for _, p := range notFound {
		if resp, body := b.get(p); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "class=\"alert") {
			t.Errorf("%s: %d, want a 404 page\n%s", p, resp.StatusCode, body)
		}
	}
	resp, body := b.get("/console/api/clusters/default?tab=services")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"cluster.default.status":"ACTIVE"`) {
		t.Errorf("live JSON: %d %s", resp.StatusCode, body)
	}
}
