// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agenttest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireRoot skips the test unless it runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("not root: skipping a test that changes host networking")
	}
}

// RequireIPTables skips the test unless it runs as root with a working
// iptables (and iptables-save).
func RequireIPTables(t testing.TB) {
	t.Helper()
	RequireRoot(t)
	for _, b := range []string{"iptables", "iptables-save"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not found: skipping a test that needs iptables", b)
		}
	}
	if out, err := exec.Command("iptables", "-w", "5", "-S", "INPUT").CombinedOutput(); err != nil {
		t.Skipf("iptables does not work here (%v: %s): skipping", err, strings.TrimSpace(string(out)))
	}
}

// Comment returns a unique iptables comment for this test run:
// berth-test-<id>.
func Comment() string { return "berth-test-" + ID() }

// AddRule inserts a rule tagged with comment at the top of table/chain and
// deletes it in t.Cleanup. spec is the rule without -t/-I/chain and
// without the comment match.
func AddRule(t testing.TB, table, chain, comment string, spec ...string) {
	t.Helper()
	args := append([]string{"-w", "5", "-t", table, "-I", chain, "1"}, spec...)
	args = append(args, "-m", "comment", "--comment", comment)
	if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
		t.Fatalf("iptables %v: %v: %s", args, err, out)
	}
	t.Cleanup(func() {
		del := append([]string{"-w", "5", "-t", table, "-D", chain}, spec...)
		del = append(del, "-m", "comment", "--comment", comment)
		if out, err := exec.Command("iptables", del...).CombinedOutput(); err != nil {
			t.Logf("removing test rule %v: %v: %s", del, err, out)
		}
	})
}

// IPTablesS returns `iptables -t table -S [chain]`.
func IPTablesS(t testing.TB, table string, chain ...string) string {
	t.Helper()
	args := append([]string{"-w", "5", "-t", table, "-S"}, chain...)
	out, err := exec.Command("iptables", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("iptables %v: %v: %s", args, err, out)
	}
	return string(out)
}

// HasDockerUser reports whether the filter table has Docker's DOCKER-USER
// chain.
func HasDockerUser() bool {
	return exec.Command("iptables", "-w", "5", "-t", "filter", "-S", "DOCKER-USER").Run() == nil
}

// LinkLocalGuard drops, for the rest of the test, forwarded packets to the
// real metadata (169.254.169.254) and credentials (169.254.170.2)
// addresses in Docker's DOCKER-USER chain (FORWARD if it is missing): a
// belt-and-braces guard so no test container's packet can leave the host
// for them. A DNAT applied in PREROUTING happens before this chain, so a
// verified credentials DNAT still works.
func LinkLocalGuard(t testing.TB, comment string) {
	t.Helper()
	chain := "DOCKER-USER"
	if !HasDockerUser() {
		chain = "FORWARD"
	}
	for _, dst := range []string{"169.254.169.254/32", "169.254.170.2/32"} {
		AddRule(t, "filter", chain, comment+"-guard", "-d", dst, "-j", "DROP")
	}
}
