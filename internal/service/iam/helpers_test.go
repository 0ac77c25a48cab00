// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store/storetest"
)

const testAccount = "123456789012"

// fakeValidator is a small stand-in for the policy engine: JSON syntax,
// Version, Statement, and Principal required in trust policies and
// forbidden elsewhere.
type fakeValidator struct{}

func (fakeValidator) Validate(doc string, kind PolicyKind) error {
	var d map[string]any
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return errors.New("Syntax errors in policy.")
	}
	if v, _ := d["Version"].(string); v != "2012-10-17" && v != "2008-10-17" {
		return errors.New("Policy document must be version 2012-10-17 or greater.")
	}
	stmts, ok := d["Statement"].([]any)
	if !ok {
		if one, isObj := d["Statement"].(map[string]any); isObj {
			stmts = []any{one}
		} else {
			return errors.New("Syntax errors in policy.")
		}
	}
	for _, st := range stmts {
		m, _ := st.(map[string]any)
		_, hasPrincipal := m["Principal"]
		switch {
		case kind == Trust && !hasPrincipal:
			return errors.New("Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!")
		case kind != Trust && hasPrincipal:
			return errors.New("Policy document should not specify a principal.")
		}
	}
	return nil
}

// testNow is the fixed time the test services stamp entities with.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newTestService returns a Service on a fresh embedded store.
func newTestService(t *testing.T, mods ...func(*Config)) *Service {
	t.Helper()
	st := storetest.New(t)
	cfg := Config{AccountID: testAccount, Clock: func() time.Time { return testNow }}
	for _, m := range mods {
		m(&cfg)
	}
	s, err := New(cfg, Deps{Store: st, Validator: fakeValidator{}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Policy documents for tests.
const (
	allowAll   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	allowS3    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	ec2Trust   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	tasksTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
)

// sizedPolicy returns an identity policy of exactly n non-whitespace
// characters (n ≥ 150).
func sizedPolicy(n int) string {
	head := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::`
	tail := `"}]}`
	pad := n - len(head) - len(tail)
	b := make([]byte, pad)
	for i := range b {
		b[i] = 'a'
	}
	return head + string(b) + tail
}

// wantErr fails unless err is an *awserr.Error with code and (if msg is
// not empty) message.
func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if ae.Code != code || msg != "" && ae.Message != msg {
		t.Fatalf("err = %s: %q, want %s: %q", ae.Code, ae.Message, code, msg)
	}
}

// must fails the test on err and returns v.
func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func str(s string) *string { return &s }

func i32(n int32) *int32 { return &n }

// decoded URL-decodes a document as the AWS CLI does.
func decoded(t *testing.T, s *string) string {
	t.Helper()
	if s == nil {
		t.Fatal("document is nil")
	}
	d, err := url.QueryUnescape(*s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func rootCtx() context.Context {
	return principal.NewContext(context.Background(), &principal.Principal{Kind: principal.Root, AccountID: testAccount, ARN: arn.Root(testAccount), UserID: testAccount})
}

func userCtx(name string) context.Context {
	return principal.NewContext(context.Background(), &principal.Principal{
		Kind: principal.User, AccountID: testAccount, Name: name,
		ARN: arn.IAM(testAccount, "user/"+name),
	})
}

func policyARN(name string) string { return arn.IAM(testAccount, "policy/"+name) }

const ec2RoleARN = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
