// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/testutil/testclock"
)

// fakeIdentity mints numbered credentials, or fails once revoked.
type fakeIdentity struct {
	mu      sync.Mutex
	minted  int
	revoked bool
}

func (f *fakeIdentity) SignIn(_ context.Context, user, password string) (Who, error) {
	if password != "pw" {
		return Who{}, ErrSignInFailed
	}
	return Who{UserName: user, ARN: "arn:aws:iam::123456789012:user/" + user, AccountID: "123456789012"}, nil
}

func (f *fakeIdentity) Credentials(context.Context, Who) (Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.revoked {
		return Credentials{}, errors.New("user deleted")
	}
	f.minted++
	return Credentials{AccessKeyID: "ASIAFAKE" + string(rune('0'+f.minted)), SecretAccessKey: "s", SessionToken: "t", Expires: time.Now().Add(time.Hour)}, nil
}

// fakeAPI answers IAM ListRoles (empty) and records the signing key.
type fakeAPI struct {
	mu   sync.Mutex
	keys []string
}

func (a *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	if i := strings.Index(auth, "Credential="); i >= 0 {
		a.mu.Lock()
		a.keys = append(a.keys, strings.SplitN(auth[i+len("Credential="):], "/", 2)[0])
		a.mu.Unlock()
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(`<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListRolesResult><Roles/><IsTruncated>false</IsTruncated></ListRolesResult></ListRolesResponse>`))
}

// signedIn returns a console with one signed-in session and its cookie.
func signedIn(t *testing.T) (*Console, *http.Cookie, *fakeIdentity, *fakeAPI, *testclock.Clock, *MemorySessions) {
	t.Helper()
	id, api, clock, sessions := &fakeIdentity{}, &fakeAPI{}, testclock.New(time.Now()), &MemorySessions{}
	c, err := New(Config{AccountID: "123456789012", Region: "us-east-1", SessionTTL: 2 * time.Hour},
		Deps{API: api, Identity: id, Sessions: sessions, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/console/signin", nil))
	var form *http.Cookie
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == signInCookie {
			form = ck
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/console/signin", strings.NewReader("csrf="+form.Value+"&account=123456789012&kind=user&username=ada&password=pw"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(form)
	rec = httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == SessionCookie {
			return c, ck, id, api, clock, sessions
		}
	}
	t.Fatalf("no session cookie after sign-in: %d %s", rec.Code, rec.Body.String())
	return nil, nil, nil, nil, nil, nil
}

func get(c *Console, path string, ck *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	return rec
}

func TestSession_CredentialsRenewed(t *testing.T) {
	c, ck, id, api, clock, _ := signedIn(t)
	if rec := get(c, "/console/iam/roles", ck); rec.Code != http.StatusOK {
		t.Fatalf("roles: %d %s", rec.Code, rec.Body.String())
	}
	clock.Advance(58 * time.Minute) // the credentials have 2 minutes left
	if rec := get(c, "/console/iam/roles", ck); rec.Code != http.StatusOK {
		t.Fatalf("roles after 58m: %d", rec.Code)
	}
	if id.minted != 2 {
		t.Errorf("minted %d credentials, want 2 (sign-in and renewal)", id.minted)
	}
	if len(api.keys) != 2 || api.keys[0] != "ASIAFAKE1" || api.keys[1] != "ASIAFAKE2" {
		t.Errorf("API calls signed with %v, want ASIAFAKE1 then the renewed ASIAFAKE2", api.keys)
	}
}

func TestSession_RenewalRefusedSignsOut(t *testing.T) {
	c, ck, id, _, clock, sessions := signedIn(t)
	id.revoked = true
	clock.Advance(58 * time.Minute)
	rec := get(c, "/console/iam/roles", ck)
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/console/signin") {
		t.Fatalf("after the user lost access: %d to %q, want the sign-in page", rec.Code, rec.Header().Get("Location"))
	}
	if len(sessions.m) != 0 {
		t.Errorf("the session was kept: %v", sessions.m)
	}
}

func TestSession_Expires(t *testing.T) {
	c, ck, _, _, clock, _ := signedIn(t)
	clock.Advance(2*time.Hour + time.Second)
	if rec := get(c, "/console/iam/roles", ck); rec.Code != http.StatusSeeOther {
		t.Errorf("after the session TTL: %d, want 303 to sign-in", rec.Code)
	}
}

func TestSignIn_Throttled(t *testing.T) {
	c, _, _, _, _, _ := signedIn(t)
	try := func(pw string) int {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/console/signin", nil))
		form := rec.Result().Cookies()[0]
		req := httptest.NewRequest(http.MethodPost, "/console/signin", strings.NewReader("csrf="+form.Value+"&account=123456789012&kind=user&username=bob&password="+pw))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(form)
		rec = httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		return rec.Code
	}
	for range maxFailures {
		if code := try("wrong"); code != http.StatusUnauthorized {
			t.Fatalf("failed sign-in: %d, want 401", code)
		}
	}
	if code := try("pw"); code != http.StatusTooManyRequests {
		t.Errorf("sign-in after %d failures: %d, want 429", maxFailures, code)
	}
}

func TestWireJSON(t *testing.T) {
	type inner struct {
		ContainerPort *int32
		Options       map[string]string
	}
	type outer struct {
		TaskDefinitionArn *string
		Revision          int32
		Unset             *string
		Empty             []inner
		Status            string
		Privileged        bool
		Items             []inner
	}
	p := int32(80)
	arn := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"
	got := wireJSON(outer{TaskDefinitionArn: &arn, Revision: 3, Items: []inner{{ContainerPort: &p, Options: map[string]string{"awslogs-group": "g", "Key": "v"}}}})
	want := `{
  "items": [
    {
      "containerPort": 80,
      "options": {
        "Key": "v",
        "awslogs-group": "g"
      }
    }
  ],
  "revision": 3,
  "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"
}`
	if got != want {
		t.Errorf("wireJSON =\n%s\nwant\n%s", got, want)
	}
}

func TestHandles(t *testing.T) {
	tests := []struct {
		name string
		req  func() *http.Request
		want bool
	}{
		{"console page", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/console/iam/roles", nil) }, true},
		{"console root", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/console", nil) }, true},
		{"API", func() *http.Request { return httptest.NewRequest(http.MethodPost, "/", nil) }, false},
		{"consoles bucket", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/consoles/key", nil) }, false},
		{"signed S3 request to a bucket named console", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/console/key", nil)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x")
			return r
		}, false},
		{"presigned S3 URL", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/console/key?X-Amz-Signature=abc&X-Amz-Credential=x", nil)
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Handles(tc.req()); got != tc.want {
				t.Errorf("Handles = %v, want %v", got, tc.want)
			}
		})
	}
}
