// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"net/http/httptest"
	"testing"
)

func TestIsRegistryRequest(t *testing.T) {
	tests := []struct {
		name, target, auth string
		want               bool
	}{
		{"base", "/v2/", "", true},
		{"base without slash", "/v2", "", true},
		{"manifest with Basic", "/v2/web/manifests/1", "Basic QVdTOng=", true},
		{"SigV4 header: S3 bucket v2", "/v2/key", "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00", false},
		{"presigned: S3 bucket v2", "/v2/key?X-Amz-Signature=00&X-Amz-Credential=x", "", false},
		{"other path", "/v2x/web", "", false},
		{"root", "/", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			if got := isRegistryRequest(r); got != tc.want {
				t.Fatalf("isRegistryRequest(%s) = %v, want %v", tc.target, got, tc.want)
			}
		})
	}
}

func TestServer_RegistryHost(t *testing.T) {
	tests := []struct {
		name, listen, configured, want string
	}{
		{"listen address", "127.0.0.1:4566", "", "127.0.0.1:4566"},
		{"unspecified IPv4", "0.0.0.0:4566", "", "127.0.0.1:4566"},
		{"unspecified IPv6", "[::]:4566", "", "127.0.0.1:4566"},
		{"no host", ":4566", "", "127.0.0.1:4566"},
		{"configured", "0.0.0.0:4566", "registry.example:443", "registry.example:443"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{cfg: Config{Listen: tc.listen, RegistryHost: tc.configured}}
			if got := s.registryHost(); got != tc.want {
				t.Fatalf("registryHost() = %s, want %s", got, tc.want)
			}
		})
	}
	if hosts := (&Server{cfg: Config{Listen: "127.0.0.1:0"}}).registryHosts(); hosts != nil {
		t.Fatalf("registryHosts before listening on port 0 = %v, want none", hosts)
	}
}
