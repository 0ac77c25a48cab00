// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package testutil

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// envEtcdChild makes a test binary that calls RunEtcdChildIfRequested in its
// TestMain serve as a standalone etcd on data dir $value.
const envEtcdChild = "BERTH_TESTUTIL_ETCD_DIR"

// RunEtcdChildIfRequested turns the test process into a standalone etcd
// member when StartEtcd launched it, and exits when its stdin closes. Call
// it first thing in TestMain.
func RunEtcdChildIfRequested() {
	dir := os.Getenv(envEtcdChild)
	if dir == "" {
		return
	}
	u, _ := url.Parse("http://127.0.0.1:0")
	cfg := embed.NewConfig()
	cfg.Name = "external"
	cfg.Dir = dir
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*u}, []url.URL{*u}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*u}, []url.URL{*u}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcd child:", err)
		os.Exit(1)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "etcd child: not ready in 30s")
		os.Exit(1)
	}
	fmt.Printf("READY http://%s\n", e.Clients[0].Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	e.Close()
	os.Exit(0)
}

// StartEtcd runs a single-member etcd in a separate process (this test
// binary re-executed; its TestMain must call RunEtcdChildIfRequested) and
// returns its client URL. The process is stopped when the test ends.
func StartEtcd(t testing.TB) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envEtcdChild+"="+t.TempDir())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if ep, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- ep
			}
		}
	}()
	select {
	case ep := <-ready:
		slog.Debug("external etcd ready", "endpoint", ep)
		return ep
	case <-time.After(30 * time.Second):
		t.Fatal("external etcd did not start in 30s")
		return ""
	}
}
