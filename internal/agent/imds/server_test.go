// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package imds_test

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agent/imds"
)

func TestServer_Paths(t *testing.T) {
	f := newFixture(t, false)
	tok := f.token(t, 21600)
	h := map[string]string{imds.HeaderToken: tok}
	tests := []struct {
		path, want string
	}{
		{"/", "latest"},
		{"/latest/", "dynamic\nmeta-data"},
		{"/latest/meta-data/", "ami-id\nhostname\niam/\ninstance-id\ninstance-type\nlocal-hostname\nlocal-ipv4\nmac\nnetwork/\nplacement/\nservices/"},
		{"/latest/meta-data", "ami-id\nhostname\niam/\ninstance-id\ninstance-type\nlocal-hostname\nlocal-ipv4\nmac\nnetwork/\nplacement/\nservices/"},
		{"/latest/meta-data/instance-id", "i-0123456789abcdef0"},
		{"/latest/meta-data/ami-id", "ami-0abcdef1234567890"},
		{"/latest/meta-data/instance-type", "m5.large"},
		{"/latest/meta-data/local-ipv4", "10.0.0.12"},
		{"/latest/meta-data/hostname", "ip-10-0-0-12.ec2.internal"},
		{"/latest/meta-data/mac", "02:00:00:00:00:01"},
		{"/latest/meta-data/placement/", "availability-zone\nregion"},
		{"/latest/meta-data/placement/region", "us-east-1"},
		{"/latest/meta-data/placement/availability-zone", "us-east-1a"},
		{"/latest/meta-data/network/interfaces/macs/", "02:00:00:00:00:01/"},
		{"/latest/meta-data/network/interfaces/macs/02:00:00:00:00:01/vpc-id", "vpc-1"},
		{"/latest/meta-data/iam/", "info\nsecurity-credentials/"},
		{"/latest/meta-data/iam/security-credentials/", "ecsInstanceRole"},
		{"/2021-07-15/meta-data/instance-id", "i-0123456789abcdef0"},
		{"/latest/dynamic/instance-identity/", "document"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			st, body, hdr := do(t, "GET", f.url+tc.path, h)
			if st != 200 || body != tc.want {
				t.Errorf("GET %s = %d %q, want 200 %q", tc.path, st, body, tc.want)
			}
			if ct := hdr.Get("Content-Type"); ct != "text/plain" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	for _, p := range []string{"/latest/meta-data/nope", "/v1/meta-data/instance-id", "/latest/meta-data/iam/security-credentials/otherRole", "/latest/dynamic/instance-identity/signature"} {
		if st, _, _ := do(t, "GET", f.url+p, h); st != 404 {
			t.Errorf("GET %s = %d, want 404", p, st)
		}
	}
}

func TestServer_RoleCredentialsAndInfo(t *testing.T) {
	f := newFixture(t, false)
	h := map[string]string{imds.HeaderToken: f.token(t, 60)}
	_, body, _ := do(t, "GET", f.url+"/latest/meta-data/iam/security-credentials/ecsInstanceRole", h)
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	want := map[string]string{
		"Code": "Success", "LastUpdated": "2030-01-01T22:04:05Z", "Type": "AWS-HMAC",
		"AccessKeyId": "ASIAINSTANCEROLE0001", "SecretAccessKey": "instance/secret+key/0001",
		"Token": "FwoGZXIvYXdzEInstanceToken//0001==", "Expiration": "2030-01-02T04:04:05Z",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("credentials (-want +got):\n%s", d)
	}
	_, body, _ = do(t, "GET", f.url+"/latest/meta-data/iam/info", h)
	got = nil
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{
		"Code": "Success", "LastUpdated": "2030-01-01T22:04:05Z",
		"InstanceProfileArn": "arn:aws:iam::000000000000:instance-profile/ecsInstanceRole",
		"InstanceProfileId":  "AIPAEXAMPLE000000001",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("info (-want +got):\n%s", d)
	}
}

func TestServer_NoRole(t *testing.T) {
	f := newFixture(t, true)
	f.src.set(imds.Credentials{}, imds.ErrNoRole)
	_, body, _ := do(t, "GET", f.url+"/latest/meta-data/", nil)
	if strings.Contains(body, "iam/") {
		t.Errorf("listing without a role shows iam/: %q", body)
	}
	if st, _, _ := do(t, "GET", f.url+"/latest/meta-data/iam/security-credentials/", nil); st != 404 {
		t.Errorf("security-credentials without a role = %d, want 404", st)
	}
	f.src.set(imds.Credentials{}, errors.New("control plane down"))
	f.clock.Advance(time.Minute)
	if st, _, _ := do(t, "GET", f.url+"/latest/meta-data/iam/security-credentials/", nil); st != 503 {
		t.Errorf("security-credentials with a failing source = %d, want 503", st)
	}
}

func TestServer_IMDSv1(t *testing.T) {
	tests := []struct {
		name    string
		allowV1 bool
		want    int
	}{
		{"refused", false, 401},
		{"allowed", true, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.allowV1)
			for _, p := range []string{"/latest/meta-data/instance-id", "/latest/meta-data/iam/security-credentials/ecsInstanceRole"} {
				if st, _, _ := do(t, "GET", f.url+p, nil); st != tc.want {
					t.Errorf("GET %s without token = %d, want %d", p, st, tc.want)
				}
			}
			// A token is honoured either way; a bad one never is.
			if st, _, _ := do(t, "GET", f.url+"/latest/meta-data/instance-id", map[string]string{imds.HeaderToken: f.token(t, 10)}); st != 200 {
				t.Errorf("with token = %d", st)
			}
			if st, _, _ := do(t, "GET", f.url+"/latest/meta-data/instance-id", map[string]string{imds.HeaderToken: "forged"}); st != 401 {
				t.Errorf("with forged token = %d, want 401", st)
			}
		})
	}
}

