// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/awserr/awserrtest"
	"github.com/berthdev/berth/internal/principal"
)

// password returns the password of an authorization token.
func password(t *testing.T, out *ecrapi.GetAuthorizationTokenOutput) string {
	t.Helper()
	if len(out.AuthorizationData) != 1 {
		t.Fatalf("%d authorization data", len(out.AuthorizationData))
	}
	raw, err := base64.StdEncoding.DecodeString(*out.AuthorizationData[0].AuthorizationToken)
	if err != nil {
		t.Fatal(err)
	}
	user, pw, ok := strings.Cut(string(raw), ":")
	if !ok || user != "AWS" {
		t.Fatalf("token decodes to %q, want AWS:password", raw)
	}
	return pw
}

func TestService_GetAuthorizationToken(t *testing.T) {
	f := newFixture(t)
	out := must[*ecrapi.GetAuthorizationTokenOutput](t)(f.svc.GetAuthorizationToken(f.ctx, &ecrapi.GetAuthorizationTokenInput{}))
	d := out.AuthorizationData[0]
	if *d.ProxyEndpoint != "http://"+testHost {
		t.Fatalf("proxyEndpoint = %s", *d.ProxyEndpoint)
	}
	if want := f.clock.Now().Add(12 * time.Hour); !d.ExpiresAt.Equal(want) {
		t.Fatalf("expiresAt = %v, want %v", d.ExpiresAt, want)
	}
	pw := password(t, out)

	p, err := f.svc.Authenticate(context.Background(), "AWS", pw)
	if err != nil || p.Kind != principal.Root {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	refused := []struct{ name, user, pw string }{
		{"wrong user", "root", pw},
		{"tampered MAC", "AWS", pw[:len(pw)-2] + "AA"},
		{"tampered payload", "AWS", strings.Replace(pw, ".", ".x", 1)},
		{"garbage", "AWS", "hunter2"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.svc.Authenticate(context.Background(), tc.user, tc.pw); !errors.Is(err, ErrBadToken) {
				t.Fatalf("Authenticate = %v, want ErrBadToken", err)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		f.clock.Advance(12*time.Hour + time.Second)
		defer f.clock.Advance(-(12*time.Hour + time.Second))
		if _, err := f.svc.Authenticate(context.Background(), "AWS", pw); !errors.Is(err, ErrBadToken) {
			t.Fatalf("Authenticate = %v, want ErrBadToken", err)
		}
	})
	t.Run("deleted key", func(t *testing.T) {
		bob := &principal.Principal{Kind: principal.User, AccountID: testAccount, ARN: "arn:aws:iam::123456789012:user/bob", AccessKeyID: "AKIABOB"}
		f.keys.set("AKIABOB", Credential{Principal: bob})
		ctx := principal.NewContext(context.Background(), bob)
		pw := password(t, must[*ecrapi.GetAuthorizationTokenOutput](t)(f.svc.GetAuthorizationToken(ctx, &ecrapi.GetAuthorizationTokenInput{})))
		if p, err := f.svc.Authenticate(context.Background(), "AWS", pw); err != nil || p.ARN != bob.ARN {
			t.Fatalf("Authenticate = %+v, %v", p, err)
		}
		f.keys.remove("AKIABOB")
		if _, err := f.svc.Authenticate(context.Background(), "AWS", pw); !errors.Is(err, ErrBadToken) {
			t.Fatalf("Authenticate after the key was deleted = %v, want ErrBadToken", err)
		}
	})
	t.Run("session", func(t *testing.T) {
		exp := f.clock.Now().Add(time.Hour)
		sess := &principal.Principal{Kind: principal.AssumedRole, AccountID: testAccount, ARN: "arn:aws:sts::123456789012:assumed-role/r/s",
			AccessKeyID: "ASIASESS", TokenIssueTime: f.clock.Now()}
		f.keys.set("ASIASESS", Credential{Principal: sess, Expiration: exp})
		ctx := principal.NewContext(context.Background(), sess)
		out := must[*ecrapi.GetAuthorizationTokenOutput](t)(f.svc.GetAuthorizationToken(ctx, &ecrapi.GetAuthorizationTokenInput{}))
		if !out.AuthorizationData[0].ExpiresAt.Equal(exp) {
			t.Fatalf("expiresAt = %v, want the session's expiry %v", out.AuthorizationData[0].ExpiresAt, exp)
		}
		pw := password(t, out)
		if _, err := f.svc.Authenticate(context.Background(), "AWS", pw); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
		defer f.clock.Advance(-time.Hour)
		if _, err := f.svc.Authenticate(context.Background(), "AWS", pw); !errors.Is(err, ErrBadToken) {
			t.Fatalf("Authenticate after the session expired = %v, want ErrBadToken", err)
		}
	})
	t.Run("other registry", func(t *testing.T) {
		_, err := f.svc.GetAuthorizationToken(f.ctx, &ecrapi.GetAuthorizationTokenInput{RegistryIds: []string{"999999999999"}})
		awserrtest.WantCode(t, err, ecrapi.CodeRepositoryNotFound, "")
	})
}

func TestService_TokenKeySharedByReplicas(t *testing.T) {
	f := newFixture(t)
	pw := password(t, must[*ecrapi.GetAuthorizationTokenOutput](t)(f.svc.GetAuthorizationToken(f.ctx, &ecrapi.GetAuthorizationTokenInput{})))
	// A second service on the same store (another replica) reads the same key.
	other := &Service{cfg: f.svc.cfg, deps: f.svc.deps, t: f.svc.t, keys: &tokenKeys{st: f.svc.deps.Store}}
	if _, err := other.Authenticate(context.Background(), "AWS", pw); err != nil {
		t.Fatalf("another replica refuses the token: %v", err)
	}
}
