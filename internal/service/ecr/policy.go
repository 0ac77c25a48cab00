// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/iam/actionmap"
	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
)

// maxPolicySize is the largest repository policy ECR accepts.
const maxPolicySize = 10240

const msgInvalidPolicy = "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'"

// SetRepositoryPolicy validates the document as a resource-based policy
// of the repository and stores it; the authorizer applies it to the API
// and to the registry from the next request on. force is accepted and
// has no effect: the account root is never locked out of the policy
// operations (see RepositoryPolicy).
func (s *Service) SetRepositoryPolicy(ctx context.Context, in *ecrapi.SetRepositoryPolicyInput) (*ecrapi.SetRepositoryPolicyOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	doc := str(in.PolicyText)
	if _, err := s.compilable(r.ID, doc); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(doc))
	hash := hex.EncodeToString(sum[:16])
	if _, err := s.updateRepo(ctx, r.ID, func(rec *repoRec) error { rec.Policy, rec.PolicyHash = doc, hash; return nil }); err != nil {
		return nil, err
	}
	return &ecrapi.SetRepositoryPolicyOutput{RegistryId: ptr(s.cfg.AccountID), RepositoryName: ptr(r.ID), PolicyText: ptr(doc)}, nil
}

// GetRepositoryPolicy returns the policy as it was set.
func (s *Service) GetRepositoryPolicy(ctx context.Context, in *ecrapi.GetRepositoryPolicyInput) (*ecrapi.GetRepositoryPolicyOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if r.Value.Policy == "" {
		return nil, s.errNoPolicy(r.ID)
	}
	return &ecrapi.GetRepositoryPolicyOutput{RegistryId: ptr(s.cfg.AccountID), RepositoryName: ptr(r.ID), PolicyText: ptr(r.Value.Policy)}, nil
}

// DeleteRepositoryPolicy removes the policy and returns it;
// RepositoryPolicyNotFoundException when there is none.
func (s *Service) DeleteRepositoryPolicy(ctx context.Context, in *ecrapi.DeleteRepositoryPolicyInput) (*ecrapi.DeleteRepositoryPolicyOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var old string
	_, err = s.updateRepo(ctx, r.ID, func(rec *repoRec) error {
		if rec.Policy == "" {
			return s.errNoPolicy(r.ID)
		}
		old = rec.Policy
		rec.Policy, rec.PolicyHash = "", ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecrapi.DeleteRepositoryPolicyOutput{RegistryId: ptr(s.cfg.AccountID), RepositoryName: ptr(r.ID), PolicyText: ptr(old)}, nil
}

func (s *Service) errNoPolicy(name string) error {
	return ecrapi.ErrRepositoryPolicyNotFound("Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", name, s.cfg.AccountID)
}

// RepositoryPolicy is the repository policy governing action on resource
// (a repository ARN of this registry), ready for the policy engine: its
// text, a key that changes with it, and the repository's account. A
// repository policy usually names no Resource (the repository is
// implied); the text returned names the repository's ARN in every
// statement that lacks Resource and NotResource. ok is false when the
// repository has no policy. As for S3 bucket policies, the account root
// is never locked out of the repository policy operations by the policy.
func (s *Service) RepositoryPolicy(ctx context.Context, action, resource string) (doc, key, account string, ok bool) {
	name, ok := s.repoOfARN(resource)
	if !ok {
		return "", "", "", false
	}
	r, err := s.t.repos.Get(ctx, name)
	if err != nil || r.Value.Policy == "" {
		return "", "", "", false
	}
	switch strings.ToLower(action) {
	case "ecr:getrepositorypolicy", "ecr:setrepositorypolicy", "ecr:deleterepositorypolicy":
		if p := principal.FromContext(ctx); p != nil && p.Kind == principal.Root && p.AccountID == s.cfg.AccountID {
			return "", "", "", false
		}
	}
	text, err := withResource(r.Value.Policy, s.repoARN(s.cfg.AccountID, name))
	if err != nil {
		return "", "", "", false
	}
	return text, "ecr-repository-policy:" + name + ":" + r.Value.PolicyHash, s.cfg.AccountID, true
}

// compilable validates doc as a repository policy of repository name and
// returns the text the engine evaluates.
func (s *Service) compilable(name, doc string) (string, error) {
	if len(doc) > maxPolicySize {
		return "", ecrapi.ErrInvalidParameter("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Member must have length less than or equal to %d'", maxPolicySize)
	}
	text, err := withResource(doc, s.repoARN(s.cfg.AccountID, name))
	if err != nil {
		return "", ecrapi.ErrInvalidParameter(msgInvalidPolicy)
	}
	p, err := policy.Parse(text, policy.KindResource)
	var ve *policy.ValidationError
	if errors.As(err, &ve) {
		return "", ecrapi.ErrInvalidParameter("%s: %s", msgInvalidPolicy, ve.Message)
	}
	if err != nil {
		return "", err
	}
	for _, st := range p.Statements {
		if st.NotAction {
			continue
		}
		for _, a := range st.Actions {
			if !validPolicyAction(a) {
				return "", ecrapi.ErrInvalidParameter("%s: invalid action %s", msgInvalidPolicy, a)
			}
		}
	}
	return text, nil
}

// validPolicyAction reports whether a repository policy may name action:
// "*", or an ECR action (pattern).
func validPolicyAction(a string) bool {
	if a == "*" {
		return true
	}
	prefix, name, _ := strings.Cut(a, ":")
	if !strings.EqualFold(prefix, "ecr") || name == "" {
		return false
	}
	if strings.ContainsAny(name, "*?") {
		return true
	}
	_, ok := actionmap.Lookup("ecr", name)
	return ok
}

// withResource returns doc with "Resource": resource added to every
// statement that has neither Resource nor NotResource.
func withResource(doc, resource string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return "", err
	}
	if dec.More() {
		return "", errors.New("ecr: trailing data after the policy")
	}
	add := func(v any) {
		st, ok := v.(map[string]any)
		if !ok {
			return
		}
		_, r := st["Resource"]
		_, nr := st["NotResource"]
		if !r && !nr {
			st["Resource"] = resource
		}
	}
	switch sts := root["Statement"].(type) {
	case []any:
		for _, st := range sts {
			add(st)
		}
	case map[string]any:
		add(sts)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}
