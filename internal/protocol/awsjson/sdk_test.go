// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsjson_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

// TestSDK_ECS serves ECS operations with the codec and calls them with
// the real aws-sdk-go-v2 ECS client.
func TestSDK_ECS(t *testing.T) {
	createdAt := time.Date(2024, 1, 2, 3, 4, 5, 123e6, time.UTC)
	var ran *RunTaskRequest
	srv := protocoltest.Server(t, ecsService(), map[string]protocoltest.Handler{
		"DescribeClusters": func(_ context.Context, in any) (any, error) {
			req := in.(*DescribeClustersRequest)
			if len(req.Clusters) == 1 && req.Clusters[0] == "missing" {
				return nil, awserr.New("ClusterNotFoundException", http.StatusBadRequest, "Cluster not found.")
			}
			return &DescribeClustersResponse{
				Clusters: []Cluster{{
					ClusterArn:                        aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/default"),
					ClusterName:                       aws.String("default"),
					Status:                            aws.String("ACTIVE"),
					RegisteredContainerInstancesCount: aws.Int32(3),
					RunningTasksCount:                 aws.Int32(0),
					Tags:                              []Tag{{Key: aws.String("team"), Value: aws.String("ops")}},
				}},
				Failures: []Failure{{Arn: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/gone"), Reason: aws.String("MISSING")}},
			}, nil
		},
		"RunTask": func(_ context.Context, in any) (any, error) {
			ran = in.(*RunTaskRequest)
			return &RunTaskResponse{Tasks: []Task{{
				TaskArn:    aws.String("arn:aws:ecs:us-east-1:000000000000:task/default/abc"),
				LastStatus: aws.String("PENDING"),
				CreatedAt:  &createdAt,
				Version:    aws.Int64(1),
				Containers: []Container{{
					Name:            aws.String("app"),
					NetworkBindings: []NetworkBinding{{ContainerPort: aws.Int32(80), HostPort: aws.Int32(32768)}},
				}},
			}}}, nil
		},
	})
	client := ecs.New(ecs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client(), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""),
	})
	ctx := context.Background()

	dc, err := client.DescribeClusters(ctx, &ecs.DescribeClustersInput{
		Clusters: []string{"default", "gone"}, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldTags},
	})
	if err != nil {
		t.Fatalf("DescribeClusters: %v", err)
	}
	if len(dc.Clusters) != 1 || aws.ToString(dc.Clusters[0].ClusterName) != "default" ||
		dc.Clusters[0].RegisteredContainerInstancesCount != 3 || aws.ToString(dc.Clusters[0].Tags[0].Value) != "ops" {
		t.Errorf("DescribeClusters clusters as the SDK parsed them: %+v", dc.Clusters)
	}
	if len(dc.Failures) != 1 || aws.ToString(dc.Failures[0].Reason) != "MISSING" {
		t.Errorf("DescribeClusters failures: %+v", dc.Failures)
	}

	_, err = client.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"missing"}})
	var cnf *ecstypes.ClusterNotFoundException
	if !errors.As(err, &cnf) {
		t.Fatalf("DescribeClusters(missing) error = %T %v, want *types.ClusterNotFoundException", err, err)
	}
	if cnf.ErrorMessage() != "Cluster not found." {
		t.Errorf("ClusterNotFoundException message = %q", cnf.ErrorMessage())
	}

	rt, err := client.RunTask(ctx, &ecs.RunTaskInput{
		TaskDefinition: aws.String("web:3"),
		Count:          aws.Int32(2),
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{
			Name:        aws.String("app"),
			Environment: []ecstypes.KeyValuePair{{Name: aws.String("MODE"), Value: aws.String("prod")}},
		}}},
	})
	if err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	wantIn := &RunTaskRequest{
		TaskDefinition: aws.String("web:3"),
		Count:          aws.Int32(2),
		Overrides: &TaskOverride{ContainerOverrides: []ContainerOverride{{
			Name:        aws.String("app"),
			Environment: []KeyValuePair{{Name: aws.String("MODE"), Value: aws.String("prod")}},
		}}},
		ClientToken: ran.ClientToken, // the SDK fills the idempotency token
	}
	if diff := cmp.Diff(wantIn, ran, protocoltest.CmpOpts...); diff != "" {
		t.Errorf("decoded RunTask input (-want +got):\n%s", diff)
	}
	if ran.ClientToken == nil {
		t.Error("the SDK's idempotency token was not decoded")
	}
	task := rt.Tasks[0]
	if !aws.ToTime(task.CreatedAt).Equal(createdAt) || task.Version != 1 ||
		aws.ToInt32(task.Containers[0].NetworkBindings[0].HostPort) != 32768 {
		t.Errorf("RunTask task as the SDK parsed it: createdAt %v version %d %+v", task.CreatedAt, task.Version, task.Containers)
	}
}
