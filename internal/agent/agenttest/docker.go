// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agenttest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/berthdev/berth/internal/agent/docker"
)

// Docker returns an Engine for the local daemon, or skips the test when
// there is none.
func Docker(t testing.TB) *docker.Engine {
	t.Helper()
	if os.Getenv("BERTH_SKIP_DOCKER_TESTS") != "" {
		t.Skip("BERTH_SKIP_DOCKER_TESTS is set: skipping a test that needs a Docker Engine")
	}
	eng, err := docker.New(docker.Config{})
	if err != nil {
		t.Skipf("no Docker Engine client (%v): skipping a test that needs Docker", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := eng.Ping(ctx); err != nil {
		eng.Close()
		t.Skipf("no Docker Engine answers (%v): skipping a test that needs Docker", err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// ID returns a short random id for names and iptables comments.
func ID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ProbeImage builds (once per test process) the FROM-scratch image holding
// the static probe program of testdata/probe and returns its tag,
// berth-test/probe:<content hash>. Nothing is pulled.
func ProbeImage(t testing.TB, eng *docker.Engine) string {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	return ScratchImageOnce(t, eng, "probe", filepath.Join(filepath.Dir(self), "testdata", "probe"))
}

var built struct {
	sync.Mutex
	tags map[string]string // name, dir and env → tag
}

// ScratchImageOnce is ScratchImage done at most once per test process for
// each name, dir and env: later calls return the first call's tag.
func ScratchImageOnce(t testing.TB, eng *docker.Engine, name, dir string, env ...string) string {
	t.Helper()
	key := strings.Join(append([]string{name, dir}, env...), "\x00")
	built.Lock()
	defer built.Unlock()
	if tag, ok := built.tags[key]; ok {
		return tag
	}
	tag := ScratchImage(t, eng, name, dir, env...)
	if built.tags == nil {
		built.tags = map[string]string{}
	}
	built.tags[key] = tag
	return tag
}

// ScratchImage builds the Go main package in dir as a static Linux binary
// (env is added to the build's environment) and puts it in an image FROM
// scratch as /name, its entrypoint, tagged berth-test/name:<content hash>;
// an image with that tag already in eng is reused. Nothing is pulled. It
// returns the tag.
func ScratchImage(t testing.TB, eng *docker.Engine, name, dir string, env ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux"), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the %s program: %v\n%s", name, err, out)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(exe)
	tag := "berth-test/" + name + ":" + hex.EncodeToString(sum[:6])
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := eng.ImageInspect(ctx, tag); err == nil {
		return tag
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dockerfile := "FROM scratch\nCOPY " + name + " /" + name + "\nENTRYPOINT [\"/" + name + "\"]\n"
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, []byte(dockerfile)}, {name, 0o755, exe}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := eng.ImageBuild(ctx, &buf, tag); err != nil {
		t.Fatalf("building %s: %v", tag, err)
	}
	return tag
}

// Network is a bridge network a test created.
type Network struct {
	ID, Name string
	// Bridge is the host interface of the network (br-<id prefix>).
	Bridge  string
	Subnet  netip.Prefix
	Gateway netip.Addr
}

// CreateNetwork creates a bridge network named berth-test-<name>-<id>,
// removed in t.Cleanup.
func CreateNetwork(t testing.TB, eng *docker.Engine, name string) Network {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := "berth-test-" + name + "-" + ID()
	id, err := eng.NetworkCreate(ctx, n, "", "", map[string]string{"dev.berth.test": "true"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := eng.NetworkRemove(ctx, id); err != nil {
			t.Logf("removing network %s: %v", n, err)
		}
	})
	ins, err := eng.NetworkInspect(ctx, id)
	if err != nil || len(ins.IPAM.Config) == 0 {
		t.Fatalf("inspecting network %s: %v", n, err)
	}
	subnet, err := netip.ParsePrefix(ins.IPAM.Config[0].Subnet)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := netip.ParseAddr(ins.IPAM.Config[0].Gateway)
	if err != nil {
		t.Fatal(err)
	}
	return Network{ID: id, Name: n, Bridge: "br-" + id[:12], Subnet: subnet, Gateway: gw}
}

// RunSpec is a probe container to run directly (not through the task
// runner).
type RunSpec struct {
	Image   string
	Args    []string
	Env     []string
	Network string // network name; empty means the default bridge
}

// RunContainer creates and starts a container, force-removed in
// t.Cleanup, and returns its id and IPv4 address on its network.
func RunContainer(t testing.TB, eng *docker.Engine, s RunSpec) (string, netip.Addr) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hc := &container.HostConfig{}
	var nc *network.NetworkingConfig
	if s.Network != "" {
		hc.NetworkMode = container.NetworkMode(s.Network)
	}
	id, err := eng.ContainerCreate(ctx, docker.CreateRequest{
		Name:       "berth-test-" + ID(),
		Config:     &container.Config{Image: s.Image, Cmd: s.Args, Env: s.Env, Labels: map[string]string{"dev.berth.test": "true"}},
		HostConfig: hc, Networking: nc,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = eng.ContainerRemove(ctx, id)
	})
	if err := eng.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	ins, err := eng.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var ip netip.Addr
	for _, ep := range ins.NetworkSettings.Networks {
		if a, err := netip.ParseAddr(ep.IPAddress); err == nil {
			ip = a
		}
	}
	return id, ip
}

// Logs returns a container's stdout and stderr, trimmed.
func Logs(t testing.TB, eng *docker.Engine, id string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, e, err := eng.ContainerLogs(ctx, id)
	if err != nil {
		t.Logf("logs of %s: %v", id, err)
	}
	return strings.TrimSpace(o), strings.TrimSpace(e)
}

// RunToExit runs a container like RunContainer and waits (up to timeout)
// for it to exit; it returns the exit code and stdout.
func RunToExit(t testing.TB, eng *docker.Engine, s RunSpec, timeout time.Duration) (int, string) {
	t.Helper()
	id, _ := RunContainer(t, eng, s)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := eng.ContainerWait(ctx, id)
	if err != nil {
		t.Fatalf("waiting for %v: %v", s.Args, err)
	}
	out, _ := Logs(t, eng, id)
	return int(res.ExitCode), out
}
