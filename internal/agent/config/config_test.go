// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package config_test

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agent/config"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ecs.config")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad_FullFile(t *testing.T) {
	p := writeFile(t, `# written by user data
ECS_CLUSTER=prod
export ECS_BACKEND_HOST=berth.internal:4566
AWS_DEFAULT_REGION=eu-west-1
ECS_LOGLEVEL=DEBUG
ECS_RESERVED_MEMORY=256
ECS_RESERVED_PORTS=[22, 8080]
ECS_RESERVED_PORTS_UDP=[53]
ECS_CONTAINER_STOP_TIMEOUT=2m
ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION=10m
ECS_INSTANCE_ATTRIBUTES={"stack": "prod", "gpu/type": "none"}
ECS_CONTAINER_INSTANCE_TAGS='{"team": "platform"}'
ECS_DATADIR="/data/ecs"
ECS_AWSVPC_BLOCK_IMDS=true
ECS_IMAGE_PULL_BEHAVIOR=prefer-cached
ECS_TASK_METADATA_RPS_LIMIT=100,150
ECS_SKIP_LOCALHOST_TRAFFIC_FILTER=false
ECS_ENABLE_TASK_IAM_ROLE=true
BERTH_IMDS_ADDR=172.17.0.1:51680
BERTH_CREDENTIALS_ADDR=127.0.0.1:9000
BERTH_METADATA_LOCKDOWN=false
BERTH_IMDS_V1=allow
BERTH_IMDS_BLOCK=169.254.169.254, 10.1.2.3:8080
BERTH_BRIDGE_INTERFACES=docker+,br-+,cni0
BERTH_NETFILTER_INTERVAL=30s

ECS_CLUSTER=prod2
`)
	c, err := config.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.Cluster = "prod2"
	want.BackendHost = "https://berth.internal:4566"
	want.Region = "eu-west-1"
	want.LogLevel = slog.LevelDebug
	want.ReservedMemoryMiB = 256
	want.ReservedPorts = []uint16{22, 8080}
	want.ReservedPortsUDP = []uint16{53}
	want.ContainerStopTimeout = 2 * time.Minute
	want.TaskCleanupWait = 10 * time.Minute
	want.InstanceAttributes = map[string]string{"stack": "prod", "gpu/type": "none"}
	want.InstanceTags = map[string]string{"team": "platform"}
	want.DataDir = "/data/ecs"
	want.HostSecretFile = "/data/ecs/host-secret"
	want.AWSVPCBlockIMDS = true
	want.ImagePullBehavior = config.PullPreferCached
	want.TaskMetadataRPS, want.TaskMetadataBurst = 100, 150
	want.IMDSAddr = netip.MustParseAddrPort("172.17.0.1:51680")
	want.CredentialsAddr = netip.MustParseAddrPort("127.0.0.1:9000")
	want.MetadataLockdown = false
	want.IMDSv1 = config.IMDSv1Allow
	want.IMDSBlock = []netip.AddrPort{netip.MustParseAddrPort("169.254.169.254:0"), netip.MustParseAddrPort("10.1.2.3:8080")}
	want.BridgeInterfaces = []string{"docker+", "br-+", "cni0"}
	want.NetfilterInterval = 30 * time.Second
	want.Ignored = []string{"ECS_ENABLE_TASK_IAM_ROLE"}
	if d := cmp.Diff(want, c, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); d != "" {
		t.Errorf("config (-want +got):\n%s", d)
	}
	// A non-loopback IMDS address is blocked too.
	if d := cmp.Diff([]netip.AddrPort{want.IMDSBlock[0], want.IMDSBlock[1], want.IMDSAddr}, c.BlockTargets(), cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); d != "" {
		t.Errorf("BlockTargets: %s", d)
	}
}

