// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package netfilter_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agent/netfilter"
)

var quiet = slog.New(slog.DiscardHandler)

type exitErr int

func (e exitErr) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
func (e exitErr) ExitCode() int { return int(e) }

// fakeIPT emulates iptables and iptables-save over in-memory chains.
type fakeIPT struct {
	mu     sync.Mutex
	chains map[string][]string // "table/chain" → rules (spec joined by spaces)
}

func newFakeIPT(dockerUser bool) *fakeIPT {
	f := &fakeIPT{chains: map[string][]string{}}
	for _, c := range []string{"filter/INPUT", "filter/FORWARD", "filter/OUTPUT", "nat/PREROUTING", "nat/INPUT", "nat/OUTPUT", "nat/POSTROUTING"} {
		f.chains[c] = nil
	}
	if dockerUser {
		f.chains["filter/DOCKER-USER"] = []string{"-j RETURN"}
	}
	return f
}

func (f *fakeIPT) exec(_ context.Context, name string, args ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name == "iptables-save" {
		table := args[1]
		var b strings.Builder
		fmt.Fprintf(&b, "*%s\n", table)
		var keys []string
		for k := range f.chains {
			if strings.HasPrefix(k, table+"/") {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, r := range f.chains[k] {
				fmt.Fprintf(&b, "-A %s %s\n", strings.TrimPrefix(k, table+"/"), r)
			}
		}
		b.WriteString("COMMIT\n")
		return []byte(b.String()), nil
	}
	if args[0] == "-w" {
		args = args[2:]
	}
	table := "filter"
	if args[0] == "-t" {
		table, args = args[1], args[2:]
	}
	op, chain := args[0], ""
	if len(args) > 1 {
		chain = args[1]
	}
	key := table + "/" + chain
	rules, ok := f.chains[key]
	if !ok {
		return []byte("No chain/target/match by that name."), exitErr(1)
	}
	switch op {
	case "-S":
		return []byte(strings.Join(rules, "\n")), nil
	case "-C":
		if slices.Contains(rules, strings.Join(args[2:], " ")) {
			return nil, nil
		}
		return nil, exitErr(1)
	case "-A":
		f.chains[key] = append(rules, strings.Join(args[2:], " "))
	case "-I":
		f.chains[key] = append([]string{strings.Join(args[3:], " ")}, rules...)
	case "-D":
		i := slices.Index(rules, strings.Join(args[2:], " "))
		if i < 0 {
			return []byte("Bad rule"), exitErr(1)
		}
		f.chains[key] = slices.Delete(rules, i, i+1)
	default:
		return nil, exitErr(2)
	}
	return nil, nil
}

func (f *fakeIPT) rules() map[string][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]string{}
	for k, v := range f.chains {
		if len(v) > 0 {
			out[k] = slices.Clone(v)
		}
	}
	return out
}

func (f *fakeIPT) flush(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chains[key] = nil
}

func testConfig() netfilter.Config {
	return netfilter.Config{
		Comment:             "berth-agent",
		Lockdown:            true,
		BlockTargets:        []netip.AddrPort{netip.MustParseAddrPort("169.254.169.254:0"), netip.MustParseAddrPort("172.17.0.1:51680")},
		CredentialsEndpoint: netip.MustParseAddrPort("169.254.170.2:80"),
		CredentialsListen:   netip.MustParseAddrPort("127.0.0.1:51679"),
		LocalhostFilter:     true,
	}
}

func sysctlDir(t *testing.T, v string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "net/ipv4/conf/all")
	os.MkdirAll(p, 0o755)
	os.WriteFile(filepath.Join(p, "route_localnet"), []byte(v+"\n"), 0o644)
	return dir
}

func readSysctl(t *testing.T, dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "net/ipv4/conf/all/route_localnet"))
	return strings.TrimSpace(string(b))
}

