// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package bootstrap fetches the agent's configuration (an ecs.config
// KEY=VALUE file) from S3: `berth agent --config s3://bucket/key`, or
// BERTH_AGENT_CONFIG=s3://bucket/key when --config is not given. It is
// the berth form of the user-data step `aws s3 cp s3://bucket/ecs.config
// /etc/ecs/ecs.config` that AWS's container-instance guide describes,
// which works only when the instance role can read the object
// (AmazonS3ReadOnlyAccess, and no bucket policy denying it).
//
// Order (agent.Run):
//
//	flags + environment ─► the settings needed before the fetch: the
//	     control plane (ECS_BACKEND_HOST / --endpoint), the data dir and
//	     host secret, the metadata service's address
//	join / host secret ─► instance metadata service up ─► the SDK's default
//	     credential chain reads the instance role from it
//	Load: s3 GetObject (path-style, BaseEndpoint = ECS_BACKEND_HOST, since
//	     the configuration that could name another endpoint is what is
//	     being fetched) ─► whole object, checked against Content-Length and
//	     its MD5 ETag ─► parsed completely (config.LoadReader) with the
//	     environment and flags over it ─► the agent continues with it
//
// Load is all or nothing: a denial (the error names s3:GetObject, the
// object and the service's message), a missing object, a truncated body,
// an ETag mismatch or a single malformed line fails it, and the agent
// stops instead of running on part of a configuration. Keys the agent has
// already used when the object arrives (ECS_BACKEND_HOST, ECS_DATADIR,
// BERTH_HOST_SECRET_FILE, BERTH_IMDS_ADDR, BERTH_IMDS_V1) cannot be
// changed by the object: a different value there is an error that says to
// give the key by flag or environment. ECS_LOGLEVEL from the object is
// reported and ignored (the logger exists already).
package bootstrap
