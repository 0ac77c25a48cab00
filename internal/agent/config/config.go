// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// DefaultPath is where the agent reads its configuration file.
const DefaultPath = "/etc/ecs/ecs.config"

// PullBehavior is ECS_IMAGE_PULL_BEHAVIOR.
type PullBehavior string

// Pull behaviours, as the Amazon ECS agent names them.
const (
	PullDefault      PullBehavior = "default"       // pull; on failure use a cached image
	PullAlways       PullBehavior = "always"        // pull; on failure fail
	PullOnce         PullBehavior = "once"          // pull only the first time the agent sees the image
	PullPreferCached PullBehavior = "prefer-cached" // pull only if the image is not present
)

// IMDSv1Mode is BERTH_IMDS_V1.
type IMDSv1Mode string

// IMDSv1 modes.
const (
	IMDSv1Refuse IMDSv1Mode = "refuse" // token required (HttpTokens=required)
	IMDSv1Allow  IMDSv1Mode = "allow"
)

// Config is the agent's complete configuration.
type Config struct {
	Cluster              string        // ECS_CLUSTER (name or ARN)
	BackendHost          string        // ECS_BACKEND_HOST, with a scheme
	Region               string        // AWS_DEFAULT_REGION, else AWS_REGION
	LogLevel             slog.Level    // ECS_LOGLEVEL
	ReservedMemoryMiB    int64         // ECS_RESERVED_MEMORY
	ReservedPorts        []uint16      // ECS_RESERVED_PORTS
	ReservedPortsUDP     []uint16      // ECS_RESERVED_PORTS_UDP
	ContainerStopTimeout time.Duration // ECS_CONTAINER_STOP_TIMEOUT
	TaskCleanupWait      time.Duration // ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION
	InstanceAttributes   map[string]string
	InstanceTags         map[string]string
	DataDir              string       // ECS_DATADIR
	AWSVPCBlockIMDS      bool         // ECS_AWSVPC_BLOCK_IMDS (kept; berth runs no awsvpc tasks)
	ImagePullBehavior    PullBehavior // ECS_IMAGE_PULL_BEHAVIOR
	TaskMetadataRPS      int          // ECS_TASK_METADATA_RPS_LIMIT "steady,burst"
	TaskMetadataBurst    int
	LocalhostFilter      bool   // !ECS_SKIP_LOCALHOST_TRAFFIC_FILTER
	DockerHost           string // DOCKER_HOST

	IMDSAddr            netip.AddrPort   // BERTH_IMDS_ADDR: where the metadata service listens
	IMDSv1              IMDSv1Mode       // BERTH_IMDS_V1
	CredentialsAddr     netip.AddrPort   // BERTH_CREDENTIALS_ADDR: where the task endpoint listens
	CredentialsEndpoint netip.AddrPort   // BERTH_CREDENTIALS_ENDPOINT: the address tasks are told (DNAT'd)
	MetadataLockdown    bool             // BERTH_METADATA_LOCKDOWN
	IMDSBlock           []netip.AddrPort // BERTH_IMDS_BLOCK: addresses containers may not reach (port 0: all)
	BridgeInterfaces    []string         // BERTH_BRIDGE_INTERFACES
	Netfilter           bool             // BERTH_NETFILTER: manage iptables at all
	NetfilterInterval   time.Duration    // BERTH_NETFILTER_INTERVAL
	HostSecretFile      string           // BERTH_HOST_SECRET_FILE

	// Ignored lists the ECS_ keys that were set but mean nothing to berth.
	Ignored []string
}

