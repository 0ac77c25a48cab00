// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/reqctx"
)

// attempt records an authorized attempt the way the gateway's authorizer
// does.
func attempt(s *Service, p *principal.Principal, action, region string, at time.Time) {
	ctx := reqctx.With(context.Background(), &reqctx.Info{Region: region, Time: at})
	s.RecordAccess(ctx, p, action)
}

// summary renders a report as "ns last-entity total" lines and, for
// ACTION_LEVEL, the accessed actions.
func summary(out *iamapi.GetServiceLastAccessedDetailsOutput) (services, actions []string) {
	for _, sv := range out.ServicesLastAccessed {
		line := *sv.ServiceNamespace + " " + *sv.ServiceName
		if sv.LastAuthenticated != nil {
			line += " " + *sv.LastAuthenticatedEntity + " " + *sv.LastAuthenticatedRegion + " " + sv.LastAuthenticated.Format(time.RFC3339)
		}
		line += " total=" + itoa(int(*sv.TotalAuthenticatedEntities))
		services = append(services, line)
		for _, a := range sv.TrackedActionsLastAccessed {
			if a.LastAccessedTime != nil {
				actions = append(actions, *sv.ServiceNamespace+":"+*a.ActionName+" "+*a.LastAccessedEntity)
			}
		}
	}
	return services, actions
}

