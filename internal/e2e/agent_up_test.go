// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
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

func dockerHostEnv() []string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return []string{"DOCKER_HOST=" + h}
	}
	return nil
}
