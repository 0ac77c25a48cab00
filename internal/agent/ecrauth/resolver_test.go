// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecrauth

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agent/creds"
	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/agent/taskrunner"
	"github.com/berthdev/berth/internal/testutil/testclock"
)

// fakeECR answers GetAuthorizationToken. Access keys in deny get
// AccessDeniedException; gate, when set, holds every answer until closed.
type fakeECR struct {
	mu      sync.Mutex
	calls   []string // access key id of each call
	expires time.Time
	deny    map[string]bool
	gate    chan struct{}
	entered chan struct{}
}

func (f *fakeECR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	_, rest, _ := strings.Cut(auth, "Credential=")
	akid, scope, _ := strings.Cut(rest, "/")
	if r.Header.Get("X-Amz-Target") != "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" || !strings.Contains(scope, "/us-west-2/ecr/aws4_request") {
		http.Error(w, "bad request "+r.Header.Get("X-Amz-Target")+" "+auth, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, akid)
	denied, gate, expires := f.deny[akid], f.gate, f.expires
	f.mu.Unlock()
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if gate != nil {
		<-gate
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if denied {
		w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/r/%s is not authorized to perform: ecr:GetAuthorizationToken on resource: *"}`, akid)
		return
	}
	tok := base64.StdEncoding.EncodeToString([]byte("AWS:secret-for-" + akid))
	fmt.Fprintf(w, `{"authorizationData":[{"authorizationToken":%q,"expiresAt":%d.5,"proxyEndpoint":"https://registry.test:5000"}]}`, tok, expires.Unix())
}

func (f *fakeECR) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func setup(t *testing.T, f *fakeECR) (*Resolver, *testclock.Clock, string) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if f.expires.IsZero() {
		f.expires = clk.Now().Add(12 * time.Hour)
	}
	r, err := New(Config{}, Deps{InstanceCredentials: credentials.NewStaticCredentialsProvider("AKIAINSTANCE", "s", "tok"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return r, clk, srv.URL
}

func ecrContainer(endpoint string, exec bool) *taskrunner.Container {
	return &taskrunner.Container{Name: "app", Image: "registry.test:5000/app:1", RegistryAuthentication: &taskrunner.RegistryAuthentication{
		Type: "ecr", ECR: &taskrunner.ECRAuthData{RegistryID: "123456789012", Region: "us-west-2", EndpointOverride: endpoint, UseExecutionRole: exec}}}
}

func task(execID, akid string) *taskrunner.Task {
	t := &taskrunner.Task{ARN: "arn:aws:ecs:us-west-2:123456789012:task/c/abc"}
	if execID != "" {
		t.ExecutionRoleCredentials = &taskrunner.RoleCredentials{CredentialsID: execID, Credentials: creds.Credentials{
			RoleARN: "arn:aws:iam::123456789012:role/exec", AccessKeyID: akid, SecretAccessKey: "x", SessionToken: "y"}}
	}
	return t
}

func TestResolver_RegistryAuth_DecodesToken(t *testing.T) {
	f := &fakeECR{}
	r, _, url := setup(t, f)
	got, err := r.RegistryAuth(context.Background(), task("", ""), ecrContainer(url, false))
	if err != nil {
		t.Fatal(err)
	}
	want := &docker.RegistryAuth{Username: "AWS", Password: "secret-for-AKIAINSTANCE", ServerAddress: "registry.test:5000"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("auth (-want +got):\n%s", d)
	}
	if none, err := r.RegistryAuth(context.Background(), task("", ""), &taskrunner.Container{Name: "x", Image: "busybox"}); none != nil || err != nil {
		t.Errorf("no registry authentication: %v, %v; want nil, nil", none, err)
	}
}

func TestResolver_Cache_ReusedUntilMarginBeforeExpiry(t *testing.T) {
	f := &fakeECR{}
	r, clk, url := setup(t, f)
	f.expires = clk.Now().Add(time.Hour)
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		calls   int
	}{
		{0, 1},                // first pull fetches
		{44 * time.Minute, 1}, // 16 minutes left: reused
		{2 * time.Minute, 2},  // 14 minutes left (< 15m margin): fetched again
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		if i == 2 {
			f.mu.Lock()
			f.expires = clk.Now().Add(time.Hour)
			f.mu.Unlock()
		}
		if _, err := r.RegistryAuth(ctx, task("", ""), ecrContainer(url, false)); err != nil {
			t.Fatal(err)
		}
		if n := f.count(); n != s.calls {
			t.Fatalf("step %d: %d GetAuthorizationToken calls, want %d", i, n, s.calls)
		}
	}
	// A token that expires within the margin is used but never kept.
	f.mu.Lock()
	f.expires = clk.Now().Add(10 * time.Minute)
	f.mu.Unlock()
	other := ecrContainer(url, false)
	other.RegistryAuthentication.ECR.RegistryID = "210987654321"
	for range 2 {
		if _, err := r.RegistryAuth(ctx, task("", ""), other); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(); n != 4 {
		t.Fatalf("short-lived tokens: %d calls in all, want 4", n)
	}
}

func TestResolver_ConcurrentPullsShareOneFetch(t *testing.T) {
	// The token expires within the margin, so it is never cached: only
	// sharing the fetch in flight can explain a single call.
	f := &fakeECR{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	r, clk, url := setup(t, f)
	f.expires = clk.Now().Add(time.Minute)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := r.RegistryAuth(context.Background(), task("", ""), ecrContainer(url, false))
			if err == nil && a.Password == "" {
				err = fmt.Errorf("empty password")
			}
			errs <- err
		}()
	}
	<-f.entered
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		r.mu.Lock()
		waiting := 0
		for _, c := range r.inflight {
			waiting += c.waiters
		}
		r.mu.Unlock()
		if waiting == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d pulls waiting on the fetch", waiting, n)
		}
	}
	close(f.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if c := f.count(); c != 1 {
		t.Fatalf("%d GetAuthorizationToken calls for %d concurrent pulls, want 1", c, n)
	}
}

func TestResolver_ExecutionRole_SeparateCacheEntries(t *testing.T) {
	f := &fakeECR{}
	r, _, url := setup(t, f)
	ctx := context.Background()
	pulls := []struct {
		task *taskrunner.Task
		exec bool
		want string
	}{
		{task("", ""), false, "secret-for-AKIAINSTANCE"},
		{task("exec-1", "ASIAEXEC1"), true, "secret-for-ASIAEXEC1"},
		{task("exec-1", "ASIAEXEC1"), true, "secret-for-ASIAEXEC1"}, // cached
		{task("exec-2", "ASIAEXEC2"), true, "secret-for-ASIAEXEC2"},
		{task("exec-2", "ASIAEXEC2"), false, "secret-for-AKIAINSTANCE"}, // cached instance token
	}
	for i, p := range pulls {
		a, err := r.RegistryAuth(ctx, p.task, ecrContainer(url, p.exec))
		if err != nil {
			t.Fatalf("pull %d: %v", i, err)
		}
		if a.Password != p.want {
			t.Errorf("pull %d: password %q, want %q", i, a.Password, p.want)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if d := cmp.Diff([]string{"AKIAINSTANCE", "ASIAEXEC1", "ASIAEXEC2"}, f.calls); d != "" {
		t.Errorf("calls by access key (-want +got):\n%s", d)
	}
}

func TestResolver_Errors(t *testing.T) {
	f := &fakeECR{deny: map[string]bool{"AKIAINSTANCE": true}}
	r, _, url := setup(t, f)
	ctx := context.Background()
	for i := range 2 {
		_, err := r.RegistryAuth(ctx, task("", ""), ecrContainer(url, false))
		if err == nil {
			t.Fatal("denied GetAuthorizationToken: no error")
		}
		for _, want := range []string{"ecr:GetAuthorizationToken as the instance role", "AccessDeniedException", "not authorized to perform: ecr:GetAuthorizationToken"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if n := f.count(); n != i+1 {
			t.Fatalf("after %d denied pulls: %d calls (a denial is neither retried nor cached)", i+1, n)
		}
	}
	pending := task("exec-9", "")
	if _, err := r.RegistryAuth(ctx, pending, ecrContainer(url, true)); err == nil || !strings.Contains(err.Error(), "have not arrived") {
		t.Errorf("pending execution credentials: %v", err)
	}
	if _, err := r.RegistryAuth(ctx, task("", ""), ecrContainer(url, true)); err == nil || !strings.Contains(err.Error(), "no execution role credentials") {
		t.Errorf("no execution credentials: %v", err)
	}
	odd := ecrContainer(url, false)
	odd.RegistryAuthentication.Type = "asm"
	if _, err := r.RegistryAuth(ctx, task("", ""), odd); err == nil {
		t.Error("type asm: no error")
	}
	if n := f.count(); n != 2 {
		t.Errorf("invalid requests reached ECR: %d calls", n)
	}
	if _, err := New(Config{}, Deps{}); err == nil {
		t.Error("New without credentials: no error")
	}
}

func TestResolver_InstanceRoleChange_FetchesAgain(t *testing.T) {
	f := &fakeECR{}
	r, _, url := setup(t, f)
	var mu sync.Mutex
	role := "arn:aws:iam::123456789012:role/ecsInstanceRole"
	r.deps.InstanceRoleARN = func(context.Context) (string, error) { mu.Lock(); defer mu.Unlock(); return role, nil }
	ctx := context.Background()
	for i, want := range []int{1, 1, 2} {
		if i == 2 {
			mu.Lock()
			role = "arn:aws:iam::123456789012:role/otherRole"
			mu.Unlock()
		}
		if _, err := r.RegistryAuth(ctx, task("", ""), ecrContainer(url, false)); err != nil {
			t.Fatal(err)
		}
		if n := f.count(); n != want {
			t.Fatalf("pull %d: %d calls, want %d", i, n, want)
		}
	}
}
