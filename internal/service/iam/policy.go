// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
)

func policyKey(name string) string { return key(tablePolicies, nameKey(name)) }

// policyOf is a managed policy found by ARN: exactly one of cust and aws is
// set; usage is the account's use of it.
type policyOf struct {
	cust  *policyRec
	aws   *awsPolicy
	usage usageRec
}

// loadPolicy finds the managed policy policyARN names (InvalidInput for a
// malformed ARN, NoSuchEntity when there is none).
func (s *Service) loadPolicy(tx *txn, policyARN string) (policyOf, error) {
	h, ok, err := s.resolvePolicy(tx, policyARN)
	if err != nil {
		return policyOf{}, err
	}
	if !ok {
		return policyOf{}, noSuchEntity("Policy %s was not found.", policyARN)
	}
	return policyOf{cust: h.cust, aws: h.aws, usage: *h.usage}, nil
}

// notEditable is IAM's answer to a change of an AWS managed policy: the
// policy belongs to AWS's account, so the caller is denied.
func notEditable(ctx context.Context, op, policyARN string) *awserr.Error {
	who := "anonymous"
	if p := principal.FromContext(ctx); p != nil && p.ARN != "" {
		who = p.ARN
	}
	return awserr.New(awserr.CodeAccessDenied, http.StatusForbidden,
		"User: %s is not authorized to perform: iam:%s on resource: policy %s because no resource-based policy allows the iam:%s action",
		who, op, policyARN, op)
}

// policyDocument decodes and validates a managed policy document, with
// IAM's size quota for customer managed policies.
func (s *Service) policyDocument(doc string) (string, error) {
	doc = decodeDocument(doc)
	if err := s.checkDocument(doc, Identity); err != nil {
		return "", err
	}
	if documentSize(doc) > quotaPolicySize {
		return "", quotaExceeded("PolicySize", quotaPolicySize)
	}
	return doc, nil
}

// toPolicy renders a managed policy; full adds what ListPolicies leaves
// out (description and tags).
func (p policyOf) toPolicy(full bool) iamapi.Policy {
	out := iamapi.Policy{
		AttachmentCount:               ptr(int32(p.usage.Attachments)),
		PermissionsBoundaryUsageCount: ptr(int32(p.usage.Boundaries)),
		IsAttachable:                  ptr(true),
	}
	if a := p.aws; a != nil {
		out.PolicyName, out.PolicyId, out.Arn, out.Path = ptr(a.Name), ptr(a.ID), ptr(a.ARN), ptr(a.Path)
		out.DefaultVersionId, out.CreateDate, out.UpdateDate = ptr(a.VersionID), ptr(a.Created), ptr(a.Updated)
		return out
	}
	c := p.cust
	out.PolicyName, out.PolicyId, out.Arn, out.Path = ptr(c.Name), ptr(c.ID), ptr(c.ARN), ptr(c.Path)
	out.DefaultVersionId, out.CreateDate, out.UpdateDate = ptr(c.Default), ptr(c.Created), ptr(c.Updated)
	if full {
		out.Description = c.Description
		out.Tags = tagsOut(c.Tags)
	}
	return out
}

// arn returns the policy's ARN; name its name.
func (p policyOf) arn() string {
	if p.aws != nil {
		return p.aws.ARN
	}
	return p.cust.ARN
}

