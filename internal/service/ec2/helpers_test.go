// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/service/ec2"
	"github.com/berthdev/berth/internal/store/storetest"
	"github.com/berthdev/berth/internal/testutil/testclock"
)

const (
	region  = "us-east-1"
	account = "123456789012"
)

func profileARN(name string) string { return "arn:aws:iam::" + account + ":instance-profile/" + name }
func roleARN(name string) string    { return "arn:aws:iam::" + account + ":role/" + name }

// fakeProfiles holds profiles by name.
type fakeProfiles map[string]*ec2.Profile

func (f fakeProfiles) InstanceProfile(_ context.Context, name string) (*ec2.Profile, error) {
	if p, ok := f[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("%w: %s", ec2.ErrProfileNotFound, name)
}

func (f fakeProfiles) InstanceProfileByARN(ctx context.Context, arn string) (*ec2.Profile, error) {
	name, ok := strings.CutPrefix(arn, profileARN(""))
	if !ok {
		return nil, ec2.ErrProfileNotFound
	}
	return f.InstanceProfile(ctx, name)
}

// fakeAuthz denies iam:PassRole on the roles in deniedRoles and every
// action on the resources in deniedResources, recording what it was asked.
type fakeAuthz struct {
	mu              sync.Mutex
	deniedRoles     map[string]bool
	deniedResources map[string]bool
	asked           []string
}

func (f *fakeAuthz) CheckPassRole(_ context.Context, role string) (bool, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, "iam:PassRole "+role)
	if f.deniedRoles[role] {
		return false, "User: u is not authorized to perform: iam:PassRole on resource: " + role, nil
	}
	return true, "", nil
}

func (f *fakeAuthz) AuthorizeResource(_ context.Context, action, resource string, keys map[string][]string) (bool, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, action+" "+resource+" team="+strings.Join(keys["ec2:ResourceTag/team"], ","))
	if f.deniedResources[resource] {
		return false, "User: u is not authorized to perform: " + action + " on resource: " + resource, nil
	}
	return true, "", nil
}

type fixture struct {
	svc   *ec2.Service
	authz *fakeAuthz
	clock *testclock.Clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		authz: &fakeAuthz{deniedRoles: map[string]bool{}, deniedResources: map[string]bool{}},
		clock: testclock.New(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)),
	}
	profiles := fakeProfiles{
		"web":   {Name: "web", ARN: profileARN("web"), ID: "AIPAWEB", RoleARN: roleARN("webRole"), RoleName: "webRole"},
		"batch": {Name: "batch", ARN: profileARN("batch"), ID: "AIPABATCH", RoleARN: roleARN("batchRole"), RoleName: "batchRole"},
		"empty": {Name: "empty", ARN: profileARN("empty"), ID: "AIPAEMPTY"},
	}
	svc, err := ec2.New(ec2.Config{Region: region, AccountID: account, Clock: f.clock.Now},
		ec2.Deps{Store: storetest.New(t), Profiles: profiles, PassRole: f.authz, Resources: f.authz,
			Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

// run launches n instances (with profile, unless empty) and returns their
// ids and join tokens.
func (f *fixture) run(t *testing.T, n int32, profile string, tags ...ec2api.Tag) (ids, tokens []string) {
	t.Helper()
	in := &ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(n)}
	if profile != "" {
		in.IamInstanceProfile = &ec2api.IamInstanceProfileSpecification{Name: aws.String(profile)}
	}
	if len(tags) > 0 {
		in.TagSpecifications = []ec2api.TagSpecification{{ResourceType: aws.String("instance"), Tags: tags}}
	}
	out, err := f.svc.RunInstances(context.Background(), in)
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	for _, i := range out.Instances {
		ids = append(ids, *i.InstanceId)
		for _, tg := range i.Tags {
			if *tg.Key == ec2.JoinTokenTag {
				tokens = append(tokens, *tg.Value)
			}
		}
	}
	if len(tokens) != len(ids) {
		t.Fatalf("RunInstances returned %d join tokens for %d instances", len(tokens), len(ids))
	}
	return ids, tokens
}

// join joins a host with token and returns its secret.
func (f *fixture) join(t *testing.T, token string) *ec2.JoinResult {
	t.Helper()
	res, err := f.svc.Join(context.Background(), ec2.JoinRequest{Token: token, Hostname: "host-1", PrivateIP: "10.0.0.5", Architecture: "amd64"})
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	return res
}

func tag(k, v string) ec2api.Tag { return ec2api.Tag{Key: aws.String(k), Value: aws.String(v)} }

// code returns the AWS error code of err, or "" for nil.
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *awserr.Error", err)
	}
	return ae.Code
}
