// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// setters maps every key berth reads to its parser.
var setters = map[string]func(*Config, string) error{
	"ECS_CLUSTER": func(c *Config, v string) error {
		if v == "" {
			return errors.New("empty cluster")
		}
		c.Cluster = v
		return nil
	},
	"ECS_BACKEND_HOST":   setBackendHost,
	"AWS_DEFAULT_REGION": func(c *Config, v string) error { return setRegion(&c.Region, v) },
	"AWS_REGION": func(c *Config, v string) error {
		var r string
		return setRegion(&r, v) // applied in FromValues when AWS_DEFAULT_REGION is absent
	},
	"ECS_LOGLEVEL": setLogLevel,
	"ECS_RESERVED_MEMORY": func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return errors.New("want a non-negative number of MiB")
		}
		c.ReservedMemoryMiB = n
		return nil
	},
	"ECS_RESERVED_PORTS":     func(c *Config, v string) error { return setPorts(&c.ReservedPorts, v) },
	"ECS_RESERVED_PORTS_UDP": func(c *Config, v string) error { return setPorts(&c.ReservedPortsUDP, v) },
	"ECS_CONTAINER_STOP_TIMEOUT": func(c *Config, v string) error {
		return setDuration(&c.ContainerStopTimeout, v, time.Second)
	},
	"ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION": func(c *Config, v string) error {
		return setDuration(&c.TaskCleanupWait, v, time.Minute)
	},
	"ECS_INSTANCE_ATTRIBUTES":     setAttributes,
	"ECS_CONTAINER_INSTANCE_TAGS": setTags,
	"ECS_DATADIR": func(c *Config, v string) error {
		if !filepath.IsAbs(v) {
			return errors.New("want an absolute path")
		}
		c.DataDir = filepath.Clean(v)
		return nil
	},
	"ECS_AWSVPC_BLOCK_IMDS": func(c *Config, v string) error { return setBool(&c.AWSVPCBlockIMDS, v) },
	"ECS_IMAGE_PULL_BEHAVIOR": func(c *Config, v string) error {
		switch p := PullBehavior(strings.ToLower(v)); p {
		case PullDefault, PullAlways, PullOnce, PullPreferCached:
			c.ImagePullBehavior = p
			return nil
		}
		return errors.New("want default, always, once or prefer-cached")
	},
	"ECS_TASK_METADATA_RPS_LIMIT": setRPS,
	"ECS_SKIP_LOCALHOST_TRAFFIC_FILTER": func(c *Config, v string) error {
		var skip bool
		err := setBool(&skip, v)
		c.LocalhostFilter = !skip
		return err
	},
	"DOCKER_HOST": func(c *Config, v string) error {
		if !strings.Contains(v, "://") {
			return errors.New("want a URL such as unix:///var/run/docker.sock")
		}
		c.DockerHost = v
		return nil
	},
	"BERTH_IMDS_ADDR":            func(c *Config, v string) error { return setAddrPort(&c.IMDSAddr, v) },
	"BERTH_CREDENTIALS_ADDR":     func(c *Config, v string) error { return setAddrPort(&c.CredentialsAddr, v) },
	"BERTH_CREDENTIALS_ENDPOINT": func(c *Config, v string) error { return setAddrPort(&c.CredentialsEndpoint, v) },
	"BERTH_IMDS_V1": func(c *Config, v string) error {
		switch m := IMDSv1Mode(strings.ToLower(v)); m {
		case IMDSv1Allow, IMDSv1Refuse:
			c.IMDSv1 = m
			return nil
		}
		return errors.New("want allow or refuse")
	},
	"BERTH_METADATA_LOCKDOWN": func(c *Config, v string) error { return setBool(&c.MetadataLockdown, v) },
	"BERTH_IMDS_BLOCK":        setBlock,
	"BERTH_BRIDGE_INTERFACES": func(c *Config, v string) error {
		var out []string
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if !ifaceRE.MatchString(f) {
				return fmt.Errorf("%q is not an interface name or pattern (name+)", f)
			}
			out = append(out, f)
		}
		c.BridgeInterfaces = out
		return nil
	},
	"BERTH_NETFILTER": func(c *Config, v string) error { return setBool(&c.Netfilter, v) },
	"BERTH_NETFILTER_INTERVAL": func(c *Config, v string) error {
		return setDuration(&c.NetfilterInterval, v, time.Second)
	},
	"BERTH_HOST_SECRET_FILE": func(c *Config, v string) error {
		if !filepath.IsAbs(v) {
			return errors.New("want an absolute path")
		}
		c.HostSecretFile = v
		return nil
	},
}

