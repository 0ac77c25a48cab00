// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package imds_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/imds"
)

// fakeSource is an imds.Source with scripted answers.
type fakeSource struct {
	mu    sync.Mutex
	creds imds.Credentials
	err   error
	calls int
	id    *imds.Identity
}

func (f *fakeSource) RoleCredentials(ctx context.Context) (imds.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.creds, f.err
}

func (f *fakeSource) set(c imds.Credentials, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creds, f.err = c, err
}

func (f *fakeSource) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

type identitySource struct{ id imds.Identity }

func (s identitySource) Identity(context.Context) (imds.Identity, error) { return s.id, nil }

var quiet = slog.New(slog.DiscardHandler)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func testCreds(exp time.Time) imds.Credentials {
	return imds.Credentials{
		RoleARN:         "arn:aws:iam::000000000000:role/ecsInstanceRole",
		AccessKeyID:     "ASIAINSTANCEROLE0001",
		SecretAccessKey: "instance/secret+key/0001",
		SessionToken:    "FwoGZXIvYXdzEInstanceToken//0001==",
		Expiration:      exp,
		LastUpdated:     exp.Add(-6 * time.Hour),
	}
}

func testInstance() imds.Instance {
	return imds.Instance{
		InstanceID: "i-0123456789abcdef0", ImageID: "ami-0abcdef1234567890", InstanceType: "m5.large",
		LocalIPv4: "10.0.0.12", Hostname: "ip-10-0-0-12.ec2.internal", MAC: "02:00:00:00:00:01",
		Region: "us-east-1", AvailabilityZone: "us-east-1a", AccountID: "000000000000", Architecture: "x86_64",
		PendingTime: t0.Add(-time.Hour), VPCID: "vpc-1", SubnetID: "subnet-1",
		InstanceProfileARN: "arn:aws:iam::000000000000:instance-profile/ecsInstanceRole",
		InstanceProfileID:  "AIPAEXAMPLE000000001",
	}
}

type fixture struct {
	srv   *imds.Server
	url   string
	clock *agenttest.FakeClock
	src   *fakeSource
}

// newFixture serves an IMDS on loopback with a fake clock and source.
func newFixture(t testing.TB, allowV1 bool) *fixture {
	t.Helper()
	clock := agenttest.NewFakeClock(t0)
	src := &fakeSource{creds: testCreds(t0.Add(time.Hour))}
	ref := mustRefresher(t, imds.RefresherConfig{}, imds.RefresherDeps{Source: src, Clock: clock, Logger: quiet})
	srv, err := imds.New(imds.Config{Instance: testInstance(), AllowIMDSv1: allowV1}, imds.Deps{Credentials: ref, Clock: clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &fixture{srv: srv, url: hs.URL, clock: clock, src: src}
}

func do(t testing.TB, method, url string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := agenttest.LoopbackOnlyClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (f *fixture) token(t testing.TB, ttl int) string {
	t.Helper()
	st, body, h := do(t, "PUT", f.url+"/latest/api/token", map[string]string{imds.HeaderTokenTTL: strconv.Itoa(ttl)})
	if st != 200 || h.Get(imds.HeaderTokenTTL) != strconv.Itoa(ttl) {
		t.Fatalf("token: %d %q ttl header %q", st, body, h.Get(imds.HeaderTokenTTL))
	}
	return body
}

func mustRefresher(t testing.TB, cfg imds.RefresherConfig, deps imds.RefresherDeps) *imds.Refresher {
	t.Helper()
	r, err := imds.NewRefresher(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
