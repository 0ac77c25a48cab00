// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package agent assembles berth's host agent (`berth agent`, and the agent
// half of `berth up`) from the agent packages:
//
//	config ─► Agent.Run
//	          1. state file (state), host secret (join once with a token, then
//	             the secret kept 0600 in the data dir)
//	          2. instance metadata service (imds) serving the instance role's
//	             credentials from the control plane's host API (HostAPI), on
//	             BERTH_IMDS_ADDR (169.254.169.254:80 by default, which the
//	             agent first makes local: netfilter.LocalAddress)
//	          3. the agent's own credentials: aws-sdk-go-v2's default chain,
//	             pointed at that metadata service, as any SDK on the host;
//	             with --config s3://bucket/key the configuration is now
//	             fetched with them (bootstrap) and replaces the settings
//	          4. netfilter: metadata lockdown + credentials DNAT, kept by a
//	             Keeper
//	          5. task credentials and metadata endpoint (creds)
//	          6. RegisterContainerInstance with the signed identity document
//	          7. taskrunner (ECR pull tokens from ecrauth, awslogs output
//	             shipped by logship): Restore (reattach running containers), then the
//	             ACS session (tasks, credentials, manifests) and TCS (per
//	             container CPU and memory from Docker stats, and health), and
//	             the Submit* calls for every state change
//
// Restarting the agent (even kill -9) neither stops nor forgets running
// containers: Close leaves them running, and the next Run reattaches them
// from the state file and reconnects to ACS with sendCredentials=true so
// the control plane resends their credentials. The agent reaches the
// control plane only over HTTP: it never imports the control plane's
// packages.
package agent
