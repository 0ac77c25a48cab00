// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package authz

import (
	"context"
	"testing"

	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
)

func doc(key, text string, kind policy.Kind) Document {
	return Document{Key: key, Text: text, Kind: kind}
}

func TestEngine_Simulate(t *testing.T) {
	e := NewEngine(EngineDeps{})
	alice := &principal.Principal{Kind: principal.User, AccountID: "111111111111", ARN: "arn:aws:iam::111111111111:user/alice"}
	allowGet := doc("get", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, policy.KindIdentity)
	listOnly := doc("list", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:List*","Resource":"*"}]}`, policy.KindBoundary)
	bucket := doc("bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, policy.KindResource)
	tests := []struct {
		name              string
		sim               Simulation
		decision          policy.Decision
		boundary          *bool
		cross             bool
		identity, resPart policy.Decision
	}{
		{name: "identity allows", sim: Simulation{Caller: alice, Identity: []Document{allowGet}, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			decision: policy.Allowed},
		{name: "boundary does not", sim: Simulation{Caller: alice, Identity: []Document{allowGet}, Boundary: &listOnly, Action: "s3:GetObject", Resource: "*"},
			decision: policy.ImplicitDeny, boundary: new(bool)},
		{name: "cross account, both sides allow", sim: Simulation{Caller: alice, Identity: []Document{allowGet}, ResourcePolicy: &bucket, ResourceOwner: "222222222222", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			decision: policy.Allowed, cross: true, identity: policy.Allowed, resPart: policy.Allowed},
		{name: "cross account, no identity allow", sim: Simulation{Caller: alice, ResourcePolicy: &bucket, ResourceOwner: "222222222222", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			decision: policy.ImplicitDeny, cross: true, identity: policy.ImplicitDeny, resPart: policy.Allowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := e.Simulate(context.Background(), &tc.sim)
			if err != nil {
				t.Fatal(err)
			}
			if r.Decision != tc.decision || r.CrossAccount != tc.cross || r.IdentityDecision != tc.identity || r.ResourceDecision != tc.resPart {
				t.Errorf("got %v cross=%v identity=%v resource=%v; want %v cross=%v identity=%v resource=%v",
					r.Decision, r.CrossAccount, r.IdentityDecision, r.ResourceDecision, tc.decision, tc.cross, tc.identity, tc.resPart)
			}
			if (r.AllowedByBoundary == nil) != (tc.boundary == nil) || r.AllowedByBoundary != nil && *r.AllowedByBoundary != *tc.boundary {
				t.Errorf("AllowedByBoundary = %v, want %v", r.AllowedByBoundary, tc.boundary)
			}
		})
	}
}

type recorded struct{ actions []string }

func (r *recorded) RecordAccess(_ context.Context, _ *principal.Principal, action string) {
	r.actions = append(r.actions, action)
}

func TestRecording_Authorize(t *testing.T) {
	rec := &recorded{}
	a := Recording(RootOnly{}, rec)
	root := &principal.Principal{Kind: principal.Root}
	user := &principal.Principal{Kind: principal.User, ARN: "arn:aws:iam::111111111111:user/u"}
	for _, req := range []Request{{Principal: root, Action: "iam:GetRole"}, {Principal: user, Action: "iam:ListRoles"}, {Action: "s3:GetObject"}} {
		if _, err := a.Authorize(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if got := rec.actions; len(got) != 2 || got[0] != "iam:GetRole" || got[1] != "iam:ListRoles" {
		t.Errorf("recorded %v, want the allowed and the denied attempt, not the anonymous one", got)
	}
}
