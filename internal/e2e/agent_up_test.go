// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/testutil"
)

// TestAgent_Up_Binary runs `berth up` twice on one data dir: the first run
// sets up the account, joins the host and registers it; the second reuses
// all of it (same container instance) and is ready faster. Ctrl-C
// (SIGINT) stops it cleanly both times.
func TestAgent_Up_Binary(t *testing.T) {
	agenttest.Docker(t)
	bin, dir := testutil.Binary(t), t.TempDir()
	instanceRE := regexp.MustCompile(`container instance\s+(\S+)`)
	readyRE := regexp.MustCompile(`ready in (\S+)\)`)
	var instances []string
	for i, want := range []string{"created Role ecsInstanceRole", "existed Role ecsInstanceRole"} {
		out := filepath.Join(t.TempDir(), "up.out")
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "up", "--data-dir", dir, "--listen", testutil.FreeAddr(t), "--netfilter", "false",
			"--imds-addr", testutil.FreeAddr(t), "--credentials-addr", testutil.FreeAddr(t))
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, dockerHostEnv()...)
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		var text string
		for !strings.Contains(text, "Next steps") {
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("run %d: berth up not ready in 30s:\n%s", i, text)
			}
			time.Sleep(20 * time.Millisecond)
			b, _ := os.ReadFile(out)
			text = string(b)
		}
		for _, s := range []string{want, "/console/", "credentials file", "AWS_ENDPOINT_URL="} {
			if !strings.Contains(text, s) {
				t.Errorf("run %d: output lacks %q:\n%s", i, s, text)
			}
		}
		if m := instanceRE.FindStringSubmatch(text); m != nil {
			instances = append(instances, m[1])
		}
		if m := readyRE.FindStringSubmatch(text); m != nil {
			t.Logf("run %d: berth up ready in %s", i, m[1])
		}
		_ = cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			b, _ := os.ReadFile(out)
			t.Fatalf("run %d: berth up after Ctrl-C: %v\n%s", i, err, b)
		}
		f.Close()
	}
	if len(instances) != 2 || instances[0] != instances[1] {
		t.Errorf("container instances across restarts = %q, want the same one twice", instances)
	}
}

// TestAgent_Up_NetNS_MetadataAt169254 runs `berth up --imds-addr
// 169.254.169.254:80 --netfilter true` inside a network namespace the test
// made (its "host"), with a second namespace as a bridge container:
//
//	netns host: berth up (control plane on its 127.0.0.1, agent, IMDS at 169.254.169.254:80)
//	            docker0 (bridge, 172.31.251.1/24) ── veth ── netns ctr: eth0 172.31.251.2/24
//
// The agent makes 169.254.169.254 local itself and serves EC2's iam/info
// there (naming the instance profile) to the host side; the container's
// connections are dropped by the lockdown's INPUT rule. Nothing here can
// reach outside the two namespaces, and every test-side connection is
// dialled from a thread verified to be in one of them.
func TestAgent_Up_NetNS_MetadataAt169254(t *testing.T) {
	agenttest.RequireIPTables(t)
	agenttest.Docker(t)
	host, ctr := agenttest.CreateNetNS(t), agenttest.CreateNetNS(t)
	for _, args := range [][]string{
		{"-n", host.Name, "link", "add", "docker0", "type", "bridge"},
		{"-n", host.Name, "addr", "add", "172.31.251.1/24", "dev", "docker0"},
		{"-n", host.Name, "link", "set", "docker0", "up"},
		{"-n", host.Name, "link", "add", "vhost", "type", "veth", "peer", "name", "eth0", "netns", ctr.Name},
		{"-n", host.Name, "link", "set", "vhost", "master", "docker0", "up"},
		{"-n", ctr.Name, "addr", "add", "172.31.251.2/24", "dev", "eth0"},
		{"-n", ctr.Name, "link", "set", "eth0", "up"},
		{"-n", ctr.Name, "route", "add", "default", "via", "172.31.251.1"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}

	bin, dir := testutil.Binary(t), t.TempDir()
	out := filepath.Join(t.TempDir(), "up.out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("ip", "netns", "exec", host.Name, bin, "up", "--data-dir", dir, "--listen", "127.0.0.1:4566",
		"--imds-addr", "169.254.169.254:80", "--credentials-addr", "127.0.0.1:51679", "--netfilter", "true")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, dockerHostEnv()...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	text := func() string { b, _ := os.ReadFile(out); return string(b) }
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(text(), "Next steps") {
		if time.Now().After(deadline) {
			t.Fatalf("berth up in the netns not ready in 60s:\n%s", text())
		}
		time.Sleep(50 * time.Millisecond)
	}

	hc := netnsClient(t, host, 5*time.Second)
	req, _ := http.NewRequest(http.MethodPut, "http://169.254.169.254/latest/api/token", nil)
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "60")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("host side: token from 169.254.169.254: %v\n%s", err, text())
	}
	tok, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	req, _ = http.NewRequest(http.MethodGet, "http://169.254.169.254/latest/meta-data/iam/info", nil)
	req.Header.Set("X-aws-ec2-metadata-token", string(tok))
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var info map[string]string
	if err := json.Unmarshal(body, &info); err != nil || resp.StatusCode != 200 || info["Code"] != "Success" ||
		!strings.HasSuffix(info["InstanceProfileArn"], ":instance-profile/ecsInstanceRole") || !strings.HasPrefix(info["InstanceProfileId"], "AIPA") {
		t.Errorf("iam/info at 169.254.169.254 = %d %s (%v)", resp.StatusCode, body, err)
	}
	addrs, err := exec.Command("ip", "-n", host.Name, "-o", "-4", "addr", "show", "to", "169.254.169.254/32").CombinedOutput()
	if err != nil || strings.Count(string(addrs), "169.254.169.254/32") != 1 {
		t.Errorf("169.254.169.254/32 in the host netns: %s %v; want it once", addrs, err)
	}
	t.Logf("assigned by the agent: %s", strings.TrimSpace(string(addrs)))

	_, err = netnsClient(t, ctr, time.Second).Get("http://169.254.169.254/latest/meta-data/")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("bridge container → 169.254.169.254: %v; want a timeout (dropped by the lockdown)", err)
	}
	rules, err := exec.Command("ip", "netns", "exec", host.Name, "iptables", "-w", "5", "-L", "INPUT", "-v", "-n", "-x").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	var dropped bool
	for _, l := range strings.Split(string(rules), "\n") {
		fl := strings.Fields(l)
		if len(fl) >= 9 && fl[0] != "0" && fl[2] == "DROP" && fl[5] == "docker+" && fl[8] == "169.254.169.254" {
			dropped = true
		}
	}
	if !dropped {
		t.Errorf("no packets counted by the INPUT rule docker+ → 169.254.169.254:\n%s", rules)
	}

	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("berth up after Ctrl-C: %v\n%s", err, text())
	}
}
