// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package netfilter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/berthdev/berth/internal/logkey"
)

// DefaultLocalLink is the dummy interface LocalAddress creates to hold the
// metadata address.
const DefaultLocalLink = "berth-imds"

// LocalAddress makes an address one of the host's own, so a listener can
// bind it: on a real (non-AWS) host nothing answers 169.254.169.254, and
// the agent's metadata service must. It assigns the address as a /32 to a
// dedicated dummy link (created if missing):
//
//	ip link add berth-imds type dummy
//	ip addr add 169.254.169.254/32 dev berth-imds
//	ip link set dev berth-imds up
//
// A kernel without the dummy driver gets the address on lo instead. Ensure
// is idempotent and changes nothing when the address is already on any
// interface; nothing is ever removed (the address stays across agent
// restarts, and a link or address someone else made is left alone).
//
// It runs ip(8) from iproute2 rather than a netlink library, for the reason
// IPTables runs iptables: the module has no netlink package (and may not
// add one), hand-encoding rtnetlink messages would be code to get wrong,
// and ip is present wherever Docker and iptables are, and its commands are
// what an administrator would type and can audit in the log.
type LocalAddress struct {
	// Addr is the IPv4 address to make local.
	Addr netip.Addr
	// Link is the dummy interface; empty means DefaultLocalLink.
	Link string
	// Exec runs ip; nil runs it for real.
	Exec Exec
	// SysRoot is where the DMI and hypervisor files are read to recognise
	// an EC2 instance; empty means /sys.
	SysRoot string
	Logger  *slog.Logger
}

var linkRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,15}$`)

// ErrOnEC2 means the host is an EC2 instance: its own metadata service
// answers at 169.254.169.254, and the agent must not shadow it.
var ErrOnEC2 = errors.New("netfilter: this host is an EC2 instance: 169.254.169.254 is the real instance metadata service; give berth's metadata service another address (BERTH_IMDS_ADDR)")

// Ensure makes l.Addr local; changed reports whether it ran any ip command
// that altered the host.
func (l *LocalAddress) Ensure(ctx context.Context) (changed bool, err error) {
	link := l.Link
	if link == "" {
		link = DefaultLocalLink
	}
	if !l.Addr.Is4() || !linkRE.MatchString(link) {
		return false, fmt.Errorf("netfilter: local address %s on link %q: want an IPv4 address and an interface name", l.Addr, link)
	}
	run := l.Exec
	if run == nil {
		run = realExec
	}
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With(logkey.Service, "netfilter")
	prefix := l.Addr.String() + "/32"

	out, err := run(ctx, "ip", "-o", "-4", "addr", "show", "to", prefix)
	if err != nil {
		return false, fmt.Errorf("netfilter: looking up %s: %w", l.Addr, err)
	}
	if dev := addrDevice(string(out)); dev != "" {
		log.Debug("address already local", "addr", l.Addr.String(), "link", dev)
		if dev == link {
			// Ours: make sure it is up (a down link's addresses are not
			// local); a no-op when it is.
			if _, err := run(ctx, "ip", "link", "set", "dev", link, "up"); err != nil {
				return false, fmt.Errorf("netfilter: bringing %s up: %w", link, err)
			}
		}
		return false, nil
	}
	if l.Addr == metadataAddr && onEC2(l.SysRoot) {
		return false, ErrOnEC2
	}
	if _, err := run(ctx, "ip", "link", "show", "dev", link); err != nil {
		if !isExit(err) {
			return false, fmt.Errorf("netfilter: ip link show %s: %w", link, err)
		}
		out, err := run(ctx, "ip", "link", "add", link, "type", "dummy")
		switch {
		case err != nil && isExit(err) && noDummy(out, err):
			// A kernel without the dummy driver: loopback holds the
			// address just as well (it is local either way).
			log.Warn("the kernel has no dummy links; assigning the address to lo instead", "addr", prefix, "wanted_link", link)
			link = "lo"
		case err != nil:
			return false, fmt.Errorf("netfilter: creating the dummy link %s for %s: %w", link, l.Addr, err)
		default:
			log.Info("created link", "link", link, "type", "dummy")
		}
	}
	if _, err := run(ctx, "ip", "addr", "add", prefix, "dev", link); err != nil {
		return true, fmt.Errorf("netfilter: assigning %s to %s: %w", prefix, link, err)
	}
	if _, err := run(ctx, "ip", "link", "set", "dev", link, "up"); err != nil {
		return true, fmt.Errorf("netfilter: bringing %s up: %w", link, err)
	}
	log.Info("assigned address", "addr", prefix, "link", link)
	return true, nil
}

// noDummy reports whether `ip link add ... type dummy` failed because the
// kernel lacks the dummy driver.
func noDummy(out []byte, err error) bool {
	return strings.Contains(string(out)+err.Error(), "Unknown device type")
}

var metadataAddr = netip.MustParseAddr("169.254.169.254")

// addrDevice returns the interface of the first line of `ip -o addr show`
// ("3: berth-imds    inet 169.254.169.254/32 scope global ..."), or "".
func addrDevice(out string) string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[2] == "inet" {
			return f[1]
		}
	}
	return ""
}

// isExit reports whether err is a command's non-zero exit (as opposed to a
// command that could not run at all).
func isExit(err error) bool {
	var ec interface{ ExitCode() int }
	return errors.As(err, &ec) && ec.ExitCode() > 0
}

// onEC2 recognises an EC2 instance from the files the kernel exposes (no
// packet is sent): the Nitro DMI vendor, or a Xen hypervisor uuid that
// starts with ec2.
func onEC2(root string) bool {
	if root == "" {
		root = "/sys"
	}
	read := func(p string) string {
		b, _ := os.ReadFile(filepath.Join(root, p))
		return strings.ToLower(strings.TrimSpace(string(b)))
	}
	return read("class/dmi/id/sys_vendor") == "amazon ec2" || read("class/dmi/id/board_vendor") == "amazon ec2" ||
		strings.HasPrefix(read("hypervisor/uuid"), "ec2")
}
