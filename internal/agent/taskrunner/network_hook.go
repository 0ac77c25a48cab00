// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"context"
	"time"

	"github.com/berthdev/berth/internal/agent/creds"
)

// NetworkHook records the IP addresses of each task's containers in the
// registry the credentials endpoint checks request sources against: it
// announces a starting container (so an early request waits for it),
// records its addresses once it runs (host-network tasks record the fact
// instead: their requests come from host addresses), and forgets them as
// soon as it stops, before Docker can give the address to another
// container.
type NetworkHook struct {
	Registry *creds.Registry
}

var (
	_ Prestarter  = (*NetworkHook)(nil)
	_ Poststarter = (*NetworkHook)(nil)
	_ Stopper     = (*NetworkHook)(nil)
)

// Name implements Hook.
func (h *NetworkHook) Name() string { return "network" }

// Prestart implements Prestarter.
func (h *NetworkHook) Prestart(ctx context.Context, req *CreateRequest) error {
	h.Registry.ExpectAddrs(req.Task.ARN, req.Container.Name, 2*time.Minute)
	return nil
}

// Poststart implements Poststarter.
func (h *NetworkHook) Poststart(ctx context.Context, t *Task, c *ContainerInfo) {
	h.Registry.SetContainerAddrs(t.ARN, c.Name, c.HostNetwork, c.IPs)
}

// Stopped implements Stopper.
func (h *NetworkHook) Stopped(ctx context.Context, t *Task, container string) {
	h.Registry.SetContainerAddrs(t.ARN, container, t.HostNetwork(), nil)
}
