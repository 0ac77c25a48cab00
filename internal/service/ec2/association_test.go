// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
)

func TestEC2_Associations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids, tokens := f.run(t, 1, "")
	res := f.join(t, tokens[0])
	id := ids[0]
	spec := func(name string) *ec2api.IamInstanceProfileSpecification {
		return &ec2api.IamInstanceProfileSpecification{Name: aws.String(name)}
	}
	current := func() string {
		h, err := f.svc.AuthenticateHost(ctx, res.InstanceID, res.HostSecret)
		if err != nil {
			t.Fatal(err)
		}
		return h.ProfileARN
	}
	var assocID, oldID string
	f.authz.deniedRoles[roleARN("batchRole")] = true
	steps := []struct {
		name     string
		call     func() (*ec2api.IamInstanceProfileAssociation, error)
		wantCode string
		want     string // profile the host has afterwards
	}{
		{"associate", func() (*ec2api.IamInstanceProfileAssociation, error) {
			out, err := f.svc.AssociateIamInstanceProfile(ctx, &ec2api.AssociateIamInstanceProfileInput{InstanceId: aws.String(id), IamInstanceProfile: spec("web")})
			if err != nil {
				return nil, err
			}
			return out.IamInstanceProfileAssociation, nil
		}, "", profileARN("web")},
		{"associate again", func() (*ec2api.IamInstanceProfileAssociation, error) {
			_, err := f.svc.AssociateIamInstanceProfile(ctx, &ec2api.AssociateIamInstanceProfileInput{InstanceId: aws.String(id), IamInstanceProfile: spec("web")})
			return nil, err
		}, "IncorrectState", profileARN("web")},
		{"replace without PassRole", func() (*ec2api.IamInstanceProfileAssociation, error) {
			_, err := f.svc.ReplaceIamInstanceProfileAssociation(ctx, &ec2api.ReplaceIamInstanceProfileAssociationInput{AssociationId: aws.String(assocID), IamInstanceProfile: spec("batch")})
			return nil, err
		}, "UnauthorizedOperation", profileARN("web")},
		{"replace", func() (*ec2api.IamInstanceProfileAssociation, error) {
			delete(f.authz.deniedRoles, roleARN("batchRole"))
			out, err := f.svc.ReplaceIamInstanceProfileAssociation(ctx, &ec2api.ReplaceIamInstanceProfileAssociationInput{AssociationId: aws.String(assocID), IamInstanceProfile: spec("batch")})
			if err != nil {
				return nil, err
			}
			return out.IamInstanceProfileAssociation, nil
		}, "", profileARN("batch")},
		{"replace a replaced association", func() (*ec2api.IamInstanceProfileAssociation, error) {
			_, err := f.svc.ReplaceIamInstanceProfileAssociation(ctx, &ec2api.ReplaceIamInstanceProfileAssociationInput{AssociationId: aws.String(oldID), IamInstanceProfile: spec("web")})
			return nil, err
		}, "InvalidAssociationID.NotFound", profileARN("batch")},
		{"disassociate", func() (*ec2api.IamInstanceProfileAssociation, error) {
			out, err := f.svc.DisassociateIamInstanceProfile(ctx, &ec2api.DisassociateIamInstanceProfileInput{AssociationId: aws.String(assocID)})
			if err != nil {
				return nil, err
			}
			return out.IamInstanceProfileAssociation, nil
		}, "", ""},
		{"disassociate twice", func() (*ec2api.IamInstanceProfileAssociation, error) {
			_, err := f.svc.DisassociateIamInstanceProfile(ctx, &ec2api.DisassociateIamInstanceProfileInput{AssociationId: aws.String(assocID)})
			return nil, err
		}, "InvalidAssociationID.NotFound", ""},
		{"associate an unknown instance", func() (*ec2api.IamInstanceProfileAssociation, error) {
			_, err := f.svc.AssociateIamInstanceProfile(ctx, &ec2api.AssociateIamInstanceProfileInput{InstanceId: aws.String("i-0000000000000000f"), IamInstanceProfile: spec("web")})
			return nil, err
		}, "InvalidInstanceID.NotFound", ""},
		{"associate an unknown profile", func() (*ec2api.IamInstanceProfileAssociation, error) {
			_, err := f.svc.AssociateIamInstanceProfile(ctx, &ec2api.AssociateIamInstanceProfileInput{InstanceId: aws.String(id), IamInstanceProfile: spec("nope")})
			return nil, err
		}, "InvalidParameterValue", ""},
	}
	for _, s := range steps {
		a, err := s.call()
		if got := code(t, err); got != s.wantCode {
			t.Fatalf("%s: code %q (%v), want %q", s.name, got, err, s.wantCode)
		}
		if a != nil {
			if !strings.HasPrefix(*a.AssociationId, "iip-assoc-") || *a.InstanceId != id {
				t.Fatalf("%s: association %+v", s.name, a)
			}
			oldID, assocID = assocID, *a.AssociationId
		}
		if got := current(); got != s.want {
			t.Fatalf("%s: host profile %q, want %q", s.name, got, s.want)
		}
	}
	if !slices.Contains(f.authz.asked, "iam:PassRole "+roleARN("webRole")) || !slices.Contains(f.authz.asked, "iam:PassRole "+roleARN("batchRole")) {
		t.Errorf("PassRole questions = %v", f.authz.asked)
	}
}

