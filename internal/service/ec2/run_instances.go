// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/store"
)

// RunInstances creates MaxCount pending instances, each with a one-time
// join token that a host presents to POST /_berth/host/join to become that
// instance. The token is returned once, as the JoinTokenTag tag of each
// instance in this response; only its hash is stored. With an
// IamInstanceProfile the caller must also be allowed iam:PassRole on the
// profile's role (as on AWS), and the instance starts associated with it.
//
// A repeated ClientToken returns the instances it created before, without
// join tokens (a lost token is replaced by launching a new instance).
func (s *Service) RunInstances(ctx context.Context, in *ec2api.RunInstancesInput) (*ec2api.RunInstancesOutput, error) {
	minC, maxC := aws.ToInt32(in.MinCount), aws.ToInt32(in.MaxCount)
	switch {
	case minC < 1:
		return nil, ec2api.ErrInvalidParameterValue("Value (%d) for parameter minCount is invalid. Expected a positive integer.", minC)
	case maxC < minC:
		return nil, ec2api.ErrInvalidParameterValue("Value (%d) for parameter maxCount is invalid. It must be at least minCount (%d).", maxC, minC)
	case minC > maxInstancesPerRun:
		return nil, ec2api.ErrInvalidParameterValue("berth launches at most %d instances per request; minCount is %d", maxInstancesPerRun, minC)
	}
	count := min(maxC, maxInstancesPerRun)
	if p := in.Placement; p != nil && p.AvailabilityZone != nil && *p.AvailabilityZone != s.zone() {
		return nil, ec2api.ErrInvalidParameterValue("Invalid availability zone: [%s]", *p.AvailabilityZone)
	}
	tags, err := instanceTags(in.TagSpecifications)
	if err != nil {
		return nil, err
	}
	var prof *Profile
	if in.IamInstanceProfile != nil {
		if prof, err = s.resolveProfile(ctx, in.IamInstanceProfile); err != nil {
			return nil, err
		}
		if err := s.checkPassRole(ctx, prof); err != nil {
			return nil, err
		}
	}
	if aws.ToBool(in.DryRun) {
		return nil, dryRun()
	}
	token := aws.ToString(in.ClientToken)
	if token != "" {
		if out, ok, err := s.previousRun(ctx, token); ok || err != nil {
			return out, err
		}
	}

	now := s.now()
	out := &ec2api.RunInstancesOutput{ReservationId: aws.String(hexID("r-")), OwnerId: aws.String(s.cfg.AccountID),
		Groups: []ec2api.GroupIdentifier{}}
	txn := s.st.Txn()
	recs := make([]*instanceRec, count)
	joinTokens := make([]string, count)
	for i := range recs {
		r := &instanceRec{
			ID: hexID("i-"), ReservationID: *out.ReservationId, State: statePending, LaunchTime: now,
			Zone: s.zone(), ImageID: firstNonEmpty(aws.ToString(in.ImageId), ImageID),
			InstanceType: firstNonEmpty(aws.ToString(in.InstanceType), InstanceType),
			ClientToken:  token, LaunchIndex: int32(i), Tags: tags, JoinExpires: now.Add(s.cfg.JoinTokenTTL),
		}
		secret := newSecret()
		r.JoinHash = hashSecret(secret)
		joinTokens[i] = r.ID + "." + secret
		if prof != nil {
			r.Assoc = &assocRec{ID: hexID("iip-assoc-"), ProfileARN: prof.ARN, ProfileID: prof.ID, State: assocAssociated, Time: now}
		}
		recs[i] = r
		txn.Add(s.instances.CreateOp(r.ID, r))
	}
	if _, err := txn.Commit(ctx); err != nil {
		return nil, fmt.Errorf("ec2: run instances: %w", err)
	}
	for i, r := range recs {
		inst := s.toInstance(r)
		inst.Tags = append(inst.Tags, ec2api.Tag{Key: aws.String(JoinTokenTag), Value: aws.String(joinTokens[i])})
		out.Instances = append(out.Instances, inst)
	}
	s.log.Info("instances launched", "reservation", *out.ReservationId, "count", count, "profile", profileARN(prof))
	return out, nil
}

