// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
)

// Lifecycle policies are validated and stored; berth does not expire
// images by them yet (GetLifecyclePolicy reports no lastEvaluatedAt).

// maxLifecycleSize is the largest lifecycle policy ECR accepts.
const maxLifecycleSize = 30720

// PutLifecyclePolicy validates and stores a lifecycle policy.
func (s *Service) PutLifecyclePolicy(ctx context.Context, in *ecrapi.PutLifecyclePolicyInput) (*ecrapi.PutLifecyclePolicyOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	text := str(in.LifecyclePolicyText)
	if err := validateLifecycle(text); err != nil {
		return nil, err
	}
	if _, err := s.updateRepo(ctx, r.ID, func(rec *repoRec) error { rec.Lifecycle = text; return nil }); err != nil {
		return nil, err
	}
	return &ecrapi.PutLifecyclePolicyOutput{RegistryId: ptr(s.cfg.AccountID), RepositoryName: ptr(r.ID), LifecyclePolicyText: ptr(text)}, nil
}

// GetLifecyclePolicy returns the stored lifecycle policy.
func (s *Service) GetLifecyclePolicy(ctx context.Context, in *ecrapi.GetLifecyclePolicyInput) (*ecrapi.GetLifecyclePolicyOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if r.Value.Lifecycle == "" {
		return nil, s.errNoLifecycle(r.ID)
	}
	return &ecrapi.GetLifecyclePolicyOutput{RegistryId: ptr(s.cfg.AccountID), RepositoryName: ptr(r.ID), LifecyclePolicyText: ptr(r.Value.Lifecycle)}, nil
}

// DeleteLifecyclePolicy removes the lifecycle policy and returns it.
func (s *Service) DeleteLifecyclePolicy(ctx context.Context, in *ecrapi.DeleteLifecyclePolicyInput) (*ecrapi.DeleteLifecyclePolicyOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var old string
	_, err = s.updateRepo(ctx, r.ID, func(rec *repoRec) error {
		if rec.Lifecycle == "" {
			return s.errNoLifecycle(r.ID)
		}
		old, rec.Lifecycle = rec.Lifecycle, ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecrapi.DeleteLifecyclePolicyOutput{RegistryId: ptr(s.cfg.AccountID), RepositoryName: ptr(r.ID), LifecyclePolicyText: ptr(old)}, nil
}

func (s *Service) errNoLifecycle(name string) error {
	return ecrapi.ErrLifecyclePolicyNotFound("Lifecycle policy does not exist for the repository with name '%s' in the registry with id '%s'", name, s.cfg.AccountID)
}

// lifecycleDoc is the lifecycle policy format.
type lifecycleDoc struct {
	Rules []struct {
		RulePriority *int    `json:"rulePriority"`
		Description  *string `json:"description"`
		Selection    *struct {
			TagStatus      string   `json:"tagStatus"`
			TagPrefixList  []string `json:"tagPrefixList"`
			TagPatternList []string `json:"tagPatternList"`
			CountType      string   `json:"countType"`
			CountUnit      *string  `json:"countUnit"`
			CountNumber    *int     `json:"countNumber"`
		} `json:"selection"`
		Action *struct {
			Type string `json:"type"`
		} `json:"action"`
	} `json:"rules"`
}

// validateLifecycle checks a lifecycle policy as ECR documents it: JSON
// with at least one rule, each with a unique positive rulePriority, a
// selection (tagStatus tagged, untagged or any; tagged rules name
// tagPrefixList or tagPatternList; countType imageCountMoreThan or
// sinceImagePushed, the latter with countUnit days; countNumber ≥ 1) and
// the action expire.
func validateLifecycle(text string) error {
	bad := func(format string, args ...any) error {
		return ecrapi.ErrInvalidParameter("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: %s'", fmt.Sprintf(format, args...))
	}
	if len(text) < 100 || len(text) > maxLifecycleSize {
		return bad("the policy text must be between 100 and %d characters", maxLifecycleSize)
	}
	var doc lifecycleDoc
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return bad("invalid JSON: %v", err)
	}
	if len(doc.Rules) == 0 {
		return bad("object has missing required properties ([\"rules\"])")
	}
	seen := map[int]bool{}
	for i, r := range doc.Rules {
		switch {
		case r.RulePriority == nil || *r.RulePriority < 1:
			return bad("rule %d: rulePriority must be an integer of at least 1", i+1)
		case seen[*r.RulePriority]:
			return bad("rulePriority %d is used by more than one rule", *r.RulePriority)
		case r.Selection == nil:
			return bad("rule %d: object has missing required properties ([\"selection\"])", i+1)
		case r.Action == nil || r.Action.Type != "expire":
			return bad("rule %d: action.type must be expire", i+1)
		}
		seen[*r.RulePriority] = true
		sel := r.Selection
		if !slices.Contains([]string{"tagged", "untagged", "any"}, sel.TagStatus) {
			return bad("rule %d: selection.tagStatus must be one of tagged, untagged, any", i+1)
		}
		if sel.TagStatus == "tagged" && len(sel.TagPrefixList) == 0 && len(sel.TagPatternList) == 0 {
			return bad("rule %d: a tagged selection needs tagPrefixList or tagPatternList", i+1)
		}
		switch sel.CountType {
		case "imageCountMoreThan":
			if sel.CountUnit != nil {
				return bad("rule %d: countUnit is not allowed with imageCountMoreThan", i+1)
			}
		case "sinceImagePushed":
			if sel.CountUnit == nil || *sel.CountUnit != "days" {
				return bad("rule %d: sinceImagePushed needs countUnit days", i+1)
			}
		default:
			return bad("rule %d: selection.countType must be imageCountMoreThan or sinceImagePushed", i+1)
		}
		if sel.CountNumber == nil || *sel.CountNumber < 1 {
			return bad("rule %d: selection.countNumber must be an integer of at least 1", i+1)
		}
	}
	return nil
}
