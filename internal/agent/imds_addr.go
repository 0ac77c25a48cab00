// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agent

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/berthdev/berth/internal/agent/netfilter"
)

// localIMDSAddr makes the metadata service's address one of the host's
// own before it listens there: a link-local address (169.254.169.254 on a
// real host) that no interface holds is assigned to the berth-imds dummy
// link (netfilter.LocalAddress). Loopback, unspecified and already-local
// addresses need nothing; other addresses are the administrator's to set
// up, and listening on them fails with a clear error if they did not.
func (a *Agent) localIMDSAddr(ctx context.Context, addr netip.Addr) error {
	if !addr.Is4() || !addr.IsLinkLocalUnicast() || isLocal(addr) {
		return nil
	}
	la := &netfilter.LocalAddress{Addr: addr, Logger: a.base}
	if _, err := la.Ensure(ctx); err != nil {
		return fmt.Errorf("agent: making the metadata service's address %s local to this host: %w; run as root, or set BERTH_IMDS_ADDR to an address this host has", addr, err)
	}
	return nil
}

// isLocal reports whether an interface of this host holds addr.
func isLocal(addr netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, ia := range addrs {
		if p, ok := ia.(*net.IPNet); ok {
			if a, ok := netip.AddrFromSlice(p.IP); ok && a.Unmap() == addr {
				return true
			}
		}
	}
	return false
}