// previousRun returns the reservation a client token already created.
func (s *Service) previousRun(ctx context.Context, token string) (*ec2api.RunInstancesOutput, bool, error) {
	recs, err := s.instances.ByIndex(ctx, indexClientToken, token)
	if err != nil || len(recs) == 0 {
		return nil, false, err
	}
	out := &ec2api.RunInstancesOutput{ReservationId: aws.String(recs[0].Value.ReservationID),
		OwnerId: aws.String(s.cfg.AccountID), Groups: []ec2api.GroupIdentifier{}}
	for _, r := range recs {
		out.Instances = append(out.Instances, s.toInstance(r.Value))
	}
	return out, true, nil
}

// instanceTags returns the tags the TagSpecifications give instances;
// tags for other resource types (volumes...) are ignored, as berth has none.
func instanceTags(specs []ec2api.TagSpecification) ([]tagRec, error) {
	var out []tagRec
	for _, spec := range specs {
		if rt := aws.ToString(spec.ResourceType); rt != "instance" {
			continue
		}
		for _, t := range spec.Tags {
			if err := checkTagKey(aws.ToString(t.Key)); err != nil {
				return nil, err
			}
			out = setTag(out, aws.ToString(t.Key), aws.ToString(t.Value))
		}
	}
	if len(out) > maxTags {
		return nil, ec2api.ErrTagLimitExceeded("The maximum number of Tags for a resource is %d.", maxTags)
	}
	return out, nil
}

// resolveProfile finds the instance profile spec names, by ARN or name.
func (s *Service) resolveProfile(ctx context.Context, spec *ec2api.IamInstanceProfileSpecification) (*Profile, error) {
	if spec == nil {
		spec = &ec2api.IamInstanceProfileSpecification{}
	}
	name, arn := aws.ToString(spec.Name), aws.ToString(spec.Arn)
	var p *Profile
	var err error
	switch {
	case arn != "":
		p, err = s.profiles.InstanceProfileByARN(ctx, arn)
		if errors.Is(err, ErrProfileNotFound) {
			return nil, ec2api.ErrInvalidParameterValue("Value (%s) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN", arn)
		}
		if err == nil && name != "" && name != p.Name {
			return nil, ec2api.ErrInvalidParameterCombination("The iamInstanceProfile.name %s does not match the profile of iamInstanceProfile.arn %s", name, arn)
		}
	case name != "":
		p, err = s.profiles.InstanceProfile(ctx, name)
		if errors.Is(err, ErrProfileNotFound) {
			return nil, ec2api.ErrInvalidParameterValue("Value (%s) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name", name)
		}
	default:
		return nil, ec2api.ErrMissingParameter("The request must contain the parameter IamInstanceProfile.Name or IamInstanceProfile.Arn")
	}
	if err != nil {
		return nil, fmt.Errorf("ec2: look up instance profile: %w", err)
	}
	return p, nil
}

// checkPassRole asks whether the caller may pass the profile's role to
// EC2; a profile without a role passes nothing.
func (s *Service) checkPassRole(ctx context.Context, p *Profile) error {
	if p.RoleARN == "" || s.pass == nil {
		return nil
	}
	ok, msg, err := s.pass.CheckPassRole(ctx, p.RoleARN)
	if err != nil {
		return fmt.Errorf("ec2: iam:PassRole: %w", err)
	}
	if !ok {
		return ec2api.ErrUnauthorizedOperation("You are not authorized to perform this operation. %s", msg)
	}
	return nil
}

func dryRun() error {
	return ec2api.ErrDryRunOperation("Request would have succeeded, but DryRun flag is set.")
}

func profileARN(p *Profile) string {
	if p == nil {
		return ""
	}
	return p.ARN
}

// instance returns the instance id names; InvalidInstanceID.Malformed or
// .NotFound as EC2 answers.
func (s *Service) instance(ctx context.Context, id string) (store.Record[instanceRec], error) {
	if !validInstanceID(id) {
		return store.Record[instanceRec]{}, malformedInstanceID(id)
	}
	rec, err := s.instances.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return rec, ec2api.ErrInvalidInstanceIDNotFound("The instance ID '%s' does not exist", id)
	}
	return rec, err
}

func malformedInstanceID(id string) error {
	return ec2api.ErrInvalidInstanceIDMalformed("Invalid id: %q (expecting \"i-...\")", id)
}

// validInstanceID accepts EC2's 17-digit ids and the older 8-digit ones.
func validInstanceID(id string) bool {
	if (len(id) != 19 && len(id) != 10) || id[:2] != "i-" {
		return false
	}
	for _, c := range id[2:] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