func TestService_ServiceLastAccessed(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := rootCtx()
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("alice")}))
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("bob")}))
	must[*iamapi.CreateGroupOutput](t)(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("devs")}))
	for _, u := range []string{"alice", "bob"} {
		must[*iamapi.AddUserToGroupOutput](t)(s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: str("devs"), UserName: str(u)}))
	}
	ecsRead := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:Describe*","ecs:List*"],"Resource":"*"}]}`
	must[*iamapi.PutGroupPolicyOutput](t)(s.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyInput{GroupName: str("devs"), PolicyName: str("ecs"), PolicyDocument: &ecsRead}))
	must[*iamapi.PutUserPolicyOutput](t)(s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: str("alice"), PolicyName: str("s3"), PolicyDocument: str(allowS3)}))
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("app"), AssumeRolePolicyDocument: str(ec2Trust)}))
	must[*iamapi.AttachRolePolicyOutput](t)(s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("app"), PolicyArn: str(ec2RoleARN)}))

	alice := s.principalOf(t, "alice")
	bob := s.principalOf(t, "bob")
	role := must[*RoleInfo](t)(s.Role(context.Background(), "app"))
	session := &principal.Principal{Kind: principal.AssumedRole, AccountID: testAccount, ARN: "arn:aws:sts::123456789012:assumed-role/app/i-1",
		UserID: role.RoleID + ":i-1", RoleARN: role.ARN}
	t1, t2 := testNow.Add(time.Minute), testNow.Add(2*time.Minute)
	attempt(s, alice, "ecs:ListClusters", "us-east-1", t1)
	attempt(s, bob, "ecs:DescribeClusters", "eu-west-1", t2)
	attempt(s, alice, "s3:GetObject", "us-east-1", t1)
	attempt(s, session, "ecs:Poll", "us-west-2", t2)
	attempt(s, &principal.Principal{Kind: principal.Root, AccountID: testAccount}, "ecs:Poll", "us-east-1", t2) // not tracked

	report := func(arn, granularity string) *iamapi.GetServiceLastAccessedDetailsOutput {
		t.Helper()
		job := must[*iamapi.GenerateServiceLastAccessedDetailsOutput](t)(s.GenerateServiceLastAccessedDetails(ctx,
			&iamapi.GenerateServiceLastAccessedDetailsInput{Arn: &arn, Granularity: &granularity}))
		if len(*job.JobId) != 36 {
			t.Fatalf("JobId = %q, want a UUID", *job.JobId)
		}
		out := must[*iamapi.GetServiceLastAccessedDetailsOutput](t)(s.GetServiceLastAccessedDetails(ctx, &iamapi.GetServiceLastAccessedDetailsInput{JobId: job.JobId}))
		if *out.JobStatus != "COMPLETED" || *out.JobType != granularity {
			t.Fatalf("JobStatus, JobType = %s, %s", *out.JobStatus, *out.JobType)
		}
		return out
	}
	aliceARN, bobARN := "arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/bob"
	services, _ := summary(report(aliceARN, "SERVICE_LEVEL"))
	want := []string{
		"ecs Amazon Elastic Container Service " + aliceARN + " us-east-1 " + t1.Format(time.RFC3339) + " total=1",
		"s3 Amazon Simple Storage Service " + aliceARN + " us-east-1 " + t1.Format(time.RFC3339) + " total=1",
	}
	if diff := cmp.Diff(want, services); diff != "" {
		t.Errorf("alice's report (-want +got):\n%s", diff)
	}

	// The group's report covers what its policies grant, used by any member.
	if err := s.FlushLastUsed(context.Background()); err != nil {
		t.Fatal(err)
	}
	services, actions := summary(report("arn:aws:iam::123456789012:group/devs", "ACTION_LEVEL"))
	want = []string{"ecs Amazon Elastic Container Service " + bobARN + " eu-west-1 " + t2.Format(time.RFC3339) + " total=2"}
	if diff := cmp.Diff(want, services); diff != "" {
		t.Errorf("group report (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ecs:DescribeClusters " + bobARN, "ecs:ListClusters " + aliceARN}, actions); diff != "" {
		t.Errorf("group actions (-want +got):\n%s", diff)
	}

	// The role, and the AWS managed policy attached to it.
	for _, arn := range []string{role.ARN, ec2RoleARN} {
		services, _ = summary(report(arn, "SERVICE_LEVEL"))
		if len(services) != 4 || services[3] != "ecs Amazon Elastic Container Service "+role.ARN+" us-west-2 "+t2.Format(time.RFC3339)+" total=1" {
			t.Errorf("report of %s = %q, want logs, ec2, ecr unused and ecs used by the role", arn, services)
		}
	}

	// Deleting the user forgets its activity.
	must[*iamapi.RemoveUserFromGroupOutput](t)(s.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupInput{GroupName: str("devs"), UserName: str("bob")}))
	must[*iamapi.DeleteAccessKeyOutput](t)(s.DeleteAccessKey(ctx, &iamapi.DeleteAccessKeyInput{UserName: str("bob"), AccessKeyId: &bob.AccessKeyID}))
	must[*iamapi.DeleteUserOutput](t)(s.DeleteUser(ctx, &iamapi.DeleteUserInput{UserName: str("bob")}))
	if _, err := s.t.access.Get(context.Background(), bob.UserID); err == nil {
		t.Error("bob's last accessed record outlived bob")
	}

	_, err := s.GenerateServiceLastAccessedDetails(ctx, &iamapi.GenerateServiceLastAccessedDetailsInput{Arn: &bobARN})
	wantErr(t, err, "NoSuchEntity", "")
	_, err = s.GetServiceLastAccessedDetails(ctx, &iamapi.GetServiceLastAccessedDetailsInput{JobId: str("00000000-0000-4000-8000-000000000000")})
	wantErr(t, err, "NoSuchEntity", "")
	_, err = s.GetServiceLastAccessedDetails(ctx, &iamapi.GetServiceLastAccessedDetailsInput{JobId: str("short")})
	wantErr(t, err, "ValidationError", "")
}

// principalOf is the principal of a user's new access key.
func (s *Service) principalOf(t *testing.T, user string) *principal.Principal {
	t.Helper()
	k := must[*iamapi.CreateAccessKeyOutput](t)(s.CreateAccessKey(rootCtx(), &iamapi.CreateAccessKeyInput{UserName: &user})).AccessKey
	return must[AccessKeyInfo](t)(s.AccessKey(context.Background(), *k.AccessKeyId)).Principal
}

