// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package imds_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/berthdev/berth/internal/agent/agenttest"
)

// isolateSDKEnv removes every credential source but the metadata service
// from the environment of an SDK (or CLI) run and points the metadata
// service endpoint at endpoint.
func isolateSDKEnv(t *testing.T, endpoint string) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint)
}

// TestSDK_DefaultChain_InstanceRole proves aws-sdk-go-v2's unmodified
// default credential chain finds the instance role through this service
// (IMDSv2, IMDSv1 refused) and gets the credentials unchanged. The SDK's
// HTTP client may dial only loopback, so a misdirected request fails
// instead of leaving the host.
func TestSDK_DefaultChain_InstanceRole(t *testing.T) {
	f := newFixture(t, false)
	isolateSDKEnv(t, f.url)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(agenttest.LoopbackOnlyClient()), config.WithEC2IMDSRegion())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "us-east-1" {
		t.Errorf("region from IMDS = %q, want us-east-1", cfg.Region)
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := testCreds(t0.Add(time.Hour))
	if c.AccessKeyID != want.AccessKeyID || c.SecretAccessKey != want.SecretAccessKey || c.SessionToken != want.SessionToken {
		t.Errorf("SDK got %q/%q/%q, want the instance role's credentials unchanged", c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
	}
	if c.Source != "EC2RoleProvider" || !c.CanExpire {
		t.Errorf("source %q canExpire %v, want EC2RoleProvider", c.Source, c.CanExpire)
	}
}
