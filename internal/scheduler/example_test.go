// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/berthdev/berth/internal/scheduler"
)

// cluster is the simplest State: one cluster's instances.
type cluster []*scheduler.Instance

func (c cluster) Instances(string) []*scheduler.Instance { return c }

func ExamplePlace() {
	var c cluster
	for i, zone := range []string{"us-east-1a", "us-east-1b", "us-east-1a"} {
		c = append(c, &scheduler.Instance{
			ID:     fmt.Sprintf("ci-%d", i),
			Status: scheduler.StatusActive, AgentConnected: true,
			RegisteredCPU: 2048, RemainingCPU: 2048, RegisteredMemory: 4096, RemainingMemory: 4096,
			UsedPorts:  scheduler.NewPortSet(22, 2375, 2376, 51678, 51679),
			Attributes: map[string]string{"ecs.availability-zone": zone},
			Version:    int64(10 + i),
		})
	}
	c[2].RemainingMemory = 1024 // binpack prefers the fuller instance of zone a

	req := &scheduler.Request{
		Cluster: "default", Count: 4, CPU: 256, Memory: 512, Service: "web",
		PortMappings: []scheduler.PortMapping{{ContainerName: "web", ContainerPort: 80}},
		Strategies: []scheduler.Strategy{
			{Type: scheduler.StrategySpread, Field: "attribute:ecs.availability-zone"},
			{Type: scheduler.StrategyBinpack, Field: scheduler.FieldMemory},
		},
	}
	placements, failures, err := scheduler.Place(c, req, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		panic(err)
	}
	for _, p := range placements {
		fmt.Printf("%s@%d host port %d\n", p.InstanceID, p.Version, p.Ports[0].HostPort)
	}
	fmt.Println("failures:", len(failures))
	// Output:
	// ci-2@12 host port 49153
	// ci-1@11 host port 49153
	// ci-2@12 host port 49154
	// ci-1@11 host port 49154
	// failures: 0
}
