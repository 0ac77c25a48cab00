// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package gateway

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/principal"
)

// fakeAuthz allows the "action resource" pairs it lists and records every
// request in order.
type fakeAuthz struct {
	mu     sync.Mutex
	allow  map[string]bool
	asked  []string
	failOn string
}

func (f *fakeAuthz) Authorize(_ context.Context, req authz.Request) (authz.Decision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := req.Action + " " + req.Resources[0]
	f.asked = append(f.asked, key)
	if key == f.failOn {
		return authz.Decision{}, errors.New("boom")
	}
	if f.allow[key] {
		return authz.Decision{Allowed: true}, nil
	}
	return authz.Decision{Message: "denied " + key}, nil
}

type fixedTarget Target

func (f fixedTarget) AuthzTarget(context.Context, string, any) (Target, error) { return Target(f), nil }

type nopAuthn struct{}

func (nopAuthn) Authenticate(*http.Request, []byte, *awsapi.Service) (*principal.Principal, error) {
	return nil, nil
}

func TestGateway_AuthorizeExtraChecks(t *testing.T) {
	def := &awsapi.Service{Name: "ecs", Protocol: awsapi.ProtocolJSON}
	op := &awsapi.Operation{Name: "CreateCluster"}
	tagCtx := map[string][]string{"ecs:CreateAction": {"CreateCluster"}}
	tagged := Target{
		Action: "ecs:CreateCluster", Resources: []string{"c"},
		Extra: []Check{
			{Action: "ecs:TagResource", Resources: []string{"c"}, Context: tagCtx},
			{Action: "x:First", OrActions: []string{"x:Second", "x:Third"}},
		},
	}
	tests := []struct {
		name      string
		target    Target
		allow     []string
		failOn    string
		wantAsked []string
		wantErr   string // message of the AccessDeniedException; "boom" for an authorizer error
	}{
		{
			name: "no extra checks", target: Target{Action: "ecs:CreateCluster", Resources: []string{"c"}},
			allow: []string{"ecs:CreateCluster c"}, wantAsked: []string{"ecs:CreateCluster c"},
		},
		{
			name: "all allowed, in order", target: tagged,
			allow:     []string{"ecs:CreateCluster c", "ecs:TagResource c", "x:First *"},
			wantAsked: []string{"ecs:CreateCluster c", "ecs:TagResource c", "x:First *"},
		},
		{
			name: "main action denied first", target: tagged,
			allow:     []string{"ecs:TagResource c", "x:First *"},
			wantAsked: []string{"ecs:CreateCluster c"}, wantErr: "denied ecs:CreateCluster c",
		},
		{
			name: "extra check denied", target: tagged,
			allow:     []string{"ecs:CreateCluster c", "x:First *"},
			wantAsked: []string{"ecs:CreateCluster c", "ecs:TagResource c"}, wantErr: "denied ecs:TagResource c",
		},
		{
			name: "an alternative action allows", target: tagged,
			allow:     []string{"ecs:CreateCluster c", "ecs:TagResource c", "x:Third *"},
			wantAsked: []string{"ecs:CreateCluster c", "ecs:TagResource c", "x:First *", "x:Second *", "x:Third *"},
		},
		{
			name: "no alternative allows: the first action's denial", target: tagged,
			allow:     []string{"ecs:CreateCluster c", "ecs:TagResource c"},
			wantAsked: []string{"ecs:CreateCluster c", "ecs:TagResource c", "x:First *", "x:Second *", "x:Third *"},
			wantErr:   "denied x:First *",
		},
		{
			name:      "extra checks apply when the main action needs no permission",
			target:    Target{Action: "sts:GetCallerIdentity", Extra: []Check{{Action: "x:Y", Resources: []string{"r"}}}},
			wantAsked: []string{"x:Y r"}, wantErr: "denied x:Y r",
		},
		{
			name: "authorizer errors stop the checks", target: tagged,
			allow: []string{"ecs:CreateCluster c"}, failOn: "ecs:TagResource c",
			wantAsked: []string{"ecs:CreateCluster c", "ecs:TagResource c"}, wantErr: "boom",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			az := &fakeAuthz{allow: map[string]bool{}, failOn: tc.failOn}
			for _, a := range tc.allow {
				az.allow[a] = true
			}
			g, err := New(Config{}, Deps{Authn: nopAuthn{}, Authz: az})
			if err != nil {
				t.Fatal(err)
			}
			ep := &Endpoint{Def: def, Describer: fixedTarget(tc.target)}
			err = g.authorize(context.Background(), ep, op, &principal.Principal{Kind: principal.User}, nil)
			if diff := cmp.Diff(tc.wantAsked, az.asked); diff != "" {
				t.Errorf("asked (-want +got):\n%s", diff)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("authorize: %v", err)
			case tc.wantErr == "boom":
				if err == nil || err.Error() != "boom" {
					t.Fatalf("authorize error = %v, want the authorizer's", err)
				}
			case tc.wantErr != "":
				var ae *awserr.Error
				if !errors.As(err, &ae) || ae.Code != awserr.CodeAccessDeniedException || ae.Message != tc.wantErr {
					t.Fatalf("authorize error = %#v, want AccessDeniedException %q", err, tc.wantErr)
				}
			}
		})
	}
}
