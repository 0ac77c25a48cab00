// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package authz_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
	ecssvc "github.com/berthdev/berth/internal/service/ecs"
	iamsvc "github.com/berthdev/berth/internal/service/iam"
	"github.com/berthdev/berth/internal/store/storetest"
)

// countingPolicies serves the engine IAM's policies, as the control plane
// does, counting the calls that reach IAM.
type countingPolicies struct {
	iam   *iamsvc.Service
	calls atomic.Int64
}

func (c *countingPolicies) PoliciesFor(ctx context.Context, p *principal.Principal) (*authz.PolicySet, error) {
	c.calls.Add(1)
	set, err := c.iam.PoliciesFor(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &authz.PolicySet{}
	for _, d := range set.Identity {
		out.Identity = append(out.Identity, authz.Document{Key: d.Key, Text: d.Document, Kind: policy.KindIdentity})
	}
	if set.Boundary != nil {
		out.Boundary = &authz.Document{Key: set.Boundary.Key, Text: set.Boundary.Document, Kind: policy.KindBoundary}
	}
	return out, nil
}

// policyCheck is the policy engine's parser as IAM's write-time validator.
type policyCheck struct{}

func (policyCheck) Validate(doc string, kind iamsvc.PolicyKind) error {
	k := policy.KindManaged
	switch kind {
	case iamsvc.Trust:
		k = policy.KindTrust
	case iamsvc.Boundary:
		k = policy.KindBoundary
	}
	_, err := policy.Parse(doc, k)
	var ve *policy.ValidationError
	if errors.As(err, &ve) {
		return errors.New(ve.Message)
	}
	return err
}

// TestPolicyCacheSurvivesECSWrites runs IAM and ECS on one store, with the
// engine keyed on IAM's PoliciesRevision as the control plane wires it:
// ECS writes (which advance the store revision) leave a principal's cached
// policies in place, while an IAM change to them is seen on the next
// request.
func TestPolicyCacheSurvivesECSWrites(t *testing.T) {
	st := storetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const account = "123456789012"
	iam, err := iamsvc.New(iamsvc.Config{AccountID: account}, iamsvc.Deps{Store: st, Validator: policyCheck{}})
	if err != nil {
		t.Fatal(err)
	}
	ecs, err := ecssvc.New(ecssvc.Config{Region: "us-east-1", AccountID: account}, ecssvc.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	src := &countingPolicies{iam: iam}
	engine := authz.NewEngine(authz.EngineDeps{Policies: src, Revision: iam.PoliciesRevision})

	str := func(s string) *string { return &s }
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const allowList = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:ListClusters","Resource":"*"}]}`
	const denyList = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ecs:ListClusters","Resource":"*"}]}`
	must(iam.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("u")}))
	must(iam.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: str("u"), PolicyName: str("p"), PolicyDocument: str(allowList)}))
	key, err := iam.CreateAccessKey(ctx, &iamapi.CreateAccessKeyInput{UserName: str("u")})
	if err != nil {
		t.Fatal(err)
	}
	info, err := iam.AccessKey(ctx, *key.AccessKey.AccessKeyId)
	if err != nil {
		t.Fatal(err)
	}
	allowed := func() bool {
		t.Helper()
		d, err := engine.Authorize(ctx, authz.Request{Principal: info.Principal, Action: "ecs:ListClusters", Resources: []string{"*"}})
		if err != nil {
			t.Fatal(err)
		}
		return d.Allowed
	}

	if !allowed() || !allowed() {
		t.Fatal("ecs:ListClusters denied; the user's policy allows it")
	}
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("PoliciesFor called %d times for 2 requests with no change, want 1", n)
	}

	storeRev := st.Revision()
	for _, name := range []string{"c1", "c2", "c3"} {
		must(ecs.CreateCluster(ctx, &ecsapi.CreateClusterInput{ClusterName: str(name)}))
		must(ecs.RegisterTaskDefinition(ctx, &ecsapi.RegisterTaskDefinitionInput{
			Family: str("fam-" + name),
			ContainerDefinitions: []ecsapi.ContainerDefinition{{
				Name: str("app"), Image: str("app:latest"), Memory: new(int32(64)),
			}},
		}))
		if !allowed() {
			t.Fatal("ecs:ListClusters denied after an ECS write")
		}
	}
	if st.Revision() <= storeRev {
		t.Fatalf("the ECS writes did not advance the store (still at %d)", storeRev)
	}
	if n := src.calls.Load(); n != 1 {
		t.Errorf("PoliciesFor called %d times across ECS writes, want 1 (the cache should survive them)", n)
	}

	// An IAM change to the user's policies decides the very next request.
	must(iam.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: str("u"), PolicyName: str("p"), PolicyDocument: str(denyList)}))
	if allowed() {
		t.Error("ecs:ListClusters allowed right after the policy was changed to deny it")
	}
	if n := src.calls.Load(); n != 2 {
		t.Errorf("PoliciesFor called %d times after an IAM change, want 2", n)
	}
	must(ecs.CreateCluster(ctx, &ecsapi.CreateClusterInput{ClusterName: str("c4")}))
	if allowed() {
		t.Error("ecs:ListClusters allowed after an ECS write; the deny still holds")
	}
	if n := src.calls.Load(); n != 2 {
		t.Errorf("PoliciesFor called %d times, want 2: an ECS write after the IAM change recompiled", n)
	}
}
