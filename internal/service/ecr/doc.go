// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package ecr implements the Amazon ECR API (awsJson1_1): repositories
// (create, describe, delete, tag mutability, scanning configuration,
// tags, repository policies, lifecycle policies), authorization tokens for
// docker login, and the image and layer operations (BatchGetImage,
// DescribeImages, ListImages, PutImage, BatchDeleteImage,
// BatchCheckLayerAvailability, GetDownloadUrlForLayer and the layer upload
// calls).
//
// # Where things live
//
// Repository records live in the store; images do not:
//
//	ecr-repositories  NAME        ARN, createdAt, tag mutability, scanning and
//	                              encryption configuration, tags, repository
//	                              policy, lifecycle policy
//	ecr-uploads       NAME/ID     a layer upload begun with InitiateLayerUpload:
//	                              the bytes received so far
//	ecr/token-key     (raw key)   the HMAC key of authorization tokens
//
// Blobs, manifests and tags live in the OCI registry's storage (package
// registry, distribution/distribution as a library), which the control
// plane also serves as the Docker Registry HTTP API under /v2/. The service
// reads and writes images only through ImageStore, which the control plane
// implements with that registry, so the ECR API and docker push/pull never
// disagree. ECR requires CreateRepository before a push: the registry asks
// the control plane (and so this package's repository table) whether a
// repository exists.
//
// # Authorization tokens
//
// GetAuthorizationToken returns base64("AWS:" + password). The password is
// self-contained, so no per-token state is kept:
//
//	password = "b1." + base64url(accessKeyID "|" expiry-unix) "." base64url(HMAC-SHA256(key, that payload))
//
// signed with a per-account key created in the store on first use (with a
// compare-and-swap, so replicas agree). Authenticate checks the MAC and the
// expiry, then resolves the access key again through Keys, the same lookup
// SigV4 uses: a deleted or deactivated key or an expired session stops
// working at once, and the caller's current policies apply to every
// registry request. Tokens last 12 hours, never beyond the session of
// temporary credentials.
//
// # Authorization
//
// AuthzTarget names each operation's IAM action and the repository ARN
// arn:aws:ecr:REGION:ACCOUNT:repository/NAME (GetAuthorizationToken is on
// "*"), with aws:ResourceTag/* of an existing repository and
// aws:RequestTag/* and aws:TagKeys of the tags a request carries.
// Repository policies are resource-based policies of that ARN:
// RepositoryPolicy serves them to the authorizer through an adapter in the
// control plane, which also authorizes every registry request with the
// same engine.
package ecr