func TestLoad_Defaults(t *testing.T) {
	c, err := config.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster != "default" || !c.MetadataLockdown || c.IMDSv1 != config.IMDSv1Refuse ||
		c.CredentialsEndpoint.String() != "169.254.170.2:80" || c.TaskCleanupWait != 3*time.Hour ||
		c.ContainerStopTimeout != 30*time.Second || !c.LocalhostFilter || c.HostSecretFile != "/var/lib/berth/agent/host-secret" {
		t.Errorf("defaults: %+v", c)
	}
	if got := c.BlockTargets(); len(got) != 1 || got[0].String() != "169.254.169.254:0" {
		t.Errorf("default BlockTargets %v", got)
	}
}

func TestLoad_EnvironmentOverridesFile(t *testing.T) {
	p := writeFile(t, "ECS_CLUSTER=file\nBERTH_METADATA_LOCKDOWN=true\nAWS_REGION=us-west-2\n")
	c, err := config.Load(p, []string{"ECS_CLUSTER=env", "BERTH_METADATA_LOCKDOWN=false", "BERTH_ROOT_ACCESS_KEY_ID=x", "PATH=/bin"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster != "env" || c.MetadataLockdown || c.Region != "us-west-2" {
		t.Errorf("got cluster %q lockdown %v region %q", c.Cluster, c.MetadataLockdown, c.Region)
	}
}

func TestLoad_Errors(t *testing.T) {
	tests := []struct {
		name, file string
		wantAll    []string // every problem is reported
	}{
		{"malformed line", "ECS_CLUSTER\n", []string{":1: want KEY=VALUE"}},
		{"bad key", "1BAD=x\n", []string{"want KEY=VALUE"}},
		{"unterminated quote", "ECS_CLUSTER=\"abc\n", []string{"unterminated quote"}},
		{"unknown berth key", "BERTH_LOCKDOWN=true\n", []string{"unknown berth key BERTH_LOCKDOWN"}},
		{"many at once", "ECS_RESERVED_PORTS=[22,70000]\nECS_CONTAINER_STOP_TIMEOUT=soon\nBERTH_METADATA_LOCKDOWN=maybe\n" +
			"ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION=10s\nECS_INSTANCE_ATTRIBUTES=[1]\nECS_CONTAINER_INSTANCE_TAGS={\"aws:x\":\"y\"}\n" +
			"BERTH_IMDS_V1=sometimes\nBERTH_CREDENTIALS_ADDR=localhost\nECS_LOGLEVEL=loud\nAWS_DEFAULT_REGION=Mars\n" +
			"ECS_IMAGE_PULL_BEHAVIOR=never\nECS_DATADIR=relative\nECS_TASK_METADATA_RPS_LIMIT=40\nBERTH_IMDS_BLOCK=::1\n",
			[]string{"port 70000 out of range", "ECS_CONTAINER_STOP_TIMEOUT", "BERTH_METADATA_LOCKDOWN", "below the minimum 1m0s",
				"ECS_INSTANCE_ATTRIBUTES", "aws: prefix is reserved", "want allow or refuse", "BERTH_CREDENTIALS_ADDR",
				"ECS_LOGLEVEL", "not a region name", "prefer-cached", "ECS_DATADIR", "steady,burst", "IPv4"}},
		{"same address twice", "BERTH_IMDS_ADDR=127.0.0.1:9000\nBERTH_CREDENTIALS_ADDR=127.0.0.1:9000\n", []string{"both 127.0.0.1:9000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(writeFile(t, tc.file), nil)
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			if c.Cluster != "" {
				t.Errorf("partial config returned with the error: %+v", c)
			}
			for _, w := range tc.wantAll {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseEnvFile_Quotes(t *testing.T) {
	got, err := config.ParseEnvFile(strings.NewReader(`A="x \"y\" \\ z"
B='lit $HOME \n'
C=  spaced value  
D=
E="a#b"
`), "t")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": `x "y" \ z`, "B": `lit $HOME \n`, "C": "spaced value", "D": "", "E": "a#b"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