func TestEC2_DescribeIamInstanceProfileAssociations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	web, _ := f.run(t, 2, "web")
	f.run(t, 1, "")
	out, err := f.svc.DescribeIamInstanceProfileAssociations(ctx, &ec2api.DescribeIamInstanceProfileAssociationsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range out.IamInstanceProfileAssociations {
		got = append(got, *a.InstanceId+" "+*a.IamInstanceProfile.Arn+" "+*a.State)
	}
	slices.Sort(got)
	want := []string{web[0] + " " + profileARN("web") + " associated", web[1] + " " + profileARN("web") + " associated"}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("associations (-want +got):\n%s", diff)
	}
	byInstance, err := f.svc.DescribeIamInstanceProfileAssociations(ctx, &ec2api.DescribeIamInstanceProfileAssociationsInput{
		Filters: []ec2api.Filter{{Name: aws.String("instance-id"), Values: []string{web[1]}}}})
	if err != nil || len(byInstance.IamInstanceProfileAssociations) != 1 {
		t.Fatalf("filter instance-id = %+v, %v", byInstance, err)
	}
	id := *byInstance.IamInstanceProfileAssociations[0].AssociationId
	byID, err := f.svc.DescribeIamInstanceProfileAssociations(ctx, &ec2api.DescribeIamInstanceProfileAssociationsInput{AssociationIds: []string{id}})
	if err != nil || len(byID.IamInstanceProfileAssociations) != 1 || *byID.IamInstanceProfileAssociations[0].InstanceId != web[1] {
		t.Fatalf("AssociationIds = %+v, %v", byID, err)
	}
	_, err = f.svc.DescribeIamInstanceProfileAssociations(ctx, &ec2api.DescribeIamInstanceProfileAssociationsInput{AssociationIds: []string{"iip-assoc-00000000000000000"}})
	if code(t, err) != "InvalidAssociationID.NotFound" {
		t.Errorf("unknown association id: %v", err)
	}

	f.run(t, 4, "batch")
	seen := map[string]bool{}
	var token *string
	for {
		out, err := f.svc.DescribeIamInstanceProfileAssociations(ctx, &ec2api.DescribeIamInstanceProfileAssociationsInput{MaxResults: aws.Int32(5), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.IamInstanceProfileAssociations {
			seen[*a.AssociationId] = true
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if len(seen) != 6 {
		t.Errorf("paged through %d associations, want 6", len(seen))
	}
}

func TestEC2_AuthzTarget(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ops, _ := f.run(t, 1, "web", tag("team", "ops"))
	dev, _ := f.run(t, 1, "", tag("team", "dev"))
	arn := func(id string) string { return "arn:aws:ec2:" + region + ":" + account + ":instance/" + id }
	f.authz.asked = nil

	tg, err := f.svc.AuthzTarget(ctx, "TerminateInstances", &ec2api.TerminateInstancesInput{InstanceIds: []string{ops[0], dev[0]}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{arn(ops[0])}, tg.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	for k, want := range map[string]string{"ec2:ResourceTag/team": "ops", "aws:ResourceTag/team": "ops",
		"ec2:InstanceProfile": profileARN("web"), "ec2:Region": region} {
		if got := tg.Context[k]; len(got) != 1 || got[0] != want {
			t.Errorf("context %s = %v, want %s", k, got, want)
		}
	}
	if diff := cmp.Diff([]string{"ec2:TerminateInstances " + arn(dev[0]) + " team=dev"}, f.authz.asked); diff != "" {
		t.Errorf("further instances asked (-want +got):\n%s", diff)
	}

	f.authz.deniedResources[arn(dev[0])] = true
	_, err = f.svc.AuthzTarget(ctx, "TerminateInstances", &ec2api.TerminateInstancesInput{InstanceIds: []string{ops[0], dev[0]}})
	if code(t, err) != "UnauthorizedOperation" {
		t.Errorf("denied second instance: %v", err)
	}

	run, err := f.svc.AuthzTarget(ctx, "RunInstances", &ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Name: aws.String("web")},
		TagSpecifications:  []ec2api.TagSpecification{{ResourceType: aws.String("instance"), Tags: []ec2api.Tag{tag("team", "ops")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if run.Action != "ec2:RunInstances" || run.Resources[0] != arn("*") || run.Context["aws:RequestTag/team"][0] != "ops" ||
		run.Context["ec2:InstanceProfile"][0] != profileARN("web") || run.Context["aws:TagKeys"][0] != "team" {
		t.Errorf("RunInstances target = %+v", run)
	}
	desc, err := f.svc.AuthzTarget(ctx, "DescribeInstances", &ec2api.DescribeInstancesInput{})
	if err != nil || len(desc.Resources) != 0 {
		t.Errorf("DescribeInstances target = %+v, %v", desc, err)
	}
}
