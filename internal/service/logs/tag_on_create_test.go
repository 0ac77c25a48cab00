// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/testutil"
)

// TestService_SDK_TagOnCreate checks CloudWatch Logs' tag-on-create
// authorization through aws-sdk-go-v2 and the gateway: CreateLogGroup
// with tags also needs logs:TagResource or logs:TagLogGroup (either one),
// and a refused create creates nothing.
func TestService_SDK_TagOnCreate(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := cloudwatchlogs.NewFromConfig(cp.RootConfig())
	iamc := iam.NewFromConfig(cp.RootConfig())
	user := func(name, doc string) *cloudwatchlogs.Client {
		t.Helper()
		if _, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if _, err := iamc.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
		key, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return cloudwatchlogs.NewFromConfig(testutil.Config(cp.URL, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""))
	}
	exists := func(name string) bool {
		t.Helper()
		out, err := root.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				return true
			}
		}
		return false
	}
	tags := map[string]string{"team": "blue"}

	creator := user("creator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"*"}]}`)
	if _, err := creator.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/plain")}); err != nil {
		t.Fatalf("untagged CreateLogGroup: %v", err)
	}
	_, err := creator.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/tagged"), Tags: tags})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("tagged CreateLogGroup without a tagging permission: %v, want AccessDeniedException", err)
	}
	want := "User: arn:aws:iam::123456789012:user/creator is not authorized to perform: logs:TagResource on resource: arn:aws:logs:us-east-1:123456789012:log-group:/tagged"
	if !strings.HasPrefix(ae.ErrorMessage(), want) {
		t.Errorf("message %q, want prefix %q", ae.ErrorMessage(), want)
	}
	if exists("/tagged") {
		t.Error("a refused tagged CreateLogGroup created the log group")
	}

	for _, action := range []string{"logs:TagResource", "logs:TagLogGroup"} {
		name := strings.ReplaceAll(action, ":", "-")
		c := user(name, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","`+action+`"],"Resource":"*"}]}`)
		group := "/tagged-by-" + name
		if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group), Tags: tags}); err != nil {
			t.Errorf("tagged CreateLogGroup with %s: %v", action, err)
			continue
		}
		out, err := root.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: aws.String(group)})
		if err != nil || out.Tags["team"] != "blue" {
			t.Errorf("tags of %s: %v %v", group, err, out)
		}
	}
}
