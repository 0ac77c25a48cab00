// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"path"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/iam/actionmap"
	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
)

const bucketARNPrefix = "arn:aws:s3:::"

// S3's MalformedPolicy messages, as S3 returns them to PutBucketPolicy.
const (
	msgPolicyJSON     = "Policies must be valid JSON and the first byte must be '{'"
	msgInvalidRes     = "Policy has invalid resource"
	msgInvalidAction  = "Policy has invalid action"
	msgActionNoTarget = "Action does not apply to any resource(s) in statement"
)

// PutBucketPolicy validates the document as a resource-based policy of
// this bucket and stores it; the authorizer applies it from the next
// request on.
func (s *Service) PutBucketPolicy(ctx context.Context, in *s3api.PutBucketPolicyInput) (*s3api.PutBucketPolicyOutput, error) {
	bucket, doc := str(in.Bucket), str(in.Policy)
	if _, err := s.bucket(ctx, bucket); err != nil {
		return nil, err
	}
	if err := validatePolicy(bucket, doc); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(doc))
	hash := hex.EncodeToString(sum[:16])
	err := s.updateBucket(ctx, bucket, func(b *bucketRec) error { b.Policy, b.PolicyHash = doc, hash; return nil })
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketPolicyOutput{}, nil
}

// GetBucketPolicy returns the policy as it was put; NoSuchBucketPolicy
// when there is none.
func (s *Service) GetBucketPolicy(ctx context.Context, in *s3api.GetBucketPolicyInput) (*s3api.GetBucketPolicyOutput, error) {
	b, err := s.bucket(ctx, str(in.Bucket))
	if err != nil {
		return nil, err
	}
	if b.Value.Policy == "" {
		return nil, errNoSuchBucketPolicy(b.ID)
	}
	return &s3api.GetBucketPolicyOutput{Policy: ptr(b.Value.Policy)}, nil
}

// DeleteBucketPolicy removes the policy; deleting none succeeds.
func (s *Service) DeleteBucketPolicy(ctx context.Context, in *s3api.DeleteBucketPolicyInput) (*s3api.DeleteBucketPolicyOutput, error) {
	err := s.updateBucket(ctx, str(in.Bucket), func(b *bucketRec) error { b.Policy, b.PolicyHash = "", ""; return nil })
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketPolicyOutput{}, nil
}

// BucketPolicy is the bucket policy governing action on resource (an S3
// bucket or object ARN): its text, a hash that changes with it, and the
// bucket owner's account, which is the resource's account (S3 ARNs carry
// none). ok is false when the bucket has no policy. As on AWS, the bucket
// owner's root user is never locked out of the policy operations by the
// policy itself.
func (s *Service) BucketPolicy(ctx context.Context, action, resource string) (doc, hash, account string, ok bool) {
	name, ok := bucketOfARN(resource)
	if !ok {
		return "", "", "", false
	}
	b, err := s.t.buckets.Get(ctx, name)
	if err != nil || b.Value.Policy == "" {
		return "", "", "", false
	}
	switch strings.ToLower(action) {
	case "s3:getbucketpolicy", "s3:putbucketpolicy", "s3:deletebucketpolicy":
		if p := principal.FromContext(ctx); p != nil && p.Kind == principal.Root && p.AccountID == b.Value.Owner {
			return "", "", "", false
		}
	}
	return b.Value.Policy, b.Value.PolicyHash, b.Value.Owner, true
}

// bucketOfARN returns the bucket an S3 bucket or object ARN names.
func bucketOfARN(resource string) (string, bool) {
	rest, ok := strings.CutPrefix(resource, bucketARNPrefix)
	if !ok || rest == "" {
		return "", false
	}
	b, _, _ := strings.Cut(rest, "/")
	return b, b != ""
}

// validatePolicy checks a bucket policy as S3 does: valid JSON, a valid
// resource-based policy (every statement names a principal), S3 actions
// only, resources in this bucket, and each named action applicable to at
// least one of its statement's resources.
func validatePolicy(bucket, doc string) error {
	if t := strings.TrimSpace(doc); !strings.HasPrefix(t, "{") || !json.Valid([]byte(t)) {
		return errMalformedPolicy(msgPolicyJSON)
	}
	p, err := policy.Parse(doc, policy.KindResource)
	var ve *policy.ValidationError
	if errors.As(err, &ve) {
		return errMalformedPolicy(ve.Message)
	}
	if err != nil {
		return err
	}
	for _, st := range p.Statements {
		for _, r := range st.Resources {
			if !inBucket(bucket, r) {
				return errMalformedPolicy(msgInvalidRes)
			}
		}
		if st.NotAction {
			continue
		}
		for _, a := range st.Actions {
			if err := checkAction(a, st); err != nil {
				return err
			}
		}
	}
	return nil
}

// inBucket reports whether a policy resource lies in bucket.
func inBucket(bucket, r string) bool {
	rest, ok := strings.CutPrefix(r, bucketARNPrefix)
	if !ok {
		return false
	}
	b, _, _ := strings.Cut(rest, "/")
	match, err := path.Match(b, bucket)
	return err == nil && match
}

// checkAction refuses non-S3 actions, unknown S3 actions, and a named
// action none of whose resource types (bucket or object) the statement's
// resources are.
func checkAction(a string, st policy.Statement) error {
	if a == "*" {
		return nil
	}
	prefix, name, _ := strings.Cut(a, ":")
	if !strings.EqualFold(prefix, "s3") {
		return errMalformedPolicy(msgInvalidAction)
	}
	if strings.ContainsAny(name, "*?") {
		return nil
	}
	act, ok := actionmap.Lookup("s3", name)
	if !ok {
		return errMalformedPolicy(msgInvalidAction)
	}
	if st.NotResource {
		return nil
	}
	wantBucket, wantObject := false, false
	for _, rt := range act.ResourceTypes {
		wantBucket = wantBucket || rt.Name == "bucket"
		wantObject = wantObject || rt.Name == "object"
	}
	if !wantBucket && !wantObject {
		return nil
	}
	for _, r := range st.Resources {
		rest := strings.TrimPrefix(r, bucketARNPrefix)
		isObject := strings.Contains(rest, "/") || strings.HasSuffix(rest, "*") // a trailing * spans "/"
		isBucket := !strings.Contains(rest, "/")
		if isObject && wantObject || isBucket && wantBucket {
			return nil
		}
	}
	return errMalformedPolicy(msgActionNoTarget)
}
