// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/testutil"
)

// policyUser creates IAM user name with inline policy doc and returns an
// ECS client signed with its new access key.
func (e *sdkEnv) policyUser(name, doc string) *ecs.Client {
	e.t.Helper()
	iamc := iam.NewFromConfig(e.cp.RootConfig())
	if _, err := iamc.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := iamc.PutUserPolicy(e.ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
		e.t.Fatal(err)
	}
	key, err := iamc.CreateAccessKey(e.ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		e.t.Fatal(err)
	}
	return ecs.NewFromConfig(testutil.Config(e.cp.URL, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""))
}

// TestService_SDK_TagOnCreate checks ECS's tag-on-create authorization: a
// create call with tags also needs ecs:TagResource, with ecs:CreateAction
// naming the operation, and a refused create creates nothing.
func TestService_SDK_TagOnCreate(t *testing.T) {
	e := newSDKEnv(t)
	ctx := e.ctx
	tags := []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}
	clusterExists := func(name string) bool {
		t.Helper()
		out, err := e.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{name}})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Clusters) == 1 && aws.ToString(out.Clusters[0].Status) == "ACTIVE"
	}

	creator := e.policyUser("creator", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["ecs:CreateCluster","ecs:RegisterTaskDefinition"],"Resource":"*"}]}`)
	if _, err := creator.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("plain")}); err != nil {
		t.Fatalf("untagged CreateCluster: %v", err)
	}
	_, err := creator.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("tagged"), Tags: tags})
	ae := apiErr(t, err, "AccessDeniedException")
	want := "User: arn:aws:iam::123456789012:user/creator is not authorized to perform: ecs:TagResource on resource: arn:aws:ecs:us-east-1:123456789012:cluster/tagged"
	if !strings.HasPrefix(ae.ErrorMessage(), want) {
		t.Errorf("message %q, want prefix %q", ae.ErrorMessage(), want)
	}
	if clusterExists("tagged") {
		t.Error("a refused tagged CreateCluster created the cluster")
	}

	// ecs:TagResource only when creating clusters, as the ECS guide's example.
	tagger := e.policyUser("tagger", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["ecs:CreateCluster","ecs:RegisterTaskDefinition"],"Resource":"*"},
		{"Effect":"Allow","Action":"ecs:TagResource","Resource":"*","Condition":{"StringEquals":{"ecs:CreateAction":"CreateCluster"}}}]}`)
	out, err := tagger.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("tagged"), Tags: tags})
	if err != nil {
		t.Fatalf("tagged CreateCluster with ecs:TagResource on CreateCluster: %v", err)
	}
	lt, err := e.ecs.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: out.Cluster.ClusterArn})
	if err != nil || len(lt.Tags) != 1 || aws.ToString(lt.Tags[0].Key) != "team" {
		t.Errorf("tags of the new cluster: %v %+v", err, lt)
	}
	// The condition holds for create calls only: tagging directly is refused...
	_, err = tagger.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: out.Cluster.ClusterArn, Tags: tags})
	apiErr(t, err, "AccessDeniedException")
	// ...and so is another create action.
	td := &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"), Tags: tags,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("a"), Image: aws.String("x"), Memory: aws.Int32(64)}}}
	_, err = tagger.RegisterTaskDefinition(ctx, td)
	ae = apiErr(t, err, "AccessDeniedException")
	if !strings.Contains(ae.ErrorMessage(), "ecs:TagResource on resource: arn:aws:ecs:us-east-1:123456789012:task-definition/web") {
		t.Errorf("RegisterTaskDefinition denial %q does not name ecs:TagResource", ae.ErrorMessage())
	}
	if _, err := e.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web")}); err == nil {
		t.Error("a refused tagged RegisterTaskDefinition registered the task definition")
	}
	td.Tags = nil
	if _, err := tagger.RegisterTaskDefinition(ctx, td); err != nil {
		t.Errorf("untagged RegisterTaskDefinition: %v", err)
	}
}
