// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/blob"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
	s3svc "github.com/berthdev/berth/internal/service/s3"
)

// s3Wiring is the S3 service with the pieces the control plane plugs in
// elsewhere: its gateway endpoint and its bucket policies.
type s3Wiring struct {
	svc *s3svc.Service
}

// buildS3 opens the blob store under DATA_DIR/blobs and builds the S3
// service. It runs before the policy engine exists: the service's
// authorizer looks the engine up when asked.
func (s *Server) buildS3() (*s3Wiring, error) {
	blobs, err := blob.OpenFS(blob.FSConfig{Dir: filepath.Join(s.cfg.DataDir, "blobs"), Logger: s.log.With("component", "blob")})
	if err != nil {
		return nil, err
	}
	// The context bounds only the initial fill of the S3 table caches.
	svc, err := s3svc.New(context.Background(),
		s3svc.Config{AccountID: s.cfg.AccountID, Region: s.cfg.Region, Clock: s.deps.Clock},
		s3svc.Deps{Store: s.store, Blobs: blobs, Authorizer: s3Authorizer{s}, Logger: s.log.With("service", "s3")})
	if err != nil {
		return nil, err
	}
	return &s3Wiring{svc: svc}, nil
}

// endpoint serves the S3 API; the service names its own IAM targets.
func (w *s3Wiring) endpoint() gateway.Endpoint {
	ep := endpoint(s3api.Definition, w.svc)
	ep.Describer = w.svc
	return ep
}

// policies makes bucket policies resource-based policies of the S3 ARNs.
func (w *s3Wiring) policies() authz.ResourcePolicySource { return bucketPolicies{w.svc} }

// bucketPolicies serves the authorizer the bucket policy of an S3 bucket
// or object ARN, with the bucket owner's account as the resource account
// (S3 ARNs carry no account).
type bucketPolicies struct{ svc *s3svc.Service }

var _ authz.ResourcePolicySource = bucketPolicies{}

func (b bucketPolicies) ResourcePolicy(ctx context.Context, action, resource string) (authz.Document, string, bool, error) {
	if !strings.HasPrefix(resource, "arn:aws:s3:::") {
		return authz.Document{}, "", false, nil
	}
	doc, hash, account, ok := b.svc.BucketPolicy(ctx, action, resource)
	if !ok {
		return authz.Document{}, "", false, nil
	}
	return authz.Document{Key: "s3-bucket-policy:" + hash, Text: doc, Kind: policy.KindResource}, account, true, nil
}

// s3Authorizer lets the S3 service ask the policy engine about the caller
// of a request (s3:GetObject on a copy source).
type s3Authorizer struct{ s *Server }

var _ s3svc.Authorizer = s3Authorizer{}

func (a s3Authorizer) Authorize(ctx context.Context, action, resource string, conditions map[string][]string) (bool, string, error) {
	d, err := a.s.authz.Authorize(ctx, authz.Request{
		Principal: principal.FromContext(ctx),
		Action:    action,
		Resources: []string{resource},
		Context:   conditions,
	})
	return d.Allowed, d.Message, err
}
