// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/berthdev/berth/internal/store"
)

// backend opens isolated Stores of one kind for the conformance suite.
type backend struct {
	name string
	// open returns a fresh Store, closed at the end of t. Stores from
	// different calls never see each other's data.
	open func(t testing.TB) *store.Store
}

// testLogger discards logs unless BERTH_STORE_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("BERTH_STORE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func openStore(t testing.TB, cfg store.Config) *store.Store {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// embeddedBackend gives each Store its own embedded member in a temp dir.
func embeddedBackend() backend {
	return backend{name: "Embedded", open: func(t testing.TB) *store.Store {
		return openStore(t, store.Config{DataDir: t.TempDir()})
	}}
}

var prefixSeq atomic.Int64

// externalBackend gives each Store its own key prefix on the shared etcd
// process.
func externalBackend(t testing.TB) backend {
	endpoint := sharedEtcd(t)
	return backend{name: "External", open: func(t testing.TB) *store.Store {
		return openStore(t, store.Config{
			Endpoints: []string{endpoint},
			Prefix:    fmt.Sprintf("/berth-test/%d/", prefixSeq.Add(1)),
		})
	}}
}

// etcdProc is a separate etcd process: this test binary re-executed with
// envEtcd set.
type etcdProc struct {
	dir      string
	cmd      *exec.Cmd
	stdin    io.Closer
	endpoint string
}

var shared struct {
	once sync.Once
	proc *etcdProc
	err  error
}

// sharedEtcd starts one etcd process for the whole test binary, stopped
// by TestMain, and returns its client URL.
func sharedEtcd(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "berth-store-etcd-")
		if err != nil {
			shared.err = err
			return
		}
		shared.proc, shared.err = startEtcdProcess(dir)
	})
	if shared.err != nil {
		t.Fatalf("start etcd process: %v", shared.err)
	}
	return shared.proc.endpoint
}

func stopSharedEtcd() {
	if shared.proc != nil {
		shared.proc.stop()
		os.RemoveAll(shared.proc.dir)
	}
}

// startEtcdProcess starts etcd in a child process and waits for it to print
// its client URL.
func startEtcdProcess(dir string) (*etcdProc, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envEtcd+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // the child exits when this closes
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &etcdProc{dir: dir, cmd: cmd, stdin: stdin}
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if u, ok := strings.CutPrefix(s.Text(), "READY "); ok {
				line <- u
			}
		}
		close(line)
	}()
	select {
	case u, ok := <-line:
		if !ok {
			p.stop()
			return nil, fmt.Errorf("etcd process exited before it was ready")
		}
		p.endpoint = u
		return p, nil
	case <-time.After(30 * time.Second):
		p.stop()
		return nil, fmt.Errorf("etcd process not ready after 30s")
	}
}

// stop kills the process (SIGKILL) and reaps it.
func (p *etcdProc) stop() {
	p.stdin.Close()
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

// runEtcdChild is the etcd process: an embed.Etcd on free loopback ports,
// as a plain etcd binary would run, until stdin closes or it is killed.
func runEtcdChild(dir string) int {
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
		return 1
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "etcd child: not ready")
		return 1
	}
	fmt.Printf("READY http://%s\n", e.Clients[0].Addr())
	stdinClosed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case err := <-e.Err():
		fmt.Fprintln(os.Stderr, "etcd child:", err)
		return 1
	case <-stdinClosed:
		return 0
	}
}
