// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/service/ec2"
)

func TestEC2_RunInstances(t *testing.T) {
	f := newFixture(t)
	f.authz.deniedRoles[roleARN("batchRole")] = true
	ctx := context.Background()
	tests := []struct {
		name     string
		in       ec2api.RunInstancesInput
		wantCode string
		wantN    int
		wantProf string
	}{
		{name: "no profile", in: ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}, wantN: 1},
		{name: "profile by name", wantN: 2, wantProf: profileARN("web"), in: ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(2),
			IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Name: aws.String("web")}}},
		{name: "profile by ARN", wantN: 1, wantProf: profileARN("web"), in: ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Arn: aws.String(profileARN("web"))}}},
		{name: "profile without role needs no PassRole", wantN: 1, wantProf: profileARN("empty"), in: ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Name: aws.String("empty")}}},
		{name: "PassRole denied", wantCode: "UnauthorizedOperation", in: ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Name: aws.String("batch")}}},
		{name: "unknown profile", wantCode: "InvalidParameterValue", in: ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Name: aws.String("nope")}}},
		{name: "name and ARN disagree", wantCode: "InvalidParameterCombination", in: ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Name: aws.String("batch"), Arn: aws.String(profileARN("web"))}}},
		{name: "max below min", wantCode: "InvalidParameterValue", in: ec2api.RunInstancesInput{MinCount: aws.Int32(2), MaxCount: aws.Int32(1)}},
		{name: "foreign zone", wantCode: "InvalidParameterValue", in: ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			Placement: &ec2api.Placement{AvailabilityZone: aws.String("eu-west-1a")}}},
		{name: "reserved tag", wantCode: "InvalidParameterValue", in: ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			TagSpecifications: []ec2api.TagSpecification{{ResourceType: aws.String("instance"), Tags: []ec2api.Tag{tag("aws:x", "y")}}}}},
		{name: "dry run", wantCode: "DryRunOperation", in: ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), DryRun: aws.Bool(true)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.svc.RunInstances(ctx, &tc.in)
			if got := code(t, err); got != tc.wantCode {
				t.Fatalf("code = %q (%v), want %q", got, err, tc.wantCode)
			}
			if tc.wantCode != "" {
				return
			}
			if len(out.Instances) != tc.wantN {
				t.Fatalf("%d instances, want %d", len(out.Instances), tc.wantN)
			}
			for _, i := range out.Instances {
				if *i.State.Name != "pending" || *i.InstanceType != ec2.InstanceType || *i.ImageId != ec2.ImageID ||
					*i.Placement.AvailabilityZone != "us-east-1a" || len(*i.InstanceId) != 19 {
					t.Errorf("instance = %+v", i)
				}
				var prof string
				if i.IamInstanceProfile != nil {
					prof = *i.IamInstanceProfile.Arn
				}
				if prof != tc.wantProf {
					t.Errorf("profile = %q, want %q", prof, tc.wantProf)
				}
			}
		})
	}
}

func TestEC2_RunInstances_ClientTokenIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := &ec2api.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), ClientToken: aws.String("tok-1")}
	a, err := f.svc.RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if *a.Instances[0].InstanceId != *b.Instances[0].InstanceId || *a.ReservationId != *b.ReservationId {
		t.Fatalf("second run made %s, first %s", *b.Instances[0].InstanceId, *a.Instances[0].InstanceId)
	}
	for _, tg := range b.Instances[0].Tags {
		if *tg.Key == ec2.JoinTokenTag {
			t.Fatal("the repeated run shows the join token again")
		}
	}
}

