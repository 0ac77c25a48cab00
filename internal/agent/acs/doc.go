// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package acs is the agent's side of the control plane: the ECS API calls
// an agent makes (RegisterContainerInstance, DiscoverPollEndpoint and the
// Submit* state changes, through aws-sdk-go-v2's ECS client) and the two
// websockets it keeps open (ACS for work, TCS for telemetry), SigV4-signed
// as the Amazon ECS agent signs them. It reaches the control plane only
// over the wire: it never imports the control plane's packages.
//
// Both berth's agent and the simulated agents use it:
//
//	c := acs.NewClient(awsCfg, acs.ClientConfig{Endpoint: "http://127.0.0.1:4566", Cluster: "prod"})
//	reg, err := c.RegisterContainerInstance(ctx, acs.RegisterInput{CPU: 2048, MemoryMiB: 3800})
//	s := acs.NewSession(c, acs.SessionConfig{InstanceARN: reg.ContainerInstanceARN},
//		acs.Handlers{Payload: myTaskEngine})
//	err = s.Run(ctx) // reconnects with backoff until ctx ends
//
// Each message type the control plane sends is handled by its own
// responder (payload_responder.go, heartbeat_responder.go,
// credentials_responder.go, manifest_responder.go,
// stop_verification_responder.go), which calls the agent's handler and
// sends the acknowledgement the protocol requires.
package acs
