// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package imds_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/imds"
)

// TestServer_InfoFromCredentials: iam/info names the instance profile the
// credentials came from (the control plane's answer), not the one the
// service was configured with, so a replaced association shows at the
// next refresh.
func TestServer_InfoFromCredentials(t *testing.T) {
	clock := agenttest.NewFakeClock(t0)
	c := testCreds(t0.Add(time.Hour))
	c.RoleARN = "arn:aws:iam::000000000000:role/batchRole"
	c.InstanceProfileARN = "arn:aws:iam::000000000000:instance-profile/batchProfile"
	c.InstanceProfileID = "AIPABATCHPROFILE0002"
	src := &fakeSource{creds: c}
	ref := mustRefresher(t, imds.RefresherConfig{}, imds.RefresherDeps{Source: src, Clock: clock, Logger: quiet})
	srv, err := imds.New(imds.Config{Instance: testInstance()}, imds.Deps{Credentials: ref, Clock: clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	f := &fixture{srv: srv, url: hs.URL, clock: clock, src: src}
	h := map[string]string{imds.HeaderToken: f.token(t, 60)}

	st, body, _ := do(t, "GET", f.url+"/latest/meta-data/iam/info", h)
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil || st != 200 {
		t.Fatalf("iam/info: %d %v: %s", st, err, body)
	}
	want := map[string]string{
		"Code": "Success", "LastUpdated": "2030-01-01T22:04:05Z",
		"InstanceProfileArn": "arn:aws:iam::000000000000:instance-profile/batchProfile",
		"InstanceProfileId":  "AIPABATCHPROFILE0002",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("iam/info (-want +got):\n%s", d)
	}
	if st, body, _ := do(t, "GET", f.url+"/latest/meta-data/iam/security-credentials/", h); st != 200 || body != "batchRole" {
		t.Errorf("security-credentials/ = %d %q, want batchRole", st, body)
	}
}
