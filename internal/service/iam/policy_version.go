// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"slices"
	"strconv"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
)

// versions returns a managed policy's versions; an AWS managed policy has
// just its default version.
func (p policyOf) versions() []versionRec {
	if p.aws != nil {
		return []versionRec{{ID: p.aws.VersionID, Document: p.aws.Document, Created: p.aws.Updated}}
	}
	return p.cust.Versions
}

func (p policyOf) defaultVersion() string {
	if p.aws != nil {
		return p.aws.VersionID
	}
	return p.cust.Default
}

// toVersion renders a version; withDocument adds its URL-encoded document
// (GetPolicyVersion; CreatePolicyVersion and ListPolicyVersions leave it
// out, as IAM does).
func toVersion(v versionRec, def string, withDocument bool) iamapi.PolicyVersion {
	out := iamapi.PolicyVersion{VersionId: ptr(v.ID), IsDefaultVersion: ptr(v.ID == def), CreateDate: ptr(v.Created)}
	if withDocument {
		out.Document = encodedPtr(v.Document)
	}
	return out
}

// CreatePolicyVersion implements iamapi.API. A policy keeps at most five
// versions; ids are never reused.
func (s *Service) CreatePolicyVersion(ctx context.Context, in *iamapi.CreatePolicyVersionInput) (*iamapi.CreatePolicyVersionOutput, error) {
	var v violations
	v.requiredARN("policyArn", in.PolicyArn)
	v.document("policyDocument", in.PolicyDocument)
	if err := v.err(); err != nil {
		return nil, err
	}
	var out iamapi.PolicyVersion
	err := s.modifyPolicy(ctx, "CreatePolicyVersion", *in.PolicyArn, func(tx *txn, p *policyRec) error {
		doc, err := s.policyDocument(*in.PolicyDocument)
		if err != nil {
			return err
		}
		if len(p.Versions) >= quotaVersionsPerPolicy {
			return limitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", quotaVersionsPerPolicy)
		}
		ver := versionRec{ID: "v" + strconv.Itoa(p.NextVersion), Document: doc, Created: s.now()}
		p.NextVersion++
		p.Versions = append(slices.Clone(p.Versions), ver)
		p.Updated = ver.Created
		if deref(in.SetAsDefault) {
			p.Default = ver.ID
		}
		tx.put(policyKey(p.Name), p)
		out = toVersion(ver, p.Default, false)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreatePolicyVersionOutput{PolicyVersion: &out}, nil
}

func versionInput(policyARN, versionID *string) error {
	var v violations
	v.requiredARN("policyArn", policyARN)
	v.versionID("versionId", versionID)
	return v.err()
}

// GetPolicyVersion implements iamapi.API; the document is URL-encoded.
func (s *Service) GetPolicyVersion(ctx context.Context, in *iamapi.GetPolicyVersionInput) (*iamapi.GetPolicyVersionOutput, error) {
	if err := versionInput(in.PolicyArn, in.VersionId); err != nil {
		return nil, err
	}
	var p policyOf
	if err := s.view(ctx, func(tx *txn) (err error) { p, err = s.loadPolicy(tx, *in.PolicyArn); return err }); err != nil {
		return nil, err
	}
	vs := p.versions()
	i := slices.IndexFunc(vs, func(v versionRec) bool { return v.ID == *in.VersionId })
	if i < 0 {
		return nil, versionNotFound(*in.PolicyArn, *in.VersionId)
	}
	out := toVersion(vs[i], p.defaultVersion(), true)
	return &iamapi.GetPolicyVersionOutput{PolicyVersion: &out}, nil
}

// ListPolicyVersions implements iamapi.API, newest first.
func (s *Service) ListPolicyVersions(ctx context.Context, in *iamapi.ListPolicyVersionsInput) (*iamapi.ListPolicyVersionsOutput, error) {
	var v violations
	v.requiredARN("policyArn", in.PolicyArn)
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	var p policyOf
	if err := s.view(ctx, func(tx *txn) (err error) { p, err = s.loadPolicy(tx, *in.PolicyArn); return err }); err != nil {
		return nil, err
	}
	pg, err := paginate(slices.Clone(p.versions()), func(v versionRec) string { return versionKey(v.ID) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListPolicyVersionsOutput{Versions: []iamapi.PolicyVersion{}, IsTruncated: ptr(pg.Truncated), Marker: pg.Marker}
	for _, v := range pg.Items {
		out.Versions = append(out.Versions, toVersion(v, p.defaultVersion(), false))
	}
	return out, nil
}

// DeletePolicyVersion implements iamapi.API; the default version cannot be
// deleted.
func (s *Service) DeletePolicyVersion(ctx context.Context, in *iamapi.DeletePolicyVersionInput) (*iamapi.DeletePolicyVersionOutput, error) {
	if err := versionInput(in.PolicyArn, in.VersionId); err != nil {
		return nil, err
	}
	err := s.modifyPolicy(ctx, "DeletePolicyVersion", *in.PolicyArn, func(tx *txn, p *policyRec) error {
		i := slices.IndexFunc(p.Versions, func(v versionRec) bool { return v.ID == *in.VersionId })
		switch {
		case i < 0:
			return versionNotFound(*in.PolicyArn, *in.VersionId)
		case p.Default == *in.VersionId:
			return deleteConflict("Cannot delete the default version of a policy.")
		}
		p.Versions = slices.Delete(slices.Clone(p.Versions), i, i+1)
		tx.put(policyKey(p.Name), p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeletePolicyVersionOutput{}, nil
}

// SetDefaultPolicyVersion implements iamapi.API.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, in *iamapi.SetDefaultPolicyVersionInput) (*iamapi.SetDefaultPolicyVersionOutput, error) {
	if err := versionInput(in.PolicyArn, in.VersionId); err != nil {
		return nil, err
	}
	err := s.modifyPolicy(ctx, "SetDefaultPolicyVersion", *in.PolicyArn, func(tx *txn, p *policyRec) error {
		if !slices.ContainsFunc(p.Versions, func(v versionRec) bool { return v.ID == *in.VersionId }) {
			return versionNotFound(*in.PolicyArn, *in.VersionId)
		}
		p.Default = *in.VersionId
		tx.put(policyKey(p.Name), p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.SetDefaultPolicyVersionOutput{}, nil
}
