// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agenttest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// LoopbackOnlyClient returns an HTTP client whose dialer refuses any
// destination that is not a loopback address: handing it to an SDK makes
// a misconfigured endpoint fail instead of sending a packet elsewhere
// (169.254.169.254 above all).
func LoopbackOnlyClient() *http.Client {
	d := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !ap.Addr().Unmap().IsLoopback() {
				return fmt.Errorf("agenttest: refusing to dial non-loopback %s", address)
			}
			return nil
		},
	}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 100,
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}
