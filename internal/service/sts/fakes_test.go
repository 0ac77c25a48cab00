// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
	"github.com/berthdev/berth/internal/store/storetest"
)

const testAccount = "123456789012"

// Principals of the tests.
var (
	rootPrincipal = &principal.Principal{
		Kind: principal.Root, AccountID: testAccount, ARN: arn.Root(testAccount),
		UserID: testAccount, AccessKeyID: "AKIAROOTEXAMPLE00001",
	}
	userX = &principal.Principal{
		Kind: principal.User, AccountID: testAccount, ARN: arn.IAM(testAccount, "user/x"),
		UserID: "AIDAXEXAMPLEUSER0001", Name: "x", AccessKeyID: "AKIAXEXAMPLEKEY00001",
		Tags: map[string]string{"team": "blue"},
	}
)

func roleARN(name string) string { return arn.IAM(testAccount, "role/"+name) }

// trust renders a trust policy with one Allow statement.
func trust(principals map[string][]string, actions []string, cond map[string]map[string][]string) string {
	st := map[string]any{"Effect": "Allow", "Principal": principals, "Action": actions}
	if cond != nil {
		st["Condition"] = cond
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{st}})
	return string(b)
}

var allActions = []string{ActionAssumeRole, ActionTagSession, ActionSetSourceIdentity}

// testRoles are the roles of the tests, by name.
func testRoles() map[string]*Role {
	userXOnly := map[string][]string{"AWS": {userX.ARN}}
	roles := map[string]*Role{
		// y lives under a path, which the session ARN must not show.
		"y": {
			ARN: arn.IAM(testAccount, "role/team/y"), RoleID: "AROAYEXAMPLEROLE0001", Name: "y", Path: "/team/",
			TrustPolicy: trust(userXOnly, allActions, nil), MaxSessionDuration: 7200,
			Tags: map[string]string{"Project": "berth", "Env": "dev"},
		},
		"default-max": {
			RoleID: "AROADEFAULTMAX000001", TrustPolicy: trust(userXOnly, allActions, nil),
		},
		"noaccess": {
			RoleID: "AROANOACCESS00000001", TrustPolicy: trust(map[string][]string{"AWS": {arn.IAM(testAccount, "user/other")}}, allActions, nil),
		},
		"ext": {
			RoleID: "AROAEXTERNAL00000001",
			TrustPolicy: trust(userXOnly, []string{ActionAssumeRole},
				map[string]map[string][]string{"StringEquals": {"sts:ExternalId": {"secret-1"}}}),
		},
		// chain trusts user x and the sessions of role y.
		"chain": {
			RoleID: "AROACHAIN00000000001", MaxSessionDuration: 43200,
			TrustPolicy: trust(map[string][]string{"AWS": {userX.ARN, arn.IAM(testAccount, "role/team/y")}}, allActions, nil),
			Tags:        map[string]string{"Tier": "2"},
		},
		"notag": {
			RoleID: "AROANOTAG00000000001", TrustPolicy: trust(userXOnly, []string{ActionAssumeRole}, nil),
		},
		"ec2": {
			RoleID: "AROAEC2ROLE000000001", TrustPolicy: trust(map[string][]string{"Service": {"ec2.amazonaws.com"}}, []string{ActionAssumeRole}, nil),
			Tags: map[string]string{"Kind": "instance"},
		},
		"task": {
			RoleID: "AROATASKROLE00000001", TrustPolicy: trust(map[string][]string{"Service": {"ecs-tasks.amazonaws.com"}}, []string{ActionAssumeRole}, nil),
		},
	}
	for name, r := range roles {
		if r.ARN == "" {
			r.ARN = roleARN(name)
		}
		r.Name = name
		if r.Path == "" {
			r.Path = "/"
		}
	}
	return roles
}

// fakeRoles is a RoleLookup over a fixed set of roles.
type fakeRoles map[string]*Role

func (f fakeRoles) RoleByARN(_ context.Context, a string) (*Role, error) {
	for _, r := range f {
		if r.ARN == a {
			return r, nil
		}
	}
	return nil, ErrRoleNotFound
}

// fakePolicies is a PolicyLookup whose documents tests may change.
type fakePolicies struct {
	mu   sync.Mutex
	docs map[string]string
}

