// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package authz

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
)

// fakePolicies is a PolicySource whose documents the test changes, with a
// revision that advances on every change, as the store's does.
type fakePolicies struct {
	rev   atomic.Int64
	calls atomic.Int64
	docs  map[string][]Document // by principal ARN
}

func (f *fakePolicies) PoliciesFor(_ context.Context, p *principal.Principal) (*PolicySet, error) {
	f.calls.Add(1)
	return &PolicySet{Identity: f.docs[p.ARN]}, nil
}

func (f *fakePolicies) set(arn string, docs ...Document) {
	f.docs[arn] = docs
	f.rev.Add(1)
}

func TestEngine_PolicySetCache(t *testing.T) {
	allowGet := doc("get#v1", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`, policy.KindIdentity)
	allowList := doc("list#v1", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`, policy.KindIdentity)
	alice := &principal.Principal{Kind: principal.User, AccountID: "111111111111", Name: "alice", UserID: "AIDAALICE", ARN: "arn:aws:iam::111111111111:user/alice"}
	bob := &principal.Principal{Kind: principal.User, AccountID: "111111111111", Name: "bob", UserID: "AIDABOB", ARN: "arn:aws:iam::111111111111:user/bob"}
	src := &fakePolicies{docs: map[string][]Document{}}
	src.set(alice.ARN, allowGet)
	e := NewEngine(EngineDeps{Policies: src, Revision: src.rev.Load})
	ctx := context.Background()
	allowed := func(p *principal.Principal, action string) bool {
		t.Helper()
		d, err := e.Authorize(ctx, Request{Principal: p, Action: action, Resources: []string{"*"}})
		if err != nil {
			t.Fatal(err)
		}
		return d.Allowed
	}

	for range 3 {
		if !allowed(alice, "iam:GetRole") {
			t.Fatal("alice denied iam:GetRole her policy allows")
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Errorf("PoliciesFor called %d times for 3 requests at one revision, want 1", n)
	}
	if allowed(bob, "iam:GetRole") {
		t.Error("bob allowed with no policies: alice's cached set leaked to him")
	}

	// A change takes effect on the very next request.
	src.set(alice.ARN, allowList)
	if allowed(alice, "iam:GetRole") {
		t.Error("alice still allowed iam:GetRole after her policy was replaced")
	}
	if !allowed(alice, "iam:ListRoles") {
		t.Error("alice denied iam:ListRoles her new policy allows")
	}
	src.set(alice.ARN)
	if allowed(alice, "iam:ListRoles") {
		t.Error("alice still allowed after her policies were removed")
	}

	// A user re-created under the same name is another principal.
	alice2 := *alice
	alice2.UserID = "AIDAALICE2"
	src.set(alice.ARN, allowGet)
	if !allowed(alice, "iam:GetRole") || !allowed(&alice2, "iam:GetRole") {
		t.Fatal("denied after the policy was restored")
	}
	calls := src.calls.Load()
	allowed(alice, "iam:GetRole")
	allowed(&alice2, "iam:GetRole")
	if n := src.calls.Load() - calls; n != 0 {
		t.Errorf("PoliciesFor called %d times for cached principals, want 0", n)
	}
}

func TestEngine_NoRevisionNoCache(t *testing.T) {
	src := &fakePolicies{docs: map[string][]Document{}}
	alice := &principal.Principal{Kind: principal.User, Name: "alice", ARN: "arn:aws:iam::111111111111:user/alice"}
	src.set(alice.ARN, doc("get#v1", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`, policy.KindIdentity))
	e := NewEngine(EngineDeps{Policies: src})
	for range 2 {
		if d, err := e.Authorize(context.Background(), Request{Principal: alice, Action: "iam:GetRole", Resources: []string{"*"}}); err != nil || !d.Allowed {
			t.Fatalf("Authorize = %+v, %v; want allowed", d, err)
		}
	}
	if n := src.calls.Load(); n != 2 {
		t.Errorf("PoliciesFor called %d times without a Revision, want 2 (no caching)", n)
	}
}

func TestTimeCache(t *testing.T) {
	var tc timeCache
	now := func(s string) *timeStrings {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tc.format(ts)
	}
	for _, tt := range []struct{ in, current, epoch string }{
		{"2026-01-02T03:04:05.1Z", "2026-01-02T03:04:05Z", "1767323045"},
		{"2026-01-02T03:04:05.9Z", "2026-01-02T03:04:05Z", "1767323045"},
		{"2026-01-02T05:04:06.0+02:00", "2026-01-02T03:04:06Z", "1767323046"},
	} {
		if got := now(tt.in); got.current != tt.current || got.epoch != tt.epoch {
			t.Errorf("format(%s) = %s, %s; want %s, %s", tt.in, got.current, got.epoch, tt.current, tt.epoch)
		}
	}
}