func TestEC2_DescribeInstances(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	web, tokens := f.run(t, 2, "web", tag("team", "ops"))
	plain, _ := f.run(t, 5, "", tag("team", "dev"), tag("tier", "batch"))
	f.join(t, tokens[0])
	filter := func(name string, values ...string) []ec2api.Filter {
		return []ec2api.Filter{{Name: aws.String(name), Values: values}}
	}
	tests := []struct {
		name     string
		in       ec2api.DescribeInstancesInput
		want     int
		wantCode string
	}{
		{name: "all", want: 7},
		{name: "by id", in: ec2api.DescribeInstancesInput{InstanceIds: []string{web[1], plain[0]}}, want: 2},
		{name: "state running", in: ec2api.DescribeInstancesInput{Filters: filter("instance-state-name", "running")}, want: 1},
		{name: "tag", in: ec2api.DescribeInstancesInput{Filters: filter("tag:team", "ops")}, want: 2},
		{name: "tag wildcard", in: ec2api.DescribeInstancesInput{Filters: filter("tag:team", "d*", "nothing")}, want: 5},
		{name: "tag-key", in: ec2api.DescribeInstancesInput{Filters: filter("tag-key", "tier")}, want: 5},
		{name: "profile", in: ec2api.DescribeInstancesInput{Filters: filter("iam-instance-profile.arn", profileARN("web"))}, want: 2},
		{name: "filters are ANDed", in: ec2api.DescribeInstancesInput{Filters: append(filter("tag:team", "ops"), filter("instance-state-name", "pending")...)}, want: 1},
		{name: "unknown filter", in: ec2api.DescribeInstancesInput{Filters: filter("vpc-id", "v")}, wantCode: "InvalidParameterValue"},
		{name: "unknown id", in: ec2api.DescribeInstancesInput{InstanceIds: []string{"i-0000000000000000f"}}, wantCode: "InvalidInstanceID.NotFound"},
		{name: "malformed id", in: ec2api.DescribeInstancesInput{InstanceIds: []string{"vol-1"}}, wantCode: "InvalidInstanceID.Malformed"},
		{name: "ids and MaxResults", in: ec2api.DescribeInstancesInput{InstanceIds: web, MaxResults: aws.Int32(5)}, wantCode: "InvalidParameterCombination"},
		{name: "MaxResults too small", in: ec2api.DescribeInstancesInput{MaxResults: aws.Int32(4)}, wantCode: "InvalidParameterValue"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.svc.DescribeInstances(ctx, &tc.in)
			if got := code(t, err); got != tc.wantCode {
				t.Fatalf("code = %q (%v), want %q", got, err, tc.wantCode)
			}
			if err != nil {
				return
			}
			n := 0
			for _, r := range out.Reservations {
				n += len(r.Instances)
			}
			if n != tc.want {
				t.Errorf("%d instances, want %d", n, tc.want)
			}
		})
	}

	t.Run("pages", func(t *testing.T) {
		var seen []string
		var token *string
		for pages := 0; ; pages++ {
			out, err := f.svc.DescribeInstances(ctx, &ec2api.DescribeInstancesInput{MaxResults: aws.Int32(5), NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Reservations {
				for _, i := range r.Instances {
					seen = append(seen, *i.InstanceId)
				}
			}
			if token = out.NextToken; token == nil {
				if pages != 1 {
					t.Errorf("%d pages, want 2", pages+1)
				}
				break
			}
		}
		if len(seen) != 7 {
			t.Errorf("paged through %d instances, want 7", len(seen))
		}
	})
}

func TestEC2_TerminateInstances(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids, tokens := f.run(t, 2, "web")
	res := f.join(t, tokens[0])
	out, err := f.svc.TerminateInstances(ctx, &ec2api.TerminateInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range out.TerminatingInstances {
		got = append(got, *c.PreviousState.Name+"→"+*c.CurrentState.Name)
	}
	if diff := cmp.Diff([]string{"running→terminated", "pending→terminated"}, got); diff != "" {
		t.Errorf("state changes (-want +got):\n%s", diff)
	}
	if _, err := f.svc.AuthenticateHost(ctx, res.InstanceID, res.HostSecret); err == nil {
		t.Error("a terminated host still authenticates")
	}
	if _, err := f.svc.Join(ctx, ec2.JoinRequest{Token: tokens[1]}); err == nil {
		t.Error("the join token of a terminated instance still works")
	}
	d, err := f.svc.DescribeInstances(ctx, &ec2api.DescribeInstancesInput{InstanceIds: ids[:1]})
	if err != nil || *d.Reservations[0].Instances[0].State.Name != "terminated" || d.Reservations[0].Instances[0].IamInstanceProfile != nil {
		t.Errorf("DescribeInstances after terminate = %+v, %v", d, err)
	}
}

func TestEC2_Tags(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids, _ := f.run(t, 2, "", tag("team", "ops"))
	steps := []struct {
		name     string
		call     func() error
		wantCode string
	}{
		{"create", func() error {
			_, err := f.svc.CreateTags(ctx, &ec2api.CreateTagsInput{Resources: ids, Tags: []ec2api.Tag{tag("env", "prod"), tag("team", "dev")}})
			return err
		}, ""},
		{"reserved key", func() error {
			_, err := f.svc.CreateTags(ctx, &ec2api.CreateTagsInput{Resources: ids, Tags: []ec2api.Tag{tag(ec2.JoinTokenTag, "x")}})
			return err
		}, "InvalidParameterValue"},
		{"not an instance", func() error {
			_, err := f.svc.CreateTags(ctx, &ec2api.CreateTagsInput{Resources: []string{"vol-1"}, Tags: []ec2api.Tag{tag("a", "b")}})
			return err
		}, "InvalidID"},
		{"delete with a value that does not match keeps the tag", func() error {
			_, err := f.svc.DeleteTags(ctx, &ec2api.DeleteTagsInput{Resources: ids[:1], Tags: []ec2api.Tag{tag("env", "dev"), {Key: aws.String("team")}}})
			return err
		}, ""},
	}
	for _, s := range steps {
		if got := code(t, s.call()); got != s.wantCode {
			t.Fatalf("%s: code %q, want %q", s.name, got, s.wantCode)
		}
	}
	out, err := f.svc.DescribeTags(ctx, &ec2api.DescribeTagsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range out.Tags {
		got = append(got, *d.ResourceId+" "+*d.Key+"="+*d.Value)
	}
	first, second := min(ids[0], ids[1]), max(ids[0], ids[1])
	want := map[string][]string{ids[0]: {"env=prod"}, ids[1]: {"env=prod", "team=dev"}}
	var wantRows []string
	for _, id := range []string{first, second} {
		for _, kv := range want[id] {
			wantRows = append(wantRows, id+" "+kv)
		}
	}
	if diff := cmp.Diff(wantRows, got); diff != "" {
		t.Errorf("DescribeTags (-want +got):\n%s", diff)
	}
	filtered, err := f.svc.DescribeTags(ctx, &ec2api.DescribeTagsInput{Filters: []ec2api.Filter{{Name: aws.String("key"), Values: []string{"team"}}}})
	if err != nil || len(filtered.Tags) != 1 {
		t.Errorf("DescribeTags key=team = %+v, %v", filtered, err)
	}
}

func TestEC2_RegionsAndZones(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r, err := f.svc.DescribeRegions(ctx, &ec2api.DescribeRegionsInput{})
	if err != nil || len(r.Regions) != 1 || *r.Regions[0].RegionName != region {
		t.Fatalf("DescribeRegions = %+v, %v", r, err)
	}
	if _, err := f.svc.DescribeRegions(ctx, &ec2api.DescribeRegionsInput{RegionNames: []string{"mars-1"}}); code(t, err) != "InvalidParameterValue" {
		t.Errorf("DescribeRegions(mars-1) = %v", err)
	}
	z, err := f.svc.DescribeAvailabilityZones(ctx, &ec2api.DescribeAvailabilityZonesInput{})
	if err != nil || len(z.AvailabilityZones) != 1 || *z.AvailabilityZones[0].ZoneName != "us-east-1a" {
		t.Fatalf("DescribeAvailabilityZones = %+v, %v", z, err)
	}
}