func (f *fakePolicies) PolicyDocument(_ context.Context, a string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d, ok := f.docs[a]; ok {
		return d, nil
	}
	return "", ErrPolicyNotFound
}

func (f *fakePolicies) set(a, doc string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs[a] = doc
}

// fakeJudge is a minimal exact-match trust-policy evaluator: Effect Allow,
// the action, a Principal AWS ARN (the caller, its role for a session, or
// its account) or Service equal to the caller, and StringEquals
// conditions. It records every request.
type fakeJudge struct {
	mu      sync.Mutex
	reqs    []AssumeRequest
	message string // if set, the Message of every denial
}

type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(l))
}

type trustDoc struct {
	Statement []struct {
		Effect    string
		Principal map[string]stringList
		Action    stringList
		Condition map[string]map[string]stringList
	}
}

func (f *fakeJudge) AllowAssume(_ context.Context, req AssumeRequest) (Decision, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	msg := f.message
	f.mu.Unlock()
	var doc trustDoc
	if err := json.Unmarshal([]byte(req.Role.TrustPolicy), &doc); err != nil {
		return Decision{}, err
	}
	for _, st := range doc.Statement {
		if st.Effect == "Allow" && containsFold(st.Action, req.Action) && principalMatches(st.Principal, req) && conditionsHold(st.Condition, req.Context) {
			return Decision{Allowed: true}, nil
		}
	}
	return Decision{Message: msg}, nil
}

func (f *fakeJudge) requests() []AssumeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]AssumeRequest(nil), f.reqs...)
}

func (f *fakeJudge) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = nil
}

func principalMatches(p map[string]stringList, req AssumeRequest) bool {
	if req.Service != "" {
		return containsFold(p["Service"], req.Service)
	}
	c := req.Caller
	for _, a := range p["AWS"] {
		if a == c.ARN || a == arn.Root(c.AccountID) || a == c.AccountID || (c.RoleARN != "" && a == c.RoleARN) {
			return true
		}
	}
	return false
}

func conditionsHold(cond map[string]map[string]stringList, ctx map[string][]string) bool {
	for op, kv := range cond {
		if op != "StringEquals" {
			return false
		}
		for k, want := range kv {
			ok := false
			for ck, got := range ctx {
				if strings.EqualFold(ck, k) {
					for _, g := range got {
						ok = ok || contains(want, g)
					}
				}
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

func containsFold(l []string, s string) bool {
	for _, e := range l {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var testStart = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// env is a Service on a real store with fake collaborators.
type env struct {
	svc      *Service
	st       *store.Store
	clock    *fakeClock
	judge    *fakeJudge
	roles    fakeRoles
	policies *fakePolicies
}

// newEnv opens a store in a temporary directory (or dir, if given) and a
// Service on it.
func newEnv(t *testing.T, opts ...func(*Config)) *env {
	t.Helper()
	return newEnvAt(t, "", opts...)
}

func newEnvAt(t *testing.T, dir string, opts ...func(*Config)) *env {
	t.Helper()
	var st *store.Store
	if dir == "" {
		st = storetest.New(t)
	} else {
		st = storetest.New(t, func(c *store.Config) { c.DataDir = dir })
	}
	e := &env{
		st:    st,
		clock: &fakeClock{now: testStart},
		judge: &fakeJudge{},
		roles: testRoles(),
		policies: &fakePolicies{docs: map[string]string{
			arn.IAM(testAccount, "policy/readonly"):  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`,
			"arn:aws:iam::aws:policy/ReadOnlyAccess": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}`,
		}},
	}
	cfg := Config{AccountID: testAccount, Region: "us-east-1", Clock: e.clock.Now}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := New(cfg, Deps{Store: st, Roles: e.roles, Trust: e.judge, Policies: e.policies})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.svc = svc
	return e
}

// as returns a context whose caller is p.
func as(p *principal.Principal) context.Context {
	return principal.NewContext(context.Background(), p)
}

// checkErr fails t unless err is an *awserr.Error with code, status and
// message (message "" skips the message check).
func checkErr(t *testing.T, err error, code string, status int, message string) {
	t.Helper()
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want *awserr.Error %s", err, code)
	}
	if ae.Code != code || ae.HTTPStatus != status || (message != "" && ae.Message != message) {
		t.Fatalf("error = %s (%d) %q\nwant    %s (%d) %q", ae.Code, ae.HTTPStatus, ae.Message, code, status, message)
	}
}
