// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package imds is the host's instance metadata service, in the EC2 format
// the AWS SDKs and the AWS CLI read, so their default credential chains
// find the instance role unchanged (point them at it with
// AWS_EC2_METADATA_SERVICE_ENDPOINT, or its address in the SDK config).
//
//	PUT /latest/api/token                       IMDSv2 session token (X-aws-ec2-metadata-token-ttl-seconds: 1..21600)
//	GET /latest/meta-data/                      listing: ami-id, hostname, iam/, instance-id, instance-type, ...
//	GET /latest/meta-data/iam/info              instance profile
//	GET /latest/meta-data/iam/security-credentials/[ROLE]
//	GET /latest/meta-data/placement/{region,availability-zone}
//	GET /latest/dynamic/instance-identity/{document,signature,pkcs7}
//
// Every GET must carry a valid token in X-aws-ec2-metadata-token unless
// IMDSv1 is allowed (Config.AllowIMDSv1); a missing, expired or forged
// token is answered 401. Tokens are stateless (an expiry and an HMAC under
// a key drawn at start), so a restart invalidates them; clients fetch a new
// one on 401.
//
// Credentials come from a Source the agent provides (it fetches them from
// the control plane with its host secret). A Refresher caches them, serves
// the cached value, and refreshes at least five minutes before they expire;
// while the Source fails it keeps serving what it has until expiry.
//
//	src := myControlPlaneSource{...}
//	ref, _ := imds.NewRefresher(imds.RefresherConfig{}, imds.RefresherDeps{Source: src, Logger: logger})
//	go ref.Run(ctx)
//	srv, _ := imds.New(imds.Config{Instance: inst}, imds.Deps{Credentials: ref, Identity: src})
//	_ = srv.Serve(ctx, listener)
//
// iam/info names the instance profile the Source's credentials came from
// (Credentials.InstanceProfileARN and ID, as the control plane's host API
// answers them), so a replaced association shows at the next refresh.
//
// The package never decides where it listens: the address is a setting
// (`berth agent` defaults to 169.254.169.254:80, which the agent first
// makes local with netfilter.LocalAddress; `berth up` defaults to
// loopback), and netfilter keeps containers away from it.
package imds
