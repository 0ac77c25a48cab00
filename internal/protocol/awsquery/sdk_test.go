// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsquery_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

var sdkCreds = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "")

func testRole() *Role {
	return &Role{
		Path:                     aws.String("/"),
		RoleName:                 aws.String("ecsInstanceRole"),
		RoleId:                   aws.String("AROAEXAMPLE"),
		Arn:                      aws.String("arn:aws:iam::000000000000:role/ecsInstanceRole"),
		CreateDate:               aws.Time(time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17"}`),
		MaxSessionDuration:       aws.Int32(3600),
		Tags:                     []Tag{{Key: aws.String("team"), Value: aws.String("ops & <dev>")}},
		RoleLastUsed:             &RoleLastUsed{LastUsedDate: aws.Time(time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)), Region: aws.String("us-east-1")},
	}
}

// TestSDK_IAM serves IAM operations with the codec and calls them with
// the real aws-sdk-go-v2 IAM client.
func TestSDK_IAM(t *testing.T) {
	var created *CreateRoleRequest
	srv := protocoltest.Server(t, iamService(), map[string]protocoltest.Handler{
		"CreateRole": func(_ context.Context, in any) (any, error) {
			created = in.(*CreateRoleRequest)
			return &CreateRoleResponse{Role: testRole()}, nil
		},
		"GetRole": func(_ context.Context, in any) (any, error) {
			if name := *in.(*GetRoleRequest).RoleName; name != "ecsInstanceRole" {
				return nil, awserr.New("NoSuchEntity", http.StatusNotFound, "The role with name %s cannot be found.", name)
			}
			return &GetRoleResponse{Role: testRole()}, nil
		},
	})
	client := iam.New(iam.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: sdkCreds,
		HTTPClient: srv.Client(), RetryMaxAttempts: 1,
	})
	ctx := context.Background()

	_, err := client.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("ecsInstanceRole"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`),
		MaxSessionDuration:       aws.Int32(3600),
		Tags: []iamtypes.Tag{
			{Key: aws.String("team"), Value: aws.String("ops")},
			{Key: aws.String("env"), Value: aws.String("a=b&c")},
		},
	})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	wantIn := &CreateRoleRequest{
		RoleName:                 aws.String("ecsInstanceRole"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`),
		MaxSessionDuration:       aws.Int32(3600),
		Tags: []Tag{
			{Key: aws.String("team"), Value: aws.String("ops")},
			{Key: aws.String("env"), Value: aws.String("a=b&c")},
		},
	}
	if diff := cmp.Diff(wantIn, created, protocoltest.CmpOpts...); diff != "" {
		t.Errorf("decoded CreateRole input (-want +got):\n%s", diff)
	}

	out, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ecsInstanceRole")})
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	want := &iamtypes.Role{
		Path:                     aws.String("/"),
		RoleName:                 aws.String("ecsInstanceRole"),
		RoleId:                   aws.String("AROAEXAMPLE"),
		Arn:                      aws.String("arn:aws:iam::000000000000:role/ecsInstanceRole"),
		CreateDate:               aws.Time(time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17"}`),
		MaxSessionDuration:       aws.Int32(3600),
		Tags:                     []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("ops & <dev>")}},
		RoleLastUsed: &iamtypes.RoleLastUsed{
			LastUsedDate: aws.Time(time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)), Region: aws.String("us-east-1"),
		},
	}
	if diff := cmp.Diff(want, out.Role, cmpopts.IgnoreUnexported(iamtypes.Role{}, iamtypes.Tag{}, iamtypes.RoleLastUsed{})); diff != "" {
		t.Errorf("GetRole role as the SDK parsed it (-want +got):\n%s", diff)
	}

	_, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("missing")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Fatalf("GetRole(missing) error = %T %v, want *types.NoSuchEntityException", err, err)
	}
	if got := nse.ErrorMessage(); got != "The role with name missing cannot be found." {
		t.Errorf("NoSuchEntity message = %q", got)
	}
}

// TestSDK_STS calls GetCallerIdentity with the real STS client.
func TestSDK_STS(t *testing.T) {
	srv := protocoltest.Server(t, stsService(), map[string]protocoltest.Handler{
		"GetCallerIdentity": func(context.Context, any) (any, error) {
			return &GetCallerIdentityResponse{
				UserId:  aws.String("AIDAEXAMPLE"),
				Account: aws.String("000000000000"),
				Arn:     aws.String("arn:aws:iam::000000000000:user/alice"),
			}, nil
		},
	})
	client := sts.New(sts.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: sdkCreds,
		HTTPClient: srv.Client(), RetryMaxAttempts: 1,
	})
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(out.Account) != "000000000000" || aws.ToString(out.Arn) != "arn:aws:iam::000000000000:user/alice" ||
		aws.ToString(out.UserId) != "AIDAEXAMPLE" {
		t.Errorf("GetCallerIdentity = %+v", out)
	}
}