func TestService_RecordAccess_NoAllocations(t *testing.T) {
	s := newTestService(t)
	p := &principal.Principal{Kind: principal.AssumedRole, UserID: "AROAEXAMPLEEXAMPLE123:s", RoleARN: "arn:aws:iam::123456789012:role/r"}
	ctx := reqctx.With(context.Background(), &reqctx.Info{Region: "us-east-1", Time: testNow})
	s.RecordAccess(ctx, p, "ecs:Poll")
	if n := testing.AllocsPerRun(100, func() { s.RecordAccess(ctx, p, "ecs:Poll") }); n != 0 {
		t.Errorf("RecordAccess allocates %v times per call, want 0", n)
	}
}

func TestService_ResourceLookups(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := rootCtx()
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("Deployer"), Path: str("/ci/"), AssumeRolePolicyDocument: str(ec2Trust),
		Tags: []iamapi.Tag{{Key: str("team"), Value: str("blue")}}}))
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("u"), Path: str("/people/")}))
	must[*iamapi.CreateGroupOutput](t)(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("g"), Path: str("/teams/")}))
	must[*iamapi.CreateInstanceProfileOutput](t)(s.CreateInstanceProfile(ctx, &iamapi.CreateInstanceProfileInput{InstanceProfileName: str("ip")}))
	pol := *must[*iamapi.CreatePolicyOutput](t)(s.CreatePolicy(ctx, &iamapi.CreatePolicyInput{PolicyName: str("p"), Path: str("/x/"), PolicyDocument: str(allowS3),
		Tags: []iamapi.Tag{{Key: str("owner"), Value: str("sec")}}})).Policy.Arn
	paths := []struct {
		kind, name, want string
		ok               bool
	}{
		{"role", "deployer", "/ci/", true}, {"user", "u", "/people/", true}, {"group", "G", "/teams/", true},
		{"instance-profile", "ip", "/", true}, {"role", "nobody", "", false}, {"bucket", "u", "", false},
	}
	for _, tc := range paths {
		if got, ok := s.EntityPath(context.Background(), tc.kind, tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("EntityPath(%s, %s) = %q, %v; want %q, %v", tc.kind, tc.name, got, ok, tc.want, tc.ok)
		}
	}
	tags := []struct {
		arn  string
		want map[string]string
		ok   bool
	}{
		{"arn:aws:iam::123456789012:role/ci/Deployer", map[string]string{"team": "blue"}, true},
		{"arn:aws:iam::123456789012:role/Deployer", nil, false}, // wrong path
		{"arn:aws:iam::123456789012:user/people/u", nil, true},
		{pol, map[string]string{"owner": "sec"}, true},
		{"arn:aws:iam::123456789012:instance-profile/ip", nil, true},
		{"arn:aws:iam::999999999999:role/ci/Deployer", nil, false},
	}
	for _, tc := range tags {
		got, ok := s.ResourceTags(context.Background(), tc.arn)
		if !cmp.Equal(got, tc.want) || ok != tc.ok {
			t.Errorf("ResourceTags(%s) = %v, %v; want %v, %v", tc.arn, got, ok, tc.want, tc.ok)
		}
	}
}

// TestService_Update_AfterRawDelete checks that a read-modify-write whose
// cached read is stale still decides on etcd's state: the reset endpoint
// deletes keys behind the caches' back and re-creates the root key at
// once.
func TestService_Update_AfterRawDelete(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	id, secret := "AKIAROOTROOTROOT0001", "secret"
	for round := range 20 {
		if _, err := s.EnsureRootAccessKey(ctx, id, secret); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{key(tableKeys, id), key(tableAccount, accountID)} {
			if _, _, err := s.kv.Delete(ctx, s.prefix+k); err != nil {
				t.Fatal(err)
			}
		}
		created, err := s.EnsureRootAccessKey(ctx, id, secret)
		if err != nil || !created {
			t.Fatalf("round %d: EnsureRootAccessKey after the delete = %v, %v; want created", round, created, err)
		}
		if _, err := s.RootAccessKey(ctx); err != nil {
			t.Fatalf("round %d: RootAccessKey: %v (read-your-writes)", round, err)
		}
	}
}
