// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2query_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

var sdkCreds = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "")

var launch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func testInstance() ec2api.Instance {
	return ec2api.Instance{
		InstanceId:       aws.String("i-0123456789abcdef0"),
		ImageId:          aws.String("ami-berth"),
		InstanceType:     aws.String("berth.host"),
		LaunchTime:       aws.Time(launch),
		PrivateIpAddress: aws.String("10.0.0.5"),
		State:            &ec2api.InstanceState{Code: aws.Int32(16), Name: aws.String("running")},
		Placement:        &ec2api.Placement{AvailabilityZone: aws.String("us-east-1a")},
		IamInstanceProfile: &ec2api.IamInstanceProfile{
			Arn: aws.String("arn:aws:iam::000000000000:instance-profile/ecsInstanceRole"), Id: aws.String("AIPAEXAMPLE"),
		},
		Tags: []ec2api.Tag{{Key: aws.String("team"), Value: aws.String("ops & <dev>")}},
	}
}

func client(t *testing.T, handlers map[string]protocoltest.Handler) *ec2.Client {
	srv := protocoltest.Server(t, ec2api.Definition, handlers)
	return ec2.New(ec2.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: sdkCreds,
		HTTPClient: srv.Client(), RetryMaxAttempts: 1,
	})
}

// TestSDK_EC2_RunAndDescribe serves RunInstances and DescribeInstances with
// the codec and calls them with the real aws-sdk-go-v2 EC2 client.
func TestSDK_EC2_RunAndDescribe(t *testing.T) {
	var run *ec2api.RunInstancesInput
	var desc *ec2api.DescribeInstancesInput
	c := client(t, map[string]protocoltest.Handler{
		"RunInstances": func(_ context.Context, in any) (any, error) {
			run = in.(*ec2api.RunInstancesInput)
			return &ec2api.RunInstancesOutput{ReservationId: aws.String("r-1"), OwnerId: aws.String("000000000000"),
				Instances: []ec2api.Instance{testInstance()}}, nil
		},
		"DescribeInstances": func(_ context.Context, in any) (any, error) {
			desc = in.(*ec2api.DescribeInstancesInput)
			return &ec2api.DescribeInstancesOutput{
				Reservations: []ec2api.Reservation{{ReservationId: aws.String("r-1"), Instances: []ec2api.Instance{testInstance()}}},
				NextToken:    aws.String("next"),
			}, nil
		},
	})
	ctx := context.Background()
	out, err := c.RunInstances(ctx, &ec2.RunInstancesInput{
		MinCount: aws.Int32(1), MaxCount: aws.Int32(2), ImageId: aws.String("ami-berth"),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("ecsInstanceRole")},
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("a=b&c")}}}},
		NetworkInterfaces: []ec2types.InstanceNetworkInterfaceSpecification{{
			DeviceIndex:        aws.Int32(0),
			PrivateIpAddresses: []ec2types.PrivateIpAddressSpecification{{PrivateIpAddress: aws.String("10.0.0.5")}},
		}},
		DryRun: aws.Bool(false),
	})
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	wantRun := &ec2api.RunInstancesInput{
		MinCount: aws.Int32(1), MaxCount: aws.Int32(2), ImageId: aws.String("ami-berth"),
		IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Name: aws.String("ecsInstanceRole")},
		TagSpecifications: []ec2api.TagSpecification{{ResourceType: aws.String("instance"),
			Tags: []ec2api.Tag{{Key: aws.String("team"), Value: aws.String("a=b&c")}}}},
		NetworkInterfaces: []ec2api.InstanceNetworkInterfaceSpecification{{
			DeviceIndex:        aws.Int32(0),
			PrivateIpAddresses: []ec2api.PrivateIpAddressSpecification{{PrivateIpAddress: aws.String("10.0.0.5")}},
		}},
		DryRun: aws.Bool(false),
	}
	opts := append([]cmp.Option{cmpopts.IgnoreFields(ec2api.RunInstancesInput{}, "ClientToken")}, protocoltest.CmpOpts...)
	if diff := cmp.Diff(wantRun, run, opts...); diff != "" {
		t.Errorf("RunInstances input (-want +got):\n%s", diff)
	}
	if got := out.Instances; len(got) != 1 || aws.ToString(got[0].InstanceId) != "i-0123456789abcdef0" ||
		got[0].State.Name != ec2types.InstanceStateNameRunning || !aws.ToTime(got[0].LaunchTime).Equal(launch) ||
		aws.ToString(got[0].Tags[0].Value) != "ops & <dev>" || aws.ToString(got[0].IamInstanceProfile.Id) != "AIPAEXAMPLE" {
		t.Errorf("RunInstances output = %+v", got)
	}

	d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{
		InstanceIds: []string{"i-1", "i-2"},
		Filters:     []ec2types.Filter{{Name: aws.String("tag:team"), Values: []string{"ops", "dev"}}},
		MaxResults:  aws.Int32(5),
	})
	if err != nil {
		t.Fatalf("DescribeInstances: %v", err)
	}
	wantDesc := &ec2api.DescribeInstancesInput{
		InstanceIds: []string{"i-1", "i-2"},
		Filters:     []ec2api.Filter{{Name: aws.String("tag:team"), Values: []string{"ops", "dev"}}},
		MaxResults:  aws.Int32(5),
	}
	if diff := cmp.Diff(wantDesc, desc, protocoltest.CmpOpts...); diff != "" {
		t.Errorf("DescribeInstances input (-want +got):\n%s", diff)
	}
	if len(d.Reservations) != 1 || len(d.Reservations[0].Instances) != 1 || aws.ToString(d.NextToken) != "next" ||
		aws.ToString(d.Reservations[0].Instances[0].Placement.AvailabilityZone) != "us-east-1a" {
		t.Errorf("DescribeInstances output = %+v", d)
	}
}

// TestSDK_EC2_Errors checks that the SDK reads code and message from the
// codec's error shape, including the codes EC2 spells its own way.
func TestSDK_EC2_Errors(t *testing.T) {
	c := client(t, map[string]protocoltest.Handler{
		"TerminateInstances": func(_ context.Context, in any) (any, error) {
			return nil, ec2api.ErrInvalidInstanceIDNotFound("The instance ID '%s' does not exist", in.(*ec2api.TerminateInstancesInput).InstanceIds[0])
		},
	})
	ctx := context.Background()
	tests := []struct {
		name     string
		call     func() error
		code     string
		contains string
	}{
		{"modelled error", func() error {
			_, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{"i-0000000000000000f"}})
			return err
		}, "InvalidInstanceID.NotFound", "The instance ID 'i-0000000000000000f' does not exist"},
		{"operation without generated types", func() error {
			_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			return err
		}, "NotImplemented", "DescribeVpcs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ae smithy.APIError
			if err := tc.call(); !errors.As(err, &ae) {
				t.Fatalf("error = %v, want an API error", err)
			}
			if ae.ErrorCode() != tc.code || !strings.Contains(ae.ErrorMessage(), tc.contains) {
				t.Errorf("error = %s: %s, want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), tc.code, tc.contains)
			}
		})
	}
}
