// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/berthdev/berth/internal/testutil"
)

// hostIdentity launches an EC2 instance, joins it as a host and returns
// its id and its signed instance identity document.
func hostIdentity(t *testing.T, cp *testutil.ControlPlane) (id, doc, sig string) {
	t.Helper()
	ctx := context.Background()
	run, err := ec2.NewFromConfig(cp.RootConfig()).RunInstances(ctx, &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	inst := run.Instances[0]
	token := joinToken(inst)
	hostCall := func(method, path, bearer string, body, v any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, err := http.NewRequest(method, cp.URL+path, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var joined struct{ InstanceId, HostSecret string }
	hostCall("POST", "/_berth/host/join", "", map[string]string{"token": token, "hostname": "h", "privateIp": "10.0.0.9", "architecture": "amd64"}, &joined)
	var ident struct{ Document, Signature string }
	hostCall("GET", "/_berth/host/identity", joined.InstanceId+"."+joined.HostSecret, nil, &ident)
	return joined.InstanceId, ident.Document, ident.Signature
}

// TestSDK_ECS_RegisterIdentityDocument: RegisterContainerInstance verifies
// the instance identity document with the EC2 service's key. A genuine
// document registers the instance under its EC2 id; a forged signature, a
// tampered document and a document of a terminated instance are refused
// with ClientException and register nothing; a registration without a
// document (berth sim-agents, the agent's ECS_NO_IID) is accepted.
func TestSDK_ECS_RegisterIdentityDocument(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	api := ecs.NewFromConfig(cp.RootConfig())
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c")}); err != nil {
		t.Fatal(err)
	}
	id, doc, sig := hostIdentity(t, cp)
	goneID, goneDoc, goneSig := hostIdentity(t, cp)
	if _, err := ec2.NewFromConfig(cp.RootConfig()).TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{goneID}}); err != nil {
		t.Fatal(err)
	}
	register := func(doc, sig *string) (*ecs.RegisterContainerInstanceOutput, error) {
		return api.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{Cluster: aws.String("c"),
			InstanceIdentityDocument: doc, InstanceIdentityDocumentSignature: sig,
			TotalResources: []ecstypes.Resource{{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: 1024},
				{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: 1024}}})
	}
	refused := []struct {
		name     string
		doc, sig *string
	}{
		{"forged signature", aws.String(doc), aws.String("MEUCIQDforgedforgedforgedforgedforgedforgedforgedAiAforgedforgedforgedforgedforgedforged0A==")},
		{"tampered document", aws.String(strings.Replace(doc, "10.0.0.9", "10.0.0.10", 1)), aws.String(sig)},
		{"document without signature", aws.String(doc), nil},
		{"terminated instance", aws.String(goneDoc), aws.String(goneSig)},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := register(tc.doc, tc.sig)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "ClientException" ||
				ae.ErrorMessage() != "The identity document and identity document signature were not valid." {
				t.Fatalf("register = %v, want ClientException", err)
			}
		})
	}
	list, err := api.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("c")})
	if err != nil || len(list.ContainerInstanceArns) != 0 {
		t.Fatalf("after refused registrations: %v %v", err, list.ContainerInstanceArns)
	}
	out, err := register(aws.String(doc), aws.String(sig))
	if err != nil {
		t.Fatalf("register with a genuine document: %v", err)
	}
	if got := aws.ToString(out.ContainerInstance.Ec2InstanceId); got != id {
		t.Errorf("ec2InstanceId = %s, want %s", got, id)
	}
	if _, err := register(nil, nil); err != nil {
		t.Errorf("register without a document: %v", err)
	}
}

// withBodyMember adds a member the public model lacks to a JSON request
// body before it is signed, as the Amazon ECS agent's own model does for
// RegisterContainerInstance's clientToken and DiscoverPollEndpoint's
// zoneId.
func withBodyMember(name, value string) func(*ecs.Options) {
	return ecs.WithAPIOptions(func(stack *middleware.Stack) error {
		return stack.Build.Add(middleware.BuildMiddlewareFunc("addMember", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			req, ok := in.Request.(*smithyhttp.Request)
			if !ok {
				return next.HandleBuild(ctx, in)
			}
			b, err := io.ReadAll(req.GetStream())
			if err != nil {
				return middleware.BuildOutput{}, middleware.Metadata{}, err
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				return middleware.BuildOutput{}, middleware.Metadata{}, err
			}
			m[name] = value
			b, _ = json.Marshal(m)
			if req, err = req.SetStream(bytes.NewReader(b)); err != nil {
				return middleware.BuildOutput{}, middleware.Metadata{}, err
			}
			in.Request = req
			return next.HandleBuild(ctx, in)
		}), middleware.Before)
	})
}

// TestSDK_ECS_AgentOnlyMembers: the agent-only members travel the wire. A
// registration retried with the same clientToken returns the instance the
// first one registered instead of a second; another token registers
// another instance; DiscoverPollEndpoint accepts zoneId.
func TestSDK_ECS_AgentOnlyMembers(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	api := ecs.NewFromConfig(cp.RootConfig())
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c")}); err != nil {
		t.Fatal(err)
	}
	in := &ecs.RegisterContainerInstanceInput{Cluster: aws.String("c"),
		TotalResources: []ecstypes.Resource{{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: 1024},
			{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: 1024}}}
	register := func(token string) string {
		t.Helper()
		out, err := api.RegisterContainerInstance(ctx, in, withBodyMember("clientToken", token))
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ContainerInstance.ContainerInstanceArn)
	}
	first := register("0f8fad5b-d9cb-469f-a165-70867728950e")
	if again := register("0f8fad5b-d9cb-469f-a165-70867728950e"); again != first {
		t.Errorf("a retry with the same clientToken registered %s besides %s", again, first)
	}
	if other := register("7c9e6679-7425-40de-944b-e07fc1f90ae7"); other == first {
		t.Error("another clientToken returned the first instance")
	}
	list, err := api.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("c")})
	if err != nil || len(list.ContainerInstanceArns) != 2 {
		t.Errorf("instances = %v, %v; want 2", list.ContainerInstanceArns, err)
	}
	poll, err := api.DiscoverPollEndpoint(ctx, &ecs.DiscoverPollEndpointInput{Cluster: aws.String("c"), ContainerInstance: aws.String(first)},
		withBodyMember("zoneId", "use1-az1"))
	if err != nil || !strings.HasSuffix(aws.ToString(poll.Endpoint), "/acs") {
		t.Errorf("DiscoverPollEndpoint with zoneId = %+v, %v", poll, err)
	}
}
