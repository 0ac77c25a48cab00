// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/gateway"
)

// AuthzTarget implements gateway.Describer with the Service Authorization
// Reference's resources and keys for EC2:
//
//	RunInstances                instance/*  aws:RequestTag/*, aws:TagKeys, ec2:InstanceProfile, ec2:InstanceType
//	TerminateInstances          instance/ID ec2:ResourceTag/* (and aws:ResourceTag/*), ec2:InstanceProfile
//	CreateTags, DeleteTags      instance/ID as above, plus aws:RequestTag/* and aws:TagKeys
//	AssociateIamInstanceProfile instance/ID as above, plus ec2:NewInstanceProfile
//	Replace…, Disassociate…     the instance holding the association
//	Describe*                   *
//
// every one with ec2:Region. When a request names several instances the
// gateway judges the first with its keys and AuthzTarget asks the
// ResourceAuthorizer about each further one with that instance's keys, so
// tag conditions hold per instance; a denial is UnauthorizedOperation.
func (s *Service) AuthzTarget(ctx context.Context, op string, in any) (gateway.Target, error) {
	t := gateway.Target{Action: "ec2:" + op, Context: map[string][]string{"ec2:Region": {s.cfg.Region}}}
	var ids []string
	switch in := in.(type) {
	case *ec2api.RunInstancesInput:
		t.Resources = []string{s.instanceARN("*")}
		t.Context["ec2:InstanceType"] = []string{firstNonEmpty(aws.ToString(in.InstanceType), InstanceType)}
		t.Context["ec2:AvailabilityZone"] = []string{s.zone()}
		if in.IamInstanceProfile != nil {
			if p, err := s.resolveProfile(ctx, in.IamInstanceProfile); err == nil {
				t.Context["ec2:InstanceProfile"] = []string{p.ARN}
			}
		}
		tags, _ := instanceTags(in.TagSpecifications) // invalid tags fail in RunInstances
		requestTags(t.Context, tags)
		return t, nil
	case *ec2api.TerminateInstancesInput:
		ids = in.InstanceIds
	case *ec2api.CreateTagsInput:
		ids = in.Resources
		var tags []tagRec
		for _, tg := range in.Tags {
			tags = setTag(tags, aws.ToString(tg.Key), aws.ToString(tg.Value))
		}
		requestTags(t.Context, tags)
	case *ec2api.DeleteTagsInput:
		ids = in.Resources
		for _, tg := range in.Tags {
			t.Context["aws:TagKeys"] = append(t.Context["aws:TagKeys"], aws.ToString(tg.Key))
		}
	case *ec2api.AssociateIamInstanceProfileInput:
		ids = []string{aws.ToString(in.InstanceId)}
		s.newProfileKey(ctx, t.Context, in.IamInstanceProfile)
	case *ec2api.ReplaceIamInstanceProfileAssociationInput:
		ids = s.associationInstance(ctx, aws.ToString(in.AssociationId))
		s.newProfileKey(ctx, t.Context, in.IamInstanceProfile)
	case *ec2api.DisassociateIamInstanceProfileInput:
		ids = s.associationInstance(ctx, aws.ToString(in.AssociationId))
	default:
		return t, nil // Describe*: resource "*"
	}
	if len(ids) == 0 {
		t.Resources = []string{s.instanceARN("*")}
		return t, nil
	}
	for i, id := range ids {
		keys := s.instanceKeys(ctx, id, t.Context)
		if i == 0 {
			t.Resources, t.Context = []string{s.instanceARN(id)}, keys
			continue
		}
		if s.resources == nil {
			continue
		}
		ok, msg, err := s.resources.AuthorizeResource(ctx, t.Action, s.instanceARN(id), keys)
		if err != nil {
			return t, fmt.Errorf("ec2: authorize %s: %w", id, err)
		}
		if !ok {
			return t, ec2api.ErrUnauthorizedOperation("You are not authorized to perform this operation. %s", msg)
		}
	}
	return t, nil
}

func (s *Service) instanceARN(id string) string {
	return "arn:aws:ec2:" + s.cfg.Region + ":" + s.cfg.AccountID + ":instance/" + id
}

// instanceKeys returns base plus the condition keys of instance id: its
// tags and its current instance profile. An unknown instance adds none
// (the operation then fails with InvalidInstanceID.NotFound).
func (s *Service) instanceKeys(ctx context.Context, id string, base map[string][]string) map[string][]string {
	keys := make(map[string][]string, len(base)+4)
	for k, v := range base {
		keys[k] = v
	}
	keys["ec2:InstanceID"] = []string{id}
	if !validInstanceID(id) {
		return keys
	}
	rec, err := s.instances.Get(ctx, id)
	if err != nil {
		return keys
	}
	r := rec.Value
	keys["ec2:AvailabilityZone"] = []string{r.Zone}
	keys["ec2:InstanceType"] = []string{r.InstanceType}
	for _, tg := range r.Tags {
		keys["ec2:ResourceTag/"+tg.Key] = []string{tg.Value}
		keys["aws:ResourceTag/"+tg.Key] = []string{tg.Value}
	}
	if r.Assoc != nil {
		keys["ec2:InstanceProfile"] = []string{r.Assoc.ProfileARN}
	}
	return keys
}

func requestTags(c map[string][]string, tags []tagRec) {
	for _, tg := range tags {
		c["aws:RequestTag/"+tg.Key] = []string{tg.Value}
		c["aws:TagKeys"] = append(c["aws:TagKeys"], tg.Key)
	}
}

// newProfileKey sets ec2:NewInstanceProfile to the ARN of the profile
// spec names, when it exists.
func (s *Service) newProfileKey(ctx context.Context, c map[string][]string, spec *ec2api.IamInstanceProfileSpecification) {
	if spec == nil {
		return
	}
	if p, err := s.resolveProfile(ctx, spec); err == nil {
		c["ec2:NewInstanceProfile"] = []string{p.ARN}
	}
}

func (s *Service) associationInstance(ctx context.Context, assocID string) []string {
	rec, err := s.byAssociation(ctx, assocID)
	if err != nil {
		return nil
	}
	return []string{rec.ID}
}
