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

// errRaced aborts an Update whose record no longer fits the request; the
// caller answers with the error it carries.
type errRaced struct{ err error }

func (e errRaced) Error() string { return e.err.Error() }
func (e errRaced) Unwrap() error { return e.err }

// AssociateIamInstanceProfile associates an instance profile with an
// instance that has none (IncorrectState otherwise). The caller must be
// allowed iam:PassRole on the profile's role. The host's next credentials
// request gets the new role.
func (s *Service) AssociateIamInstanceProfile(ctx context.Context, in *ec2api.AssociateIamInstanceProfileInput) (*ec2api.AssociateIamInstanceProfileOutput, error) {
	id := aws.ToString(in.InstanceId)
	rec, err := s.instance(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := associable(rec.Value); err != nil {
		return nil, err
	}
	prof, err := s.resolveProfile(ctx, in.IamInstanceProfile)
	if err != nil {
		return nil, err
	}
	if err := s.checkPassRole(ctx, prof); err != nil {
		return nil, err
	}
	a := &assocRec{ID: hexID("iip-assoc-"), ProfileARN: prof.ARN, ProfileID: prof.ID, State: assocAssociated, Time: s.now()}
	_, err = s.instances.Update(ctx, id, func(r *instanceRec) error {
		if err := associable(r); err != nil {
			return errRaced{err}
		}
		r.Assoc = a
		return nil
	})
	if err != nil {
		return nil, unrace(err)
	}
	s.log.Info("instance profile associated", "instance", id, "association", a.ID, "profile", prof.ARN)
	return &ec2api.AssociateIamInstanceProfileOutput{IamInstanceProfileAssociation: toAssociation(id, a, assocAssociating)}, nil
}

func associable(r *instanceRec) error {
	if r.State == stateTerminated {
		return ec2api.ErrIncorrectInstanceState("The instance '%s' is not in a valid state for this operation.", r.ID)
	}
	if r.Assoc != nil {
		return ec2api.ErrIncorrectState("There is an existing association for instance %s", r.ID)
	}
	return nil
}

// ReplaceIamInstanceProfileAssociation swaps the profile of an existing
// association, giving it a new association id. The caller must be allowed
// iam:PassRole on the new profile's role.
func (s *Service) ReplaceIamInstanceProfileAssociation(ctx context.Context, in *ec2api.ReplaceIamInstanceProfileAssociationInput) (*ec2api.ReplaceIamInstanceProfileAssociationOutput, error) {
	assocID := aws.ToString(in.AssociationId)
	rec, err := s.byAssociation(ctx, assocID)
	if err != nil {
		return nil, err
	}
	prof, err := s.resolveProfile(ctx, in.IamInstanceProfile)
	if err != nil {
		return nil, err
	}
	if err := s.checkPassRole(ctx, prof); err != nil {
		return nil, err
	}
	a := &assocRec{ID: hexID("iip-assoc-"), ProfileARN: prof.ARN, ProfileID: prof.ID, State: assocAssociated, Time: s.now()}
	_, err = s.instances.Update(ctx, rec.ID, func(r *instanceRec) error {
		if r.Assoc == nil || r.Assoc.ID != assocID {
			return errRaced{assocNotFound(assocID)}
		}
		r.Assoc = a
		return nil
	})
	if err != nil {
		return nil, unrace(err)
	}
	s.log.Info("instance profile replaced", "instance", rec.ID, "association", a.ID, "profile", prof.ARN)
	return &ec2api.ReplaceIamInstanceProfileAssociationOutput{IamInstanceProfileAssociation: toAssociation(rec.ID, a, assocAssociating)}, nil
}

// DisassociateIamInstanceProfile removes an association; the host's next
// credentials request finds no profile.
func (s *Service) DisassociateIamInstanceProfile(ctx context.Context, in *ec2api.DisassociateIamInstanceProfileInput) (*ec2api.DisassociateIamInstanceProfileOutput, error) {
	assocID := aws.ToString(in.AssociationId)
	rec, err := s.byAssociation(ctx, assocID)
	if err != nil {
		return nil, err
	}
	var old *assocRec
	_, err = s.instances.Update(ctx, rec.ID, func(r *instanceRec) error {
		if r.Assoc == nil || r.Assoc.ID != assocID {
			return errRaced{assocNotFound(assocID)}
		}
		old, r.Assoc = r.Assoc, nil
		return nil
	})
	if err != nil {
		return nil, unrace(err)
	}
	s.log.Info("instance profile disassociated", "instance", rec.ID, "association", assocID)
	return &ec2api.DisassociateIamInstanceProfileOutput{IamInstanceProfileAssociation: toAssociation(rec.ID, old, assocDisassociating)}, nil
}

// DescribeIamInstanceProfileAssociations lists the current associations,
// selected by AssociationIds or the filters instance-id and state.
func (s *Service) DescribeIamInstanceProfileAssociations(ctx context.Context, in *ec2api.DescribeIamInstanceProfileAssociationsInput) (*ec2api.DescribeIamInstanceProfileAssociationsOutput, error) {
	size, after, err := paging(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	fs, err := parseFilters(in.Filters, assocAttr)
	if err != nil {
		return nil, err
	}
	var recs []*instanceRec
	if len(in.AssociationIds) > 0 {
		for _, id := range in.AssociationIds {
			rec, err := s.byAssociation(ctx, id)
			if err != nil {
				return nil, err
			}
			recs = append(recs, rec.Value)
		}
	} else {
		all, _, err := s.instances.List(ctx, store.Page{})
		if err != nil {
			return nil, err
		}
		for _, r := range all {
			if r.Value.Assoc != nil {
				recs = append(recs, r.Value)
			}
		}
	}
	var sel []*instanceRec
	for _, r := range recs {
		if matches(r, fs, assocAttr) {
			sel = append(sel, r)
		}
	}
	slices.SortFunc(sel, func(a, b *instanceRec) int { return strings.Compare(a.Assoc.ID, b.Assoc.ID) })
	sel, next := page(sel, func(r *instanceRec) string { return r.Assoc.ID }, after, size)
	out := &ec2api.DescribeIamInstanceProfileAssociationsOutput{IamInstanceProfileAssociations: []ec2api.IamInstanceProfileAssociation{}, NextToken: next}
	for _, r := range sel {
		out.IamInstanceProfileAssociations = append(out.IamInstanceProfileAssociations, *toAssociation(r.ID, r.Assoc, r.Assoc.State))
	}
	return out, nil
}

// assocAttr is the filterable attributes of an association.
func assocAttr(r *instanceRec, name string) ([]string, bool) {
	switch name {
	case "instance-id":
		if r != nil {
			return []string{r.ID}, true
		}
	case "state":
		if r != nil && r.Assoc != nil {
			return []string{r.Assoc.State}, true
		}
	default:
		return nil, false
	}
	return nil, true
}

// byAssociation returns the instance holding association id.
func (s *Service) byAssociation(ctx context.Context, id string) (store.Record[instanceRec], error) {
	recs, err := s.instances.ByIndex(ctx, indexAssociation, id)
	if err != nil {
		return store.Record[instanceRec]{}, err
	}
	if len(recs) == 0 {
		return store.Record[instanceRec]{}, assocNotFound(id)
	}
	return recs[0], nil
}

func assocNotFound(id string) error {
	return ec2api.ErrInvalidAssociationIDNotFound("An association with ID %s does not exist.", id)
}

// unrace returns the error an Update's function aborted with, or wraps a
// store failure.
func unrace(err error) error {
	var r errRaced
	if errors.As(err, &r) {
		return r.err
	}
	return fmt.Errorf("ec2: update instance: %w", err)
}