// Keys returns every key berth reads, sorted.
func Keys() []string {
	out := make([]string, 0, len(setters))
	for k := range setters {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var (
	ifaceRE  = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,15}\+?$`)
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	attrName = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]{1,128}$`)
	attrVal  = regexp.MustCompile(`^[a-zA-Z0-9_.\-@/: ]{0,128}$`)
)

func setBool(dst *bool, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("want true or false")
	}
	*dst = b
	return nil
}

func setDuration(dst *time.Duration, v string, min time.Duration) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return errors.New("want a duration such as 30s or 3h")
	}
	if d < min {
		return fmt.Errorf("%s is below the minimum %s", d, min)
	}
	*dst = d
	return nil
}

func setRegion(dst *string, v string) error {
	if !regionRE.MatchString(v) {
		return errors.New("not a region name such as us-east-1")
	}
	*dst = v
	return nil
}

func setBackendHost(c *Config, v string) error {
	if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		v = "https://" + v
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return errors.New("want a host or URL such as https://berth.example:4566")
	}
	c.BackendHost = v
	return nil
}

func setLogLevel(c *Config, v string) error {
	switch strings.ToLower(v) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	case "crit":
		c.LogLevel = slog.LevelError + 4
	default:
		return errors.New("want debug, info, warn, error or crit")
	}
	return nil
}

func setPorts(dst *[]uint16, v string) error {
	var ports []int
	if err := json.Unmarshal([]byte(v), &ports); err != nil {
		return errors.New("want a JSON array of ports such as [22, 2375]")
	}
	out := make([]uint16, 0, len(ports))
	for _, p := range ports {
		if p < 1 || p > 65535 {
			return fmt.Errorf("port %d out of range 1-65535", p)
		}
		out = append(out, uint16(p))
	}
	*dst = out
	return nil
}

func setAttributes(c *Config, v string) error {
	m := map[string]string{}
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return errors.New(`want a JSON object of strings such as {"stack":"prod"}`)
	}
	for k, val := range m {
		if !attrName.MatchString(k) {
			return fmt.Errorf("attribute name %q: 1-128 letters, digits, _ . - /", k)
		}
		if !attrVal.MatchString(val) {
			return fmt.Errorf("attribute %q value: up to 128 letters, digits, _ . - @ / : or spaces", k)
		}
	}
	c.InstanceAttributes = m
	return nil
}

func setTags(c *Config, v string) error {
	m := map[string]string{}
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return errors.New(`want a JSON object of strings such as {"team":"a"}`)
	}
	for k, val := range m {
		switch {
		case k == "" || len(k) > 128:
			return fmt.Errorf("tag key %q: 1-128 characters", k)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return fmt.Errorf("tag key %q: the aws: prefix is reserved", k)
		case len(val) > 256:
			return fmt.Errorf("tag %q value: up to 256 characters", k)
		}
	}
	c.InstanceTags = m
	return nil
}

func setRPS(c *Config, v string) error {
	a, b, ok := strings.Cut(v, ",")
	steady, err1 := strconv.Atoi(strings.TrimSpace(a))
	burst, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || steady < 1 || burst < steady {
		return errors.New("want steady,burst such as 40,60 with burst >= steady >= 1")
	}
	c.TaskMetadataRPS, c.TaskMetadataBurst = steady, burst
	return nil
}

func setAddrPort(dst *netip.AddrPort, v string) error {
	ap, err := netip.ParseAddrPort(v)
	if err != nil || ap.Port() == 0 {
		return errors.New("want IP:port such as 127.0.0.1:51679")
	}
	*dst = ap
	return nil
}

func setBlock(c *Config, v string) error {
	var out []netip.AddrPort
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil && a.Is4() {
			out = append(out, netip.AddrPortFrom(a, 0))
			continue
		}
		ap, err := netip.ParseAddrPort(f)
		if err != nil || !ap.Addr().Is4() {
			return fmt.Errorf("%q: want an IPv4 address or IPv4:port", f)
		}
		out = append(out, ap)
	}
	c.IMDSBlock = out
	return nil
}