func TestIPTables_EnsureIdempotentAndRemoveOwnOnly(t *testing.T) {
	ipt := newFakeIPT(true)
	// Someone else's rules, one of them with a similar comment.
	ipt.chains["filter/INPUT"] = []string{"-p tcp --dport 22 -j ACCEPT", "-d 169.254.169.254/32 -j DROP -m comment --comment berth-agent-other"}
	dir := sysctlDir(t, "0")
	nf, err := netfilter.NewIPTables(testConfig(), netfilter.Deps{Exec: ipt.exec, SysctlDir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := nf.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	c := " -m comment --comment berth-agent"
	want := map[string][]string{
		"filter/DOCKER-USER": {
			"-i br-+ -d 172.17.0.1/32 -p tcp -m tcp --dport 51680 -j DROP" + c,
			"-i docker+ -d 172.17.0.1/32 -p tcp -m tcp --dport 51680 -j DROP" + c,
			"-i br-+ -d 169.254.169.254/32 -j DROP" + c,
			"-i docker+ -d 169.254.169.254/32 -j DROP" + c,
			"-j RETURN",
		},
		"filter/INPUT": {
			"-d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP" + c,
			"-i br-+ -d 172.17.0.1/32 -p tcp -m tcp --dport 51680 -j DROP" + c,
			"-i docker+ -d 172.17.0.1/32 -p tcp -m tcp --dport 51680 -j DROP" + c,
			"-i br-+ -d 169.254.169.254/32 -j DROP" + c,
			"-i docker+ -d 169.254.169.254/32 -j DROP" + c,
			"-p tcp --dport 22 -j ACCEPT",
			"-d 169.254.169.254/32 -j DROP -m comment --comment berth-agent-other",
		},
		"nat/PREROUTING": {"-d 169.254.170.2/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127.0.0.1:51679" + c},
		"nat/OUTPUT":     {"-d 169.254.170.2/32 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 51679" + c},
	}
	if d := cmp.Diff(want, ipt.rules()); d != "" {
		t.Fatalf("after Ensure (-want +got):\n%s", d)
	}
	if v := readSysctl(t, dir); v != "1" {
		t.Errorf("route_localnet = %s, want 1", v)
	}
	if err := nf.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, ipt.rules()); d != "" {
		t.Fatalf("second Ensure changed the rules (-want +got):\n%s", d)
	}
	if missing, err := nf.Check(ctx); err != nil || len(missing) != 0 {
		t.Errorf("Check after Ensure: %v %v", missing, err)
	}
	if err := nf.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	wantLeft := map[string][]string{
		"filter/DOCKER-USER": {"-j RETURN"},
		"filter/INPUT":       {"-p tcp --dport 22 -j ACCEPT", "-d 169.254.169.254/32 -j DROP -m comment --comment berth-agent-other"},
	}
	if d := cmp.Diff(wantLeft, ipt.rules()); d != "" {
		t.Errorf("after Remove (-want +got):\n%s", d)
	}
	if v := readSysctl(t, dir); v != "0" {
		t.Errorf("route_localnet after Remove = %s, want 0 restored", v)
	}
}

func TestIPTables_NoDockerUserUsesForward(t *testing.T) {
	ipt := newFakeIPT(false)
	cfg := netfilter.Config{Comment: "t", Lockdown: true, BlockTargets: []netip.AddrPort{netip.MustParseAddrPort("169.254.169.254:0")}, BridgeInterfaces: []string{"docker+"}}
	nf, err := netfilter.NewIPTables(cfg, netfilter.Deps{Exec: ipt.exec, SysctlDir: sysctlDir(t, "0"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := nf.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := ipt.rules()["filter/FORWARD"]; len(got) != 1 || !strings.HasPrefix(got[0], "-i docker+ -d 169.254.169.254/32 -j DROP") {
		t.Errorf("FORWARD = %q", got)
	}
}

func TestIPTables_CheckAndKeeperRepairFlush(t *testing.T) {
	ipt := newFakeIPT(true)
	nf, err := netfilter.NewIPTables(testConfig(), netfilter.Deps{Exec: ipt.exec, SysctlDir: sysctlDir(t, "1"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	repaired := make(chan []netfilter.Rule, 4)
	k := &netfilter.Keeper{Rules: nf, Interval: 10 * time.Millisecond, Logger: quiet, Repaired: func(m []netfilter.Rule) { repaired <- m }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan error, 1)
	go k.Run(ctx, started)
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	before := ipt.rules()
	ipt.flush("nat/PREROUTING")
	ipt.flush("filter/INPUT")
	select {
	case m := <-repaired:
		if len(m) != 6 {
			t.Errorf("repaired %d rules, want 6 (1 DNAT + 4 lockdown + 1 localhost filter): %v", len(m), m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("keeper did not repair the flush")
	}
	if d := cmp.Diff(before, ipt.rules()); d != "" {
		t.Errorf("after repair (-want +got):\n%s", d)
	}
}

func TestNewIPTables_Validation(t *testing.T) {
	tests := []struct {
		name string
		cfg  netfilter.Config
	}{
		{"no comment", netfilter.Config{}},
		{"comment with space", netfilter.Config{Comment: "a b"}},
		{"ipv6 target", netfilter.Config{Comment: "c", BlockTargets: []netip.AddrPort{netip.MustParseAddrPort("[::1]:0")}}},
		{"listen without port", netfilter.Config{Comment: "c", CredentialsEndpoint: netip.MustParseAddrPort("169.254.170.2:80"), CredentialsListen: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := netfilter.NewIPTables(tc.cfg, netfilter.Deps{}); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestFake(t *testing.T) {
	f := netfilter.NewFake(testConfig())
	ctx := context.Background()
	f.Ensure(ctx)
	if m, _ := f.Check(ctx); len(m) != 0 {
		t.Errorf("missing after Ensure: %v", m)
	}
	f.Flush()
	if m, _ := f.Check(ctx); len(m) == 0 {
		t.Errorf("nothing missing after Flush")
	}
	f.Remove(ctx)
	if len(f.Installed()) != 0 {
		t.Errorf("installed after Remove")
	}
}
