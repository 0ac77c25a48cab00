// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package acstest runs the ACS and TCS servers for tests without a control
// plane: behind the real gateway and SigV4 verification, on an in-memory
// agentapi.Backend, next to a small fake of the ECS API operations agents
// call (RegisterContainerInstance, CreateCluster, DiscoverPollEndpoint,
// Submit*). Only tests import it.
//
//	p := acstest.NewPlane(t, acstest.Options{})
//	client := agentacs.NewClient(p.AWSConfig(), agentacs.ClientConfig{Endpoint: p.URL, Cluster: "test"})
//	p.Backend.SetTasks(instanceARN, task)
package acstest