// Default returns the configuration with nothing set.
func Default() Config {
	return Config{
		Cluster:              "default",
		LogLevel:             slog.LevelInfo,
		ReservedPorts:        []uint16{22, 2375, 2376, 51678, 51679},
		ReservedPortsUDP:     []uint16{},
		ContainerStopTimeout: 30 * time.Second,
		TaskCleanupWait:      3 * time.Hour,
		InstanceAttributes:   map[string]string{},
		InstanceTags:         map[string]string{},
		DataDir:              "/var/lib/berth/agent",
		ImagePullBehavior:    PullDefault,
		TaskMetadataRPS:      40,
		TaskMetadataBurst:    60,
		LocalhostFilter:      true,
		IMDSAddr:             netip.MustParseAddrPort("169.254.169.254:80"),
		IMDSv1:               IMDSv1Refuse,
		CredentialsAddr:      netip.MustParseAddrPort("127.0.0.1:51679"),
		CredentialsEndpoint:  netip.MustParseAddrPort("169.254.170.2:80"),
		MetadataLockdown:     true,
		IMDSBlock:            []netip.AddrPort{netip.AddrPortFrom(netip.MustParseAddr("169.254.169.254"), 0)},
		BridgeInterfaces:     []string{"docker+", "br-+"},
		Netfilter:            true,
		NetfilterInterval:    time.Minute,
	}
}

// Load reads the file at path ("" for none) and then applies the
// environment (KEY=VALUE strings, as os.Environ returns) over it. It
// returns a complete, validated Config or every problem found.
func Load(path string, environ []string) (Config, error) {
	if path == "" {
		return LoadReader(nil, "", environ)
	}
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	return LoadReader(f, path, environ)
}

// LoadReader is Load with the file's content read from r (nil for no
// file); name names it in errors (a path, or an s3:// URL).
func LoadReader(r io.Reader, name string, environ []string) (Config, error) {
	vals := map[string]string{}
	var errs []error
	if r != nil {
		fileVals, err := ParseEnvFile(r, name)
		if err != nil {
			return Config{}, err
		}
		for k, v := range fileVals {
			if strings.HasPrefix(k, "BERTH_") && setters[k] == nil {
				errs = append(errs, fmt.Errorf("config: %s: unknown berth key %s", name, k))
			}
			vals[k] = v
		}
	}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && (setters[k] != nil || strings.HasPrefix(k, "ECS_")) {
			vals[k] = v
		}
	}
	c, err := FromValues(vals)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// FromValues builds a Config from key/value pairs over Default.
func FromValues(vals map[string]string) (Config, error) {
	c := Default()
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		set := setters[k]
		switch {
		case set != nil:
			if err := set(&c, vals[k]); err != nil {
				errs = append(errs, fmt.Errorf("config: %s=%q: %w", k, vals[k], err))
			}
		case strings.HasPrefix(k, "ECS_"):
			c.Ignored = append(c.Ignored, k)
		}
	}
	if _, ok := vals["AWS_DEFAULT_REGION"]; !ok {
		if r, ok := vals["AWS_REGION"]; ok && c.Region == "" {
			c.Region = r
		}
	}
	if c.HostSecretFile == "" {
		c.HostSecretFile = filepath.Join(c.DataDir, "host-secret")
	}
	if err := c.validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

func (c *Config) validate() error {
	var errs []error
	if c.CredentialsAddr == c.IMDSAddr {
		errs = append(errs, fmt.Errorf("config: BERTH_IMDS_ADDR and BERTH_CREDENTIALS_ADDR are both %s", c.IMDSAddr))
	}
	if !filepath.IsAbs(c.DataDir) {
		errs = append(errs, fmt.Errorf("config: ECS_DATADIR=%q: want an absolute path", c.DataDir))
	}
	return errors.Join(errs...)
}

// BlockTargets returns the addresses the metadata lockdown keeps
// containers from: IMDSBlock plus the metadata service's own address when
// it is not loopback (containers reach loopback only through DNAT).
func (c Config) BlockTargets() []netip.AddrPort {
	out := append([]netip.AddrPort(nil), c.IMDSBlock...)
	if c.IMDSAddr.Addr().IsLoopback() || c.IMDSAddr.Addr().IsUnspecified() {
		return out
	}
	for _, b := range out {
		if b == c.IMDSAddr || (b.Port() == 0 && b.Addr() == c.IMDSAddr.Addr()) {
			return out // already blocked (port 0 blocks every port)
		}
	}
	return append(out, c.IMDSAddr)
}
