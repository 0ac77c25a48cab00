// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/testutil"
)

// TestRepository_SDK_TagOnCreate checks ECR's tag-on-create
// authorization: CreateRepository with tags also needs ecr:TagResource on
// the new repository, and a refused create creates nothing.
func TestRepository_SDK_TagOnCreate(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	root := ecr.NewFromConfig(cp.RootConfig())
	ctx := context.Background()
	tags := []ecrtypes.Tag{{Key: aws.String("environment"), Value: aws.String("dev")}}
	exists := func(name string) bool {
		t.Helper()
		_, err := root.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
		if apiCode(err) == "RepositoryNotFoundException" {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return true
	}

	creator := newUser(t, cp, "creator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:CreateRepository","Resource":"*"}]}`)
	must(creator.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("plain")}))(t)
	_, err := creator.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("tagged"), Tags: tags})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("tagged CreateRepository without ecr:TagResource: %v, want AccessDeniedException", err)
	}
	want := "User: arn:aws:iam::123456789012:user/creator is not authorized to perform: ecr:TagResource on resource: arn:aws:ecr:us-east-1:123456789012:repository/tagged"
	if !strings.HasPrefix(ae.ErrorMessage(), want) {
		t.Errorf("message %q, want prefix %q", ae.ErrorMessage(), want)
	}
	if exists("tagged") {
		t.Error("a refused tagged CreateRepository created the repository")
	}

	// The ECR guide's example: create and tag only with environment=dev.
	tagger := newUser(t, cp, "tagger", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ecr:CreateRepository","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/environment":"dev"}}},
		{"Effect":"Allow","Action":"ecr:TagResource","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/environment":"dev"}}}]}`)
	out := must(tagger.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("tagged"), Tags: tags}))(t)
	lt := must(root.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: out.Repository.RepositoryArn}))(t)
	if len(lt.Tags) != 1 || aws.ToString(lt.Tags[0].Value) != "dev" {
		t.Errorf("tags of the new repository: %+v", lt.Tags)
	}
	_, err = tagger.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("prod"),
		Tags: []ecrtypes.Tag{{Key: aws.String("environment"), Value: aws.String("prod")}}})
	if apiCode(err) != "AccessDeniedException" {
		t.Errorf("CreateRepository with environment=prod: %v, want AccessDeniedException", err)
	}
	if exists("prod") {
		t.Error("a refused tagged CreateRepository created the repository")
	}
}
