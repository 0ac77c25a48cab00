// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package netfilter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/netfilter"
)

// nsExec returns a netfilter.Exec that runs every command inside the
// network namespace ns (ip netns exec).
func nsExec(ns string) netfilter.Exec {
	return func(ctx context.Context, name string, args ...string) ([]byte, error) {
		full := append([]string{"netns", "exec", ns, name}, args...)
		out, err := exec.CommandContext(ctx, "ip", full...).CombinedOutput()
		if err != nil {
			return out, fmt.Errorf("ip %s: %w: %s", strings.Join(full, " "), err, bytes.TrimSpace(out))
		}
		return out, nil
	}
}

func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// get dials addr from inside ns and GETs /; it returns the body, or the
// dial or request error.
func get(t *testing.T, ns *agenttest.NetNS, addr string, timeout time.Duration) (string, error) {
	t.Helper()
	var conn net.Conn
	var err error
	ns.Do(t, func() { conn, err = net.DialTimeout("tcp4", addr, timeout) })
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\nHost: imds\r\n\r\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		return "", err
	}
	_, body, _ := strings.Cut(string(b), "\r\n\r\n")
	return body, nil
}

// TestLocalAddress_NetNS_LockdownDropsBridgeContainers builds, entirely
// inside two network namespaces the test made, a host and a bridge
// container:
//
//	netns host: docker0 (bridge, 172.31.250.1/24) ── veth ── netns ctr: eth0 172.31.250.2/24
//	            berth-imds (dummy, 169.254.169.254/32 by LocalAddress)
//	            a listener on 169.254.169.254:80
//
// It shows LocalAddress makes 169.254.169.254 local (idempotently) so the
// listener can bind it and the host side reaches it; the container
// reaches it too until the lockdown is installed; then the container's
// packets are dropped by the lockdown's INPUT rule (the address is local,
// so they never reach FORWARD) while the host side still gets through.
// No packet to 169.254.169.254 leaves these namespaces: every dial runs on
// a thread verified to be in one of them.
func TestLocalAddress_NetNS_LockdownDropsBridgeContainers(t *testing.T) {
	agenttest.RequireIPTables(t)
	host := agenttest.CreateNetNS(t)
	ctr := agenttest.CreateNetNS(t)
	ctx := context.Background()

	ip(t, "-n", host.Name, "link", "add", "docker0", "type", "bridge")
	ip(t, "-n", host.Name, "addr", "add", "172.31.250.1/24", "dev", "docker0")
	ip(t, "-n", host.Name, "link", "set", "docker0", "up")
	ip(t, "-n", host.Name, "link", "add", "vhost", "type", "veth", "peer", "name", "eth0", "netns", ctr.Name)
	ip(t, "-n", host.Name, "link", "set", "vhost", "master", "docker0", "up")
	ip(t, "-n", ctr.Name, "addr", "add", "172.31.250.2/24", "dev", "eth0")
	ip(t, "-n", ctr.Name, "link", "set", "eth0", "up")
	ip(t, "-n", ctr.Name, "route", "add", "default", "via", "172.31.250.1")

	imdsAddr := netip.MustParseAddr("169.254.169.254")
	la := &netfilter.LocalAddress{Addr: imdsAddr, Exec: nsExec(host.Name), SysRoot: t.TempDir(), Logger: quiet}
	changed, err := la.Ensure(ctx)
	if err != nil || !changed {
		t.Fatalf("LocalAddress.Ensure = %v, %v; want the address assigned", changed, err)
	}
	if changed, err := la.Ensure(ctx); err != nil || changed {
		t.Fatalf("second LocalAddress.Ensure = %v, %v; want nothing to do", changed, err)
	}
	// berth-imds, or lo on a kernel without the dummy driver.
	out, err := nsExec(host.Name)(ctx, "ip", "-o", "-4", "addr", "show", "to", "169.254.169.254/32")
	if err != nil || strings.Count(string(out), "169.254.169.254/32") != 1 {
		t.Fatalf("addresses: %s %v; want 169.254.169.254/32 once", out, err)
	}
	t.Logf("assigned: %s", bytes.TrimSpace(out))

	var ln net.Listener
	host.Do(t, func() { ln, err = net.Listen("tcp4", "169.254.169.254:80") })
	if err != nil {
		t.Fatalf("listening on 169.254.169.254:80 in the host netns: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metadata") }),
		ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	const target = "169.254.169.254:80"
	if body, err := get(t, host, target, 5*time.Second); err != nil || body != "metadata" {
		t.Fatalf("host side: %q, %v; want the metadata listener", body, err)
	}
	if body, err := get(t, ctr, target, 5*time.Second); err != nil || body != "metadata" {
		t.Fatalf("container before the lockdown: %q, %v; want it to get through (else the topology is wrong, not the lockdown right)", body, err)
	}

	nf, err := netfilter.NewIPTables(netfilter.Config{Comment: agenttest.Comment(), Lockdown: true,
		BlockTargets: []netip.AddrPort{netip.AddrPortFrom(imdsAddr, 0)}}, netfilter.Deps{Exec: nsExec(host.Name), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := nf.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = get(t, ctr, target, time.Second)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("container with the lockdown: err %v; want a dial timeout (packets dropped)", err)
	}
	if body, err := get(t, host, target, 5*time.Second); err != nil || body != "metadata" {
		t.Fatalf("host side with the lockdown: %q, %v; want it to get through", body, err)
	}
	// The INPUT rule is the one that dropped the container's SYNs.
	rules, err := nsExec(host.Name)(ctx, "iptables", "-w", "5", "-t", "filter", "-L", "INPUT", "-v", "-n", "-x")
	if err != nil {
		t.Fatal(err)
	}
	if n := droppedBy(string(rules), "docker+", "169.254.169.254"); n == 0 {
		t.Errorf("the INPUT rule for docker+ → 169.254.169.254 counted no packets:\n%s", rules)
	}
	if err := nf.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if body, err := get(t, ctr, target, 5*time.Second); err != nil || body != "metadata" {
		t.Fatalf("container after Remove: %q, %v; want it to get through again", body, err)
	}
}

// droppedBy returns the packet count of the DROP rule for in → dst in
// `iptables -L -v -n -x` output.
func droppedBy(listing, in, dst string) int {
	for _, line := range strings.Split(listing, "\n") {
		f := strings.Fields(line)
		// pkts bytes target prot opt in out source destination
		if len(f) >= 9 && f[2] == "DROP" && f[5] == in && f[8] == dst {
			n, _ := strconv.Atoi(f[0])
			return n
		}
	}
	return 0
}