func TestServer_TokenRequest(t *testing.T) {
	f := newFixture(t, false)
	tests := []struct {
		name   string
		method string
		hdr    map[string]string
		want   int
	}{
		{"ok min", "PUT", map[string]string{imds.HeaderTokenTTL: "1"}, 200},
		{"ok max", "PUT", map[string]string{imds.HeaderTokenTTL: "21600"}, 200},
		{"missing ttl", "PUT", nil, 400},
		{"zero ttl", "PUT", map[string]string{imds.HeaderTokenTTL: "0"}, 400},
		{"ttl too long", "PUT", map[string]string{imds.HeaderTokenTTL: "21601"}, 400},
		{"ttl not a number", "PUT", map[string]string{imds.HeaderTokenTTL: "ten"}, 400},
		{"through a proxy", "PUT", map[string]string{imds.HeaderTokenTTL: "60", "X-Forwarded-For": "10.0.0.1"}, 403},
		{"GET", "GET", map[string]string{imds.HeaderTokenTTL: "60"}, 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if st, body, _ := do(t, tc.method, f.url+"/latest/api/token", tc.hdr); st != tc.want {
				t.Errorf("= %d %q, want %d", st, body, tc.want)
			}
		})
	}
}

func TestServer_TokenExpiry(t *testing.T) {
	f := newFixture(t, false)
	tok := f.token(t, 60)
	get := func() int {
		st, _, _ := do(t, "GET", f.url+"/latest/meta-data/instance-id", map[string]string{imds.HeaderToken: tok})
		return st
	}
	if st := get(); st != 200 {
		t.Fatalf("fresh token: %d", st)
	}
	f.clock.Advance(59 * time.Second)
	if st := get(); st != 200 {
		t.Fatalf("token at 59s: %d", st)
	}
	f.clock.Advance(time.Second)
	if st := get(); st != 401 {
		t.Fatalf("token at 60s: %d, want 401", st)
	}
	// A token from another server (another key) is refused too.
	other := newFixture(t, false)
	if st, _, _ := do(t, "GET", f.url+"/latest/meta-data/instance-id", map[string]string{imds.HeaderToken: other.token(t, 60)}); st != 401 {
		t.Errorf("foreign token: %d, want 401", st)
	}
}

func TestServer_IdentityDocument(t *testing.T) {
	t.Run("unsigned", func(t *testing.T) {
		f := newFixture(t, true)
		_, body, _ := do(t, "GET", f.url+"/latest/dynamic/instance-identity/document", nil)
		var doc map[string]any
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]any{
			"accountId": "000000000000", "region": "us-east-1", "availabilityZone": "us-east-1a",
			"instanceId": "i-0123456789abcdef0", "imageId": "ami-0abcdef1234567890", "instanceType": "m5.large",
			"privateIp": "10.0.0.12", "pendingTime": "2030-01-02T02:04:05Z", "architecture": "x86_64", "version": "2017-09-30",
		} {
			if doc[k] != want {
				t.Errorf("%s = %v, want %v", k, doc[k], want)
			}
		}
	})
	t.Run("signed by the source", func(t *testing.T) {
		id := imds.Identity{Document: []byte(`{"instanceId":"i-signed"}`), Signature: "c2lnbmF0dXJl", PKCS7: "cGtjczc="}
		srv, err := imds.New(imds.Config{Instance: testInstance(), AllowIMDSv1: true}, imds.Deps{Identity: identitySource{id}})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		defer hs.Close()
		for p, want := range map[string]string{
			"": "document\npkcs7\nsignature", "document": string(id.Document), "signature": id.Signature, "pkcs7": id.PKCS7,
		} {
			if st, body, _ := do(t, "GET", hs.URL+"/latest/dynamic/instance-identity/"+p, nil); st != 200 || body != want {
				t.Errorf("%s = %d %q, want %q", p, st, body, want)
			}
		}
	})
}

func TestServer_MethodNotAllowed(t *testing.T) {
	f := newFixture(t, true)
	if st, _, _ := do(t, "POST", f.url+"/latest/meta-data/instance-id", nil); st != 405 {
		t.Errorf("POST = %d, want 405", st)
	}
}
