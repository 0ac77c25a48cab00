// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package app

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/config"
)

// run calls Main and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := Main(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestMain_Usage(t *testing.T) {
	code, out, _ := run(t)
	if code != 2 || !strings.Contains(out, "Usage:") {
		t.Errorf("no arguments: exit %d, %q; want 2 and the usage", code, out)
	}
	for _, c := range commands() {
		if !strings.Contains(out, "  "+c.name) {
			t.Errorf("usage lacks the %s command:\n%s", c.name, out)
		}
	}
	if code, out, _ := run(t, "--help"); code != 0 || !strings.Contains(out, "Commands:") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
	if code, _, errOut := run(t, "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := run(t, "version"); code != 0 || !strings.HasPrefix(out, "berth ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

// flagNames returns the flags a command registers, by running its --help
// through a flag set of the same registration.
func agentFlagNames() []string {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	var f agentFlags
	f.register(fs)
	var names []string
	fs.VisitAll(func(fl *flag.Flag) { names = append(names, fl.Name) })
	return names
}

// Every flag of berth agent and berth up is in its --help text, which
// exits 0.
func TestHelp_ListsFlags(t *testing.T) {
	code, out, _ := run(t, "agent", "--help")
	if code != 0 {
		t.Fatalf("agent --help: exit %d", code)
	}
	names := agentFlagNames()
	for _, want := range []string{"config", "endpoint", "cluster", "data-dir", "imds-addr", "credentials-addr", "join-token", "metadata-lockdown", "netfilter", "log-level"} {
		if !contains(names, want) {
			t.Errorf("berth agent has no --%s flag", want)
		}
	}
	for _, n := range names {
		if !strings.Contains(out, "  -"+n+" ") && !strings.Contains(out, "  -"+n+"\n") {
			t.Errorf("agent --help lacks -%s:\n%s", n, out)
		}
	}
	if !strings.Contains(out, "169.254.169.254:80") {
		t.Errorf("agent --help does not say where the metadata service listens by default:\n%s", out)
	}

	code, out, _ = run(t, "up", "--help")
	if code != 0 {
		t.Fatalf("up --help: exit %d", code)
	}
	for _, n := range []string{"listen", "data-dir", "region", "account-id", "imds-addr", "credentials-addr", "netfilter", "metadata-lockdown", "log-level", "log-format"} {
		if !strings.Contains(out, "  -"+n+" ") && !strings.Contains(out, "  -"+n+"\n") {
			t.Errorf("up --help lacks -%s:\n%s", n, out)
		}
	}
	if !strings.Contains(out, "127.0.0.1:51680") {
		t.Errorf("up --help does not show the loopback metadata default:\n%s", out)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Bad flags and flag values are usage errors: exit 2 with a message that
// names the flag, and nothing starts.
func TestBadFlags_UsageErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("BERTH_JOIN_TOKEN", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"agent", "--no-such-flag"}, "no-such-flag"},
		{[]string{"agent", "--endpoint", "http://127.0.0.1:1", "--metadata-lockdown", "maybe"}, "--metadata-lockdown"},
		{[]string{"agent", "--endpoint", "http://127.0.0.1:1", "--log-format", "xml"}, "--log-format"},
		{[]string{"agent", "--endpoint", "http://127.0.0.1:1", "--imds-addr", "not-an-address"}, "--imds-addr"},
		{[]string{"agent", "--endpoint", "http://127.0.0.1:1", "--netfilter", "sometimes"}, "--netfilter"},
		{[]string{"agent", "--endpoint", "http://127.0.0.1:1", "--log-level", "loud"}, "--log-level"},
		{[]string{"agent", "--endpoint", "http://127.0.0.1:1", "stray"}, "stray"},
		{[]string{"agent", "--data-dir", filepath.Join(dir, "d")}, "ECS_BACKEND_HOST"},
		{[]string{"up", "--netfilter", "sometimes", "--data-dir", dir}, "--netfilter"},
		{[]string{"up", "--imds-addr", "nowhere", "--data-dir", dir}, "--imds-addr"},
		{[]string{"up", "--log-level", "loud", "--data-dir", dir}, "--log-level"},
		{[]string{"up", "--no-such-flag"}, "no-such-flag"},
		{[]string{"up", "extra"}, "extra"},
	} {
		code, out, errOut := run(t, c.args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage); stderr %q", c.args, code, errOut)
			continue
		}
		if !strings.Contains(out+errOut, c.want) {
			t.Errorf("%q: output does not name %q:\nstdout %s\nstderr %s", c.args, c.want, out, errOut)
		}
	}
}

