// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package netfilter_test

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/netfilter"
)

// iptablesSave returns the rules of both tables carrying comment.
func rulesWith(t *testing.T, comment string) []string {
	t.Helper()
	var out []string
	for _, table := range []string{"filter", "nat"} {
		b, err := exec.Command("iptables-save", "-t", table).CombinedOutput()
		if err != nil {
			t.Fatalf("iptables-save: %v %s", err, b)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "--comment "+comment+" ") || strings.HasSuffix(l, "--comment "+comment) {
				out = append(out, table+" "+l)
			}
		}
	}
	return out
}

// TestIPTables_Real_EnsureCheckRemove installs the full rule set with real
// iptables (test documentation addresses for the lockdown; the credentials
// DNAT rule is installed but no packet is sent), checks idempotence,
// repairs a deleted rule, and removes exactly its own rules. The sysctl is
// written under a temporary directory, not /proc/sys.
func TestIPTables_Real_EnsureCheckRemove(t *testing.T) {
	agenttest.RequireIPTables(t)
	agenttest.LockHostNetworking(t)
	comment := agenttest.Comment()
	cfg := netfilter.Config{
		Comment:             comment,
		Lockdown:            true,
		BlockTargets:        []netip.AddrPort{netip.MustParseAddrPort("198.51.100.7:0"), netip.MustParseAddrPort("198.51.100.8:8080")},
		CredentialsEndpoint: netip.MustParseAddrPort("169.254.170.2:80"),
		CredentialsListen:   netip.MustParseAddrPort("127.0.0.1:1"),
		LocalhostFilter:     true,
	}
	sysdir := sysctlDir(t, "0")
	nf, err := netfilter.NewIPTables(cfg, netfilter.Deps{SysctlDir: sysdir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { _ = nf.Remove(ctx) })
	if err := nf.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	installed := rulesWith(t, comment)
	// 2 targets × 2 interfaces × (forward + INPUT) + DNAT + REDIRECT + localhost filter.
	if len(installed) != 11 {
		t.Fatalf("installed %d rules, want 11:\n%s", len(installed), strings.Join(installed, "\n"))
	}
	nat := agenttest.IPTablesS(t, "nat", "PREROUTING")
	if !strings.Contains(nat, "-d 169.254.170.2/32 -p tcp -m tcp --dport 80 -m comment --comment "+comment+" -j DNAT --to-destination 127.0.0.1:1") {
		t.Errorf("DNAT rule not as expected:\n%s", nat)
	}
	if err := nf.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if again := rulesWith(t, comment); len(again) != len(installed) {
		t.Errorf("second Ensure: %d rules, want %d", len(again), len(installed))
	}
	// Delete one rule behind the agent's back: Check sees it, Ensure repairs.
	del := exec.Command("iptables", "-w", "5", "-t", "nat", "-D", "PREROUTING", "-d", "169.254.170.2/32", "-p", "tcp", "-m", "tcp", "--dport", "80",
		"-m", "comment", "--comment", comment, "-j", "DNAT", "--to-destination", "127.0.0.1:1")
	if out, err := del.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	missing, err := nf.Check(ctx)
	if err != nil || len(missing) != 1 || missing[0].Chain != "PREROUTING" {
		t.Fatalf("Check = %v %v, want the PREROUTING rule", missing, err)
	}
	if err := nf.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if missing, _ := nf.Check(ctx); len(missing) != 0 {
		t.Errorf("still missing after Ensure: %v", missing)
	}
	if err := nf.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if left := rulesWith(t, comment); len(left) != 0 {
		t.Errorf("left after Remove:\n%s", strings.Join(left, "\n"))
	}
	b, _ := os.ReadFile(filepath.Join(sysdir, "net/ipv4/conf/all/route_localnet"))
	if strings.TrimSpace(string(b)) != "0" {
		t.Errorf("route_localnet not restored: %s", b)
	}
}

// TestLockdown_Real_BridgeContainerCannotReachIMDS runs a fake metadata
// service (the probe image serving HTTP) in one test network and a client
// container in another, and shows the client reaches the fake IMDS with
// the lockdown off, cannot with it on, and can again after Remove. The
// blocked address is the fake IMDS container's: nothing is sent to the
// real metadata addresses (and a guard drops any forwarded packet to
// them during the test).
func TestLockdown_Real_BridgeContainerCannotReachIMDS(t *testing.T) {
	agenttest.RequireIPTables(t)
	eng := agenttest.Docker(t)
	img := agenttest.ProbeImage(t, eng)
	comment := agenttest.Comment()
	agenttest.LinkLocalGuard(t, comment)
	netIMDS := agenttest.CreateNetwork(t, eng, "imds")
	netClient := agenttest.CreateNetwork(t, eng, "client")
	_, imdsIP := agenttest.RunContainer(t, eng, agenttest.RunSpec{Image: img, Args: []string{"serve", "-addr", ":80"}, Network: netIMDS.Name})
	if !netIMDS.Subnet.Contains(imdsIP) {
		t.Fatalf("fake IMDS at %s, outside its test network %s", imdsIP, netIMDS.Subnet)
	}
	// Docker isolates user-defined networks from each other; this test's
	// own rules let the client network reach the fake IMDS network.
	fwd := "DOCKER-USER"
	if !agenttest.HasDockerUser() {
		fwd = "FORWARD"
	}
	agenttest.AddRule(t, "filter", fwd, comment+"-fwd", "-i", netIMDS.Bridge, "-o", netClient.Bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
	agenttest.AddRule(t, "filter", fwd, comment+"-fwd", "-i", netClient.Bridge, "-o", netIMDS.Bridge, "-j", "ACCEPT")

	url := "http://" + imdsIP.String() + "/latest/meta-data/"
	probe := func() (int, string) {
		return agenttest.RunToExit(t, eng, agenttest.RunSpec{Image: img, Network: netClient.Name,
			Args: []string{"get", "-url", url, "-timeout", "2s"}}, time.Minute)
	}
	if code, out := probe(); code != 0 {
		t.Fatalf("lockdown off: client exit %d (%s), want 0: the test network is not routable", code, out)
	}

	nf, err := netfilter.NewIPTables(netfilter.Config{
		Comment: comment, Lockdown: true,
		BlockTargets: []netip.AddrPort{netip.AddrPortFrom(imdsIP, 0)},
	}, netfilter.Deps{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { _ = nf.Remove(ctx) })
	if err := nf.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if code, out := probe(); code != 7 {
		t.Fatalf("lockdown on: client exit %d (%s), want 7 (unreachable)", code, out)
	}
	if err := nf.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if code, out := probe(); code != 0 {
		t.Fatalf("lockdown removed: client exit %d (%s), want 0", code, out)
	}
}
