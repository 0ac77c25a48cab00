// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package firstrun_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/firstrun"
	"github.com/berthdev/berth/internal/testutil"
)

// outcomes maps each step to its outcome.
func outcomes(r firstrun.Report) map[string]firstrun.Outcome {
	m := map[string]firstrun.Outcome{}
	for _, s := range r.Steps {
		m[s.Name] = s.Outcome
	}
	return m
}

func all(o firstrun.Outcome) map[string]firstrun.Outcome {
	return map[string]firstrun.Outcome{
		firstrun.StepRole: o, firstrun.StepPolicy: o, firstrun.StepProfile: o, firstrun.StepProfileRole: o, firstrun.StepCluster: o,
	}
}

func rootClients(cp *testutil.ControlPlane) firstrun.Clients {
	cfg := cp.RootConfig()
	return firstrun.FromSDK(iam.NewFromConfig(cfg), ecs.NewFromConfig(cfg))
}

// TestEnsure_Idempotent runs the setup on an empty server as the root,
// then again, and checks the result through the APIs.
func TestEnsure_Idempotent(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := rootClients(cp)

	rep, err := firstrun.Inspect(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all(firstrun.Missing), outcomes(rep)); diff != "" {
		t.Errorf("Inspect on an empty server (-want +got):\n%s", diff)
	}
	rep, err = firstrun.Ensure(ctx, c)
	if err != nil {
		t.Fatalf("Ensure: %v\n%s", err, rep)
	}
	if diff := cmp.Diff(all(firstrun.Created), outcomes(rep)); diff != "" {
		t.Errorf("first Ensure (-want +got):\n%s", diff)
	}
	if !rep.Complete() {
		t.Errorf("report not complete:\n%s", rep)
	}
	rep, err = firstrun.Ensure(ctx, c)
	if err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	if diff := cmp.Diff(all(firstrun.Existed), outcomes(rep)); diff != "" {
		t.Errorf("second Ensure (-want +got):\n%s", diff)
	}

	ic := iam.NewFromConfig(cp.RootConfig())
	ip, err := ic.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(firstrun.ProfileName)})
	if err != nil || len(ip.InstanceProfile.Roles) != 1 || aws.ToString(ip.InstanceProfile.Roles[0].RoleName) != firstrun.RoleName {
		t.Errorf("GetInstanceProfile = %+v, %v", ip, err)
	}
	cl, err := ecs.NewFromConfig(cp.RootConfig()).DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"default"}})
	if err != nil || len(cl.Clusters) != 1 || aws.ToString(cl.Clusters[0].Status) != "ACTIVE" {
		t.Errorf("DescribeClusters(default) = %+v, %v", cl, err)
	}
}

// TestEnsure_AsCaller: the setup acts with the caller's permissions; a
// user who may only read IAM gets AccessDenied on the first write, and the
// steps that need it are not done.
func TestEnsure_AsCaller(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(cp.RootConfig())
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("reader")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("reader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("reader")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testutil.Config(cp.URL, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	rep, err := firstrun.Ensure(ctx, firstrun.FromSDK(iam.NewFromConfig(cfg), ecs.NewFromConfig(cfg)))
	if !errors.Is(err, firstrun.ErrIncomplete) {
		t.Fatalf("Ensure as a reader: %v, want ErrIncomplete", err)
	}
	want := map[string]firstrun.Outcome{
		firstrun.StepRole: firstrun.Failed, firstrun.StepPolicy: firstrun.NotDone, firstrun.StepProfile: firstrun.Failed,
		firstrun.StepProfileRole: firstrun.NotDone, firstrun.StepCluster: firstrun.Failed,
	}
	if diff := cmp.Diff(want, outcomes(rep)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	role, _ := rep.Step(firstrun.StepRole)
	if role.Code != "AccessDenied" || !strings.Contains(role.Message, "iam:CreateRole") {
		t.Errorf("role step = %+v, want AccessDenied for iam:CreateRole", role)
	}
	if _, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(firstrun.RoleName)}); err == nil {
		t.Error("a refused setup created the role")
	}
}

// fakeClusters answers like a server that does not serve ECS yet.
type fakeClusters struct{}

func (fakeClusters) DescribeClusters(context.Context, *ecs.DescribeClustersInput, ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "NotImplemented", Message: "ecs DescribeClusters is not implemented by this server"}
}

func (fakeClusters) CreateCluster(context.Context, *ecs.CreateClusterInput, ...func(*ecs.Options)) (*ecs.CreateClusterOutput, error) {
	panic("not reached")
}

func TestEnsure_ECSNotImplemented(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	c := rootClients(cp)
	c.Clusters = fakeClusters{}
	rep, err := firstrun.Ensure(context.Background(), c)
	if err != nil {
		t.Fatalf("Ensure: %v (a service not served yet is not a failure)", err)
	}
	st, _ := rep.Step(firstrun.StepCluster)
	if st.Outcome != firstrun.NotDone || st.Code != "NotImplemented" {
		t.Errorf("cluster step = %+v, want not-done NotImplemented", st)
	}
	if rep.Complete() {
		t.Error("a report with a step not done is complete")
	}
	if s := rep.String(); !strings.Contains(s, "not-done  Cluster default: NotImplemented") {
		t.Errorf("String() =\n%s", s)
	}
}

// TestEnsure_ExistingRoleWarnings: an existing role is left alone; a trust
// policy that does not admit EC2 is reported.
func TestEnsure_ExistingRoleWarnings(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(cp.RootConfig())
	const lambda = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(firstrun.RoleName), AssumeRolePolicyDocument: aws.String(lambda)}); err != nil {
		t.Fatal(err)
	}
	rep, err := firstrun.Ensure(ctx, rootClients(cp))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := rep.Step(firstrun.StepRole)
	if st.Outcome != firstrun.Existed || !strings.Contains(st.Warning, "ec2.amazonaws.com") {
		t.Errorf("role step = %+v, want existed with a trust warning", st)
	}
}

func TestJoinHost(t *testing.T) {
	got := firstrun.JoinHost("http://10.0.0.5:4566/", "")
	for _, want := range []string{"ECS_CLUSTER=default\n", "ECS_BACKEND_HOST=http://10.0.0.5:4566\n", "--instance-profile ecsInstanceRole"} {
		if !strings.Contains(got, want) {
			t.Errorf("JoinHost lacks %q:\n%s", want, got)
		}
	}
}