// gotSettings are the settings settingsFor loaded last.
var gotSettings config.Config

// settingsFor parses berth agent's flags and loads the settings.
func settingsFor(t *testing.T, args ...string) error {
	t.Helper()
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f agentFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	s, _, err := f.settings()
	gotSettings = s
	return err
}

// TestAgentSettings_Precedence: the ecs.config file, overridden by the
// environment, overridden by flags — key by key.
func TestAgentSettings_Precedence(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ecs.config")
	if err := os.WriteFile(p, []byte("ECS_CLUSTER=from-file\nECS_BACKEND_HOST=http://file:4566\nECS_DATADIR=/file/data\nECS_RESERVED_MEMORY=64\nBERTH_IMDS_ADDR=127.0.0.1:7001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ECS_CLUSTER", "ECS_BACKEND_HOST", "ECS_DATADIR", "ECS_RESERVED_MEMORY", "BERTH_IMDS_ADDR", "BERTH_AGENT_CONFIG", "ECS_LOGLEVEL", "BERTH_METADATA_LOCKDOWN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("ECS_CLUSTER", "from-env")
	t.Setenv("ECS_DATADIR", "/env/data")
	t.Setenv("BERTH_IMDS_ADDR", "127.0.0.1:7002")

	if err := settingsFor(t, "--config", p, "--cluster", "from-flag", "--metadata-lockdown", "false"); err != nil {
		t.Fatal(err)
	}
	s := gotSettings
	for _, c := range []struct{ what, got, want string }{
		{"cluster (file, env, flag)", s.Cluster, "from-flag"},
		{"data dir (file, env)", s.DataDir, "/env/data"},
		{"endpoint (file)", s.BackendHost, "http://file:4566"},
		{"imds (file, env)", s.IMDSAddr.String(), "127.0.0.1:7002"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if s.ReservedMemoryMiB != 64 || s.MetadataLockdown {
		t.Errorf("reserved memory %d (want 64 from the file), lockdown %v (want false from the flag)", s.ReservedMemoryMiB, s.MetadataLockdown)
	}

	// Without any setting, the metadata service is at 169.254.169.254:80.
	for _, k := range []string{"ECS_CLUSTER", "ECS_DATADIR", "BERTH_IMDS_ADDR"} {
		os.Unsetenv(k)
	}
	if err := settingsFor(t, "--config", filepath.Join(t.TempDir(), "empty")); err == nil {
		t.Error("a missing --config file is not an error")
	}
	empty := filepath.Join(t.TempDir(), "empty.config")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := settingsFor(t, "--config", empty); err != nil {
		t.Fatal(err)
	}
	if want := netip.MustParseAddrPort("169.254.169.254:80"); gotSettings.IMDSAddr != want || gotSettings.Cluster != "default" {
		t.Errorf("defaults: imds %s cluster %q, want %s and default", gotSettings.IMDSAddr, gotSettings.Cluster, want)
	}
}

// berth up keeps the metadata service on loopback unless asked; asking
// for 169.254.169.254:80 is honoured (the agent then makes it local).
func TestUpAgentSettings_IMDSAddr(t *testing.T) {
	cfg := upConfig{imdsAddr: "127.0.0.1:51680", credsAddr: "127.0.0.1:51679", netfilter: "false", lockdown: true}
	cfg.server.DataDir = t.TempDir()
	s, err := upAgentSettings(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.IMDSAddr != netip.MustParseAddrPort("127.0.0.1:51680") || s.Netfilter || !s.MetadataLockdown || s.DataDir != filepath.Join(cfg.server.DataDir, "agent") {
		t.Errorf("up settings: imds %s netfilter %v lockdown %v data %s", s.IMDSAddr, s.Netfilter, s.MetadataLockdown, s.DataDir)
	}
	cfg.imdsAddr = "169.254.169.254:80"
	if s, err = upAgentSettings(cfg); err != nil || s.IMDSAddr != netip.MustParseAddrPort("169.254.169.254:80") {
		t.Errorf("up --imds-addr 169.254.169.254:80: %s, %v", s.IMDSAddr, err)
	}
	// The lockdown blocks the metadata address once (port 0: every port).
	if got := s.BlockTargets(); len(got) != 1 || got[0] != netip.MustParseAddrPort("169.254.169.254:0") {
		t.Errorf("BlockTargets = %v, want [169.254.169.254:0]", got)
	}
}
