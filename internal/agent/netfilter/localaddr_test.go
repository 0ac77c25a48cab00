// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package netfilter_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agent/netfilter"
)

// fakeIP emulates the ip(8) commands LocalAddress runs over in-memory
// links, recording every command.
type fakeIP struct {
	links   map[string][]string // link → addresses (CIDR)
	cmds    []string
	noDummy bool // the kernel has no dummy driver
}

func (f *fakeIP) exec(_ context.Context, name string, args ...string) ([]byte, error) {
	cmd := name + " " + strings.Join(args, " ")
	f.cmds = append(f.cmds, cmd)
	switch {
	case strings.HasPrefix(cmd, "ip -o -4 addr show to "):
		want := args[len(args)-1]
		var out strings.Builder
		for l, addrs := range f.links {
			for _, a := range addrs {
				if a == want {
					out.WriteString("7: " + l + "    inet " + a + " scope global " + l + "\\       valid_lft forever preferred_lft forever\n")
				}
			}
		}
		return []byte(out.String()), nil
	case strings.HasPrefix(cmd, "ip link show dev "):
		if _, ok := f.links[args[3]]; !ok {
			return []byte(`Device "` + args[3] + `" does not exist.`), exitErr(1)
		}
		return nil, nil
	case strings.HasPrefix(cmd, "ip link add "):
		if f.noDummy {
			return []byte("Error: Unknown device type.\n"), exitErr(2)
		}
		f.links[args[2]] = nil
		return nil, nil
	case strings.HasPrefix(cmd, "ip addr add "):
		f.links[args[4]] = append(f.links[args[4]], args[2])
		return nil, nil
	case strings.HasPrefix(cmd, "ip link set "):
		return nil, nil
	}
	return nil, errors.New("fakeIP: unexpected command " + cmd)
}

func TestLocalAddress_CreatesLinkOnceAndIsIdempotent(t *testing.T) {
	f := &fakeIP{links: map[string][]string{"eth0": {"10.0.0.5/24"}}}
	l := &netfilter.LocalAddress{Addr: netip.MustParseAddr("169.254.169.254"), Exec: f.exec, SysRoot: t.TempDir(), Logger: quiet}
	ctx := context.Background()
	changed, err := l.Ensure(ctx)
	if err != nil || !changed {
		t.Fatalf("first Ensure = %v, %v; want changed", changed, err)
	}
	want := []string{
		"ip -o -4 addr show to 169.254.169.254/32",
		"ip link show dev berth-imds",
		"ip link add berth-imds type dummy",
		"ip addr add 169.254.169.254/32 dev berth-imds",
		"ip link set dev berth-imds up",
	}
	if d := cmp.Diff(want, f.cmds); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
	f.cmds = nil
	changed, err = l.Ensure(ctx)
	if err != nil || changed {
		t.Fatalf("second Ensure = %v, %v; want unchanged", changed, err)
	}
	// Only the lookup and bringing its own link up (in case someone took it down).
	if d := cmp.Diff([]string{"ip -o -4 addr show to 169.254.169.254/32", "ip link set dev berth-imds up"}, f.cmds); d != "" {
		t.Errorf("second Ensure ran (-want +got):\n%s", d)
	}
}

// An address already on an interface someone else made is used as it is;
// a link of the right name that exists already is reused, not recreated.
func TestLocalAddress_LeavesExistingAlone(t *testing.T) {
	f := &fakeIP{links: map[string][]string{"lo": {"127.0.0.1/8"}, "mylink": {"169.254.169.254/32"}}}
	l := &netfilter.LocalAddress{Addr: netip.MustParseAddr("169.254.169.254"), Exec: f.exec, SysRoot: t.TempDir(), Logger: quiet}
	if changed, err := l.Ensure(context.Background()); err != nil || changed {
		t.Fatalf("Ensure = %v, %v; want unchanged", changed, err)
	}
	if len(f.cmds) != 1 {
		t.Errorf("commands %q, want only the lookup", f.cmds)
	}

	f = &fakeIP{links: map[string][]string{"berth-imds": {"169.254.170.9/32"}}}
	l.Exec = f.exec
	if changed, err := l.Ensure(context.Background()); err != nil || !changed {
		t.Fatalf("Ensure = %v, %v; want changed", changed, err)
	}
	for _, c := range f.cmds {
		if strings.Contains(c, "link add") || strings.Contains(c, " del") {
			t.Errorf("ran %q on an existing link", c)
		}
	}
	if d := cmp.Diff([]string{"169.254.170.9/32", "169.254.169.254/32"}, f.links["berth-imds"]); d != "" {
		t.Errorf("berth-imds addresses (-want +got):\n%s", d)
	}
}

// On an EC2 instance the real metadata service owns 169.254.169.254: the
// agent refuses to shadow it and changes nothing.
func TestLocalAddress_RefusesOnEC2(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "class/dmi/id"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "class/dmi/id/sys_vendor"), []byte("Amazon EC2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &fakeIP{links: map[string][]string{}}
	l := &netfilter.LocalAddress{Addr: netip.MustParseAddr("169.254.169.254"), Exec: f.exec, SysRoot: root, Logger: quiet}
	if _, err := l.Ensure(context.Background()); !errors.Is(err, netfilter.ErrOnEC2) {
		t.Fatalf("Ensure on EC2 = %v, want ErrOnEC2", err)
	}
	if len(f.cmds) != 1 || len(f.links) != 0 {
		t.Errorf("changed the host on EC2: commands %q, links %v", f.cmds, f.links)
	}
}

func TestLocalAddress_BadInput(t *testing.T) {
	f := &fakeIP{links: map[string][]string{}}
	for _, l := range []netfilter.LocalAddress{
		{Addr: netip.MustParseAddr("fd00::1"), Exec: f.exec},
		{Addr: netip.MustParseAddr("169.254.169.254"), Link: "bad name; rm -rf", Exec: f.exec},
	} {
		if _, err := l.Ensure(context.Background()); err == nil {
			t.Errorf("Ensure(%s on %q) = nil, want an error", l.Addr, l.Link)
		}
	}
	if len(f.cmds) != 0 {
		t.Errorf("bad input ran %q", f.cmds)
	}
}

// Without the dummy driver the address goes on lo, once.
func TestLocalAddress_NoDummyDriverUsesLoopback(t *testing.T) {
	f := &fakeIP{links: map[string][]string{"lo": {"127.0.0.1/8"}}, noDummy: true}
	l := &netfilter.LocalAddress{Addr: netip.MustParseAddr("169.254.169.254"), Exec: f.exec, SysRoot: t.TempDir(), Logger: quiet}
	if changed, err := l.Ensure(context.Background()); err != nil || !changed {
		t.Fatalf("Ensure = %v, %v; want changed", changed, err)
	}
	if d := cmp.Diff([]string{"127.0.0.1/8", "169.254.169.254/32"}, f.links["lo"]); d != "" {
		t.Errorf("lo addresses (-want +got):\n%s", d)
	}
	f.cmds = nil
	if changed, err := l.Ensure(context.Background()); err != nil || changed || len(f.cmds) != 1 {
		t.Errorf("second Ensure = %v, %v, commands %q; want only the lookup", changed, err, f.cmds)
	}
}
