// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/store"
)

// DescribeInstances lists instances (terminated ones included, as EC2
// shows them for a while), grouped by reservation, with EC2's filters
// (instance-id, instance-state-name, tag:KEY, tag-key, tag-value,
// iam-instance-profile.arn, availability-zone, private-ip-address...) and
// MaxResults/NextToken paging.
func (s *Service) DescribeInstances(ctx context.Context, in *ec2api.DescribeInstancesInput) (*ec2api.DescribeInstancesOutput, error) {
	if in.MaxResults != nil && len(in.InstanceIds) > 0 {
		return nil, ec2api.ErrInvalidParameterCombination("The parameter instancesSet cannot be used with the parameter maxResults")
	}
	size, after, err := paging(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	recs, err := s.selectInstances(ctx, in.InstanceIds, in.Filters)
	if err != nil {
		return nil, err
	}
	recs, next := page(recs, func(r *instanceRec) string { return r.ID }, after, size)
	out := &ec2api.DescribeInstancesOutput{Reservations: []ec2api.Reservation{}, NextToken: next}
	byRes := map[string]int{}
	for _, r := range recs {
		i, ok := byRes[r.ReservationID]
		if !ok {
			i = len(out.Reservations)
			byRes[r.ReservationID] = i
			out.Reservations = append(out.Reservations, ec2api.Reservation{ReservationId: aws.String(r.ReservationID),
				OwnerId: aws.String(s.cfg.AccountID), Groups: []ec2api.GroupIdentifier{}})
		}
		out.Reservations[i].Instances = append(out.Reservations[i].Instances, s.toInstance(r))
	}
	return out, nil
}

// selectInstances returns the named instances (every one when ids is
// empty) that pass the filters, in id order.
func (s *Service) selectInstances(ctx context.Context, ids []string, filters []ec2api.Filter) ([]*instanceRec, error) {
	fs, err := parseFilters(filters, instanceAttr)
	if err != nil {
		return nil, err
	}
	var all []*instanceRec
	if len(ids) > 0 {
		recs, err := s.instancesByID(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			all = append(all, r.Value)
		}
		slices.SortFunc(all, func(a, b *instanceRec) int { return strings.Compare(a.ID, b.ID) })
	} else {
		recs, _, err := s.instances.List(ctx, store.Page{})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			all = append(all, r.Value)
		}
	}
	out := all[:0:0]
	for _, r := range all {
		if matches(r, fs, instanceAttr) {
			out = append(out, r)
		}
	}
	return out, nil
}

// instancesByID returns the named instances in request order (duplicates
// dropped); unknown ids fail together as InvalidInstanceID.NotFound.
func (s *Service) instancesByID(ctx context.Context, ids []string) ([]store.Record[instanceRec], error) {
	var out []store.Record[instanceRec]
	var missing []string
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if !validInstanceID(id) {
			return nil, malformedInstanceID(id)
		}
		rec, err := s.instances.Get(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			missing = append(missing, id)
		case err != nil:
			return nil, err
		default:
			out = append(out, rec)
		}
	}
	switch len(missing) {
	case 0:
		return out, nil
	case 1:
		return nil, ec2api.ErrInvalidInstanceIDNotFound("The instance ID '%s' does not exist", missing[0])
	}
	return nil, ec2api.ErrInvalidInstanceIDNotFound("The instance IDs '%s' do not exist", strings.Join(missing, ", "))
}

// TerminateInstances terminates instances at once: each host loses its
// secret (so it can no longer get credentials or an identity document),
// its unused join token and its profile association. Terminated instances
// stay visible to DescribeInstances.
func (s *Service) TerminateInstances(ctx context.Context, in *ec2api.TerminateInstancesInput) (*ec2api.TerminateInstancesOutput, error) {
	recs, err := s.instancesByID(ctx, in.InstanceIds)
	if err != nil {
		return nil, err
	}
	if aws.ToBool(in.DryRun) {
		return nil, dryRun()
	}
	out := &ec2api.TerminateInstancesOutput{TerminatingInstances: []ec2api.InstanceStateChange{}}
	for _, rec := range recs {
		var prev string
		_, err := s.instances.Update(ctx, rec.ID, func(r *instanceRec) error {
			prev = r.State
			r.State = stateTerminated
			r.SecretHash, r.JoinHash, r.Assoc = "", "", nil
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("ec2: terminate %s: %w", rec.ID, err)
		}
		out.TerminatingInstances = append(out.TerminatingInstances, ec2api.InstanceStateChange{
			InstanceId: aws.String(rec.ID), PreviousState: state(prev), CurrentState: state(stateTerminated),
		})
		if prev != stateTerminated {
			s.log.Info("instance terminated", "instance", rec.ID)
		}
	}
	return out, nil
}

// DescribeInstanceStatus reports running instances (every instance with
// IncludeAllInstances) as healthy: a host that joined is "ok".
func (s *Service) DescribeInstanceStatus(ctx context.Context, in *ec2api.DescribeInstanceStatusInput) (*ec2api.DescribeInstanceStatusOutput, error) {
	size, after, err := paging(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	recs, err := s.selectInstances(ctx, in.InstanceIds, in.Filters)
	if err != nil {
		return nil, err
	}
	if !aws.ToBool(in.IncludeAllInstances) {
		recs = slices.DeleteFunc(recs, func(r *instanceRec) bool { return r.State != stateRunning })
	}
	recs, next := page(recs, func(r *instanceRec) string { return r.ID }, after, size)
	out := &ec2api.DescribeInstanceStatusOutput{InstanceStatuses: []ec2api.InstanceStatus{}, NextToken: next}
	for _, r := range recs {
		status, reach := "not-applicable", "initializing"
		if r.State == stateRunning {
			status, reach = "ok", "passed"
		}
		summary := func() *ec2api.InstanceStatusSummary {
			return &ec2api.InstanceStatusSummary{Status: aws.String(status),
				Details: []ec2api.InstanceStatusDetails{{Name: aws.String("reachability"), Status: aws.String(reach)}}}
		}
		out.InstanceStatuses = append(out.InstanceStatuses, ec2api.InstanceStatus{
			InstanceId: aws.String(r.ID), AvailabilityZone: aws.String(r.Zone), InstanceState: state(r.State),
			InstanceStatus: summary(), SystemStatus: summary(), Events: []ec2api.InstanceStatusEvent{},
		})
	}
	return out, nil
}