// CreatePolicy implements iamapi.API: a customer managed policy with
// version v1 as its default.
func (s *Service) CreatePolicy(ctx context.Context, in *iamapi.CreatePolicyInput) (*iamapi.CreatePolicyOutput, error) {
	var v violations
	v.requiredName("policyName", in.PolicyName, maxPolicyName)
	v.policyPath("path", in.Path)
	v.document("policyDocument", in.PolicyDocument)
	v.str("description", in.Description, 0, maxDescription, nil, "")
	v.tags(in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	tags, err := newTags(in.Tags)
	if err != nil {
		return nil, err
	}
	doc, err := s.policyDocument(*in.PolicyDocument)
	if err != nil {
		return nil, err
	}
	now := s.now()
	p := &policyRec{
		Name: *in.PolicyName, Path: deref(in.Path), ID: newID(prefixPolicy),
		Description: in.Description, Created: now, Updated: now,
		Default: "v1", NextVersion: 2,
		Versions: []versionRec{{ID: "v1", Document: doc, Created: now}},
		Tags:     tags,
	}
	if p.Path == "" {
		p.Path = "/"
	}
	p.ARN = entityARN(s.cfg.AccountID, "policy", p.Path, p.Name)
	err = s.update(ctx, func(tx *txn) error {
		existing, err := getRec[policyRec](tx, policyKey(p.Name))
		if err != nil {
			return err
		}
		if existing != nil {
			return alreadyExists("A policy called %s already exists. Duplicate names are not allowed.", p.Name)
		}
		tx.put(policyKey(p.Name), p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := policyOf{cust: p}.toPolicy(true)
	return &iamapi.CreatePolicyOutput{Policy: &out}, nil
}

// GetPolicy implements iamapi.API, for customer and AWS managed policies.
func (s *Service) GetPolicy(ctx context.Context, in *iamapi.GetPolicyInput) (*iamapi.GetPolicyOutput, error) {
	var v violations
	v.requiredARN("policyArn", in.PolicyArn)
	if err := v.err(); err != nil {
		return nil, err
	}
	var p policyOf
	err := s.view(ctx, func(tx *txn) (err error) { p, err = s.loadPolicy(tx, *in.PolicyArn); return err })
	if err != nil {
		return nil, err
	}
	out := p.toPolicy(true)
	return &iamapi.GetPolicyOutput{Policy: &out}, nil
}

// allPolicies returns every managed policy visible to the account: the
// customer managed ones and the AWS catalog, with usage counts.
func (s *Service) allPolicies(ctx context.Context) ([]policyOf, error) {
	cust, err := all(ctx, s.t.policies)
	if err != nil {
		return nil, err
	}
	usage, err := s.awsUsage(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]policyOf, 0, len(cust)+len(s.catalog.sorted))
	for _, c := range cust {
		out = append(out, policyOf{cust: c, usage: c.usageRec})
	}
	for _, a := range s.catalog.sorted {
		out = append(out, policyOf{aws: a, usage: usage[nameKey(a.Name)]})
	}
	return out, nil
}

// awsUsage returns the account's usage of AWS managed policies by
// lower-case policy name.
func (s *Service) awsUsage(ctx context.Context) (map[string]usageRec, error) {
	recs, _, err := s.t.awsUsage.List(ctx, store.Page{})
	if err != nil {
		return nil, err
	}
	out := make(map[string]usageRec, len(recs))
	for _, r := range recs {
		out[r.ID] = *r.Value
	}
	return out, nil
}

// ListPolicies implements iamapi.API with Scope, OnlyAttached,
// PolicyUsageFilter and PathPrefix.
func (s *Service) ListPolicies(ctx context.Context, in *iamapi.ListPoliciesInput) (*iamapi.ListPoliciesOutput, error) {
	var v violations
	v.enum("scope", in.Scope, iamapi.PolicyScopeTypeValues())
	v.policyPath("pathPrefix", in.PathPrefix)
	v.enum("policyUsageFilter", in.PolicyUsageFilter, iamapi.PolicyUsageTypeValues())
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	all, err := s.allPolicies(ctx)
	if err != nil {
		return nil, err
	}
	scope := deref(in.Scope)
	all = slices.DeleteFunc(all, func(p policyOf) bool {
		switch {
		case scope == iamapi.PolicyScopeTypeAws && p.aws == nil, scope == iamapi.PolicyScopeTypeLocal && p.aws != nil:
			return true
		case !hasPathPrefix(p.path(), in.PathPrefix):
			return true
		case deref(in.OnlyAttached):
			return !p.usage.matches(deref(in.PolicyUsageFilter))
		}
		return false
	})
	pg, err := paginate(all, func(p policyOf) string { return nameKey(p.name()) + "\x00" + p.arn() }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListPoliciesOutput{Policies: []iamapi.Policy{}, IsTruncated: ptr(pg.Truncated), Marker: pg.Marker}
	for _, p := range pg.Items {
		out.Policies = append(out.Policies, p.toPolicy(false))
	}
	return out, nil
}

// matches reports whether a policy with these counts is in use the way
// filter (a PolicyUsageType, or "" for either) asks.
func (u usageRec) matches(filter string) bool {
	switch filter {
	case iamapi.PolicyUsageTypePermissionspolicy:
		return u.Attachments > 0
	case iamapi.PolicyUsageTypePermissionsboundary:
		return u.Boundaries > 0
	}
	return u.Attachments > 0 || u.Boundaries > 0
}

func (p policyOf) name() string {
	if p.aws != nil {
		return p.aws.Name
	}
	return p.cust.Name
}

func (p policyOf) path() string {
	if p.aws != nil {
		return p.aws.Path
	}
	return p.cust.Path
}

// modifyPolicy applies fn to the customer managed policy policyARN names,
// in a transaction; fn writes what it changes. op names the operation for
// the AccessDenied an AWS managed policy gets.
func (s *Service) modifyPolicy(ctx context.Context, op, policyARN string, fn func(tx *txn, p *policyRec) error) error {
	return s.update(ctx, func(tx *txn) error {
		p, err := s.loadPolicy(tx, policyARN)
		if err != nil {
			return err
		}
		if p.aws != nil {
			return notEditable(ctx, op, policyARN)
		}
		return fn(tx, p.cust)
	})
}

// DeletePolicy implements iamapi.API. IAM refuses while the policy is
// attached or used as a permissions boundary, or has versions other than
// the default.
func (s *Service) DeletePolicy(ctx context.Context, in *iamapi.DeletePolicyInput) (*iamapi.DeletePolicyOutput, error) {
	var v violations
	v.requiredARN("policyArn", in.PolicyArn)
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.modifyPolicy(ctx, "DeletePolicy", *in.PolicyArn, func(tx *txn, p *policyRec) error {
		switch {
		case p.Attachments > 0 || p.Boundaries > 0:
			return deleteConflict("Cannot delete a policy attached to entities.")
		case len(p.Versions) > 1:
			return deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		tx.del(policyKey(p.Name))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeletePolicyOutput{}, nil
}

// TagPolicy implements iamapi.API.
func (s *Service) TagPolicy(ctx context.Context, in *iamapi.TagPolicyInput) (*iamapi.TagPolicyOutput, error) {
	var v violations
	v.requiredARN("policyArn", in.PolicyArn)
	if err := v.err(); err != nil {
		return nil, err
	}
	fn, err := tagger(in.Tags, "TagsPerPolicy")
	if err != nil {
		return nil, err
	}
	err = s.modifyPolicy(ctx, "TagPolicy", *in.PolicyArn, func(tx *txn, p *policyRec) error {
		if err := fn(&p.Tags); err != nil {
			return err
		}
		tx.put(policyKey(p.Name), p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagPolicyOutput{}, nil
}

// UntagPolicy implements iamapi.API.
func (s *Service) UntagPolicy(ctx context.Context, in *iamapi.UntagPolicyInput) (*iamapi.UntagPolicyOutput, error) {
	var v violations
	v.requiredARN("policyArn", in.PolicyArn)
	if err := v.err(); err != nil {
		return nil, err
	}
	fn, err := untagger(in.TagKeys)
	if err != nil {
		return nil, err
	}
	err = s.modifyPolicy(ctx, "UntagPolicy", *in.PolicyArn, func(tx *txn, p *policyRec) error {
		if err := fn(&p.Tags); err != nil {
			return err
		}
		tx.put(policyKey(p.Name), p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagPolicyOutput{}, nil
}

// ListPolicyTags implements iamapi.API; AWS managed policies have none.
func (s *Service) ListPolicyTags(ctx context.Context, in *iamapi.ListPolicyTagsInput) (*iamapi.ListPolicyTagsOutput, error) {
	var v violations
	v.requiredARN("policyArn", in.PolicyArn)
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	var p policyOf
	err := s.view(ctx, func(tx *txn) (err error) { p, err = s.loadPolicy(tx, *in.PolicyArn); return err })
	if err != nil {
		return nil, err
	}
	var list []tagRec
	if p.cust != nil {
		list = p.cust.Tags
	}
	pg, tags, err := tagPage(list, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListPolicyTagsOutput{Tags: tags, IsTruncated: ptr(pg.Truncated), Marker: pg.Marker}, nil
}

// versionNotFound is IAM's NoSuchEntity for a missing policy version.
func versionNotFound(policyARN, versionID string) *awserr.Error {
	return noSuchEntity("Policy %s version %s does not exist or is not attachable.", policyARN, versionID)
}

// versionKey orders versions newest first for ListPolicyVersions.
func versionKey(id string) string {
	var n int
	fmt.Sscanf(id, "v%d", &n)
	return fmt.Sprintf("%012d", 1<<39-n)
}
