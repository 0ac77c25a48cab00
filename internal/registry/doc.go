// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package registry is the OCI distribution registry (HTTP API v2) behind
// ECR.
//
// It embeds distribution/distribution v3 as a library. Its HTTP app
// (registry/handlers) serves /v2/, and its storage (registry/storage) is
// the single source of truth for blobs, manifests and tags. The ECR API
// reads and writes images through the Go methods of Registry (Images,
// PutManifest, StartUpload, UploadPart, CompleteUpload…), which use the
// same storage driver instance as the HTTP app (handed to distribution's
// configuration as the "berth-shared" driver, storage.go) with no cache in
// between, so a docker push is visible to DescribeImages at once and a
// PutImage to docker pull. Repository records (ARN, policies, tag
// mutability…) are not here: the control plane's Guard answers for them.
//
// # Requests
//
// Every HTTP request passes accessHandler (access.go) before distribution:
// HTTP Basic credentials (user AWS, the ECR token's password) go to
// Guard.Authenticate; the route and method give the ecr: action (a manifest
// GET is ecr:BatchGetImage, a blob HEAD ecr:BatchCheckLayerAvailability…)
// that Guard.Authorize decides on the repository; a repository missing from
// ECR is 404 NAME_UNKNOWN even when storage holds it. A manifest PUT by tag
// takes the tag's lock and, in an immutable repository, refuses to move
// the tag (400 TAG_INVALID with ECR's message), exactly as PutManifest
// does. Distribution's own access controller ("berth") admits only
// requests that passed accessHandler.
//
// # Use
//
//	reg, err := registry.Open(registry.Config{RootDir: filepath.Join(dataDir, "registry"), Logger: log},
//		registry.Deps{Guard: guard})
//	…
//	mux.Handle("/v2/", reg.Handler())
//	imgs, err := reg.Images(ctx, "team/web")
//	…
//	reg.Close()
//
// # Storage
//
// Config.Storage empty (the default) keeps everything on the filesystem
// under Config.RootDir (DATA_DIR/registry). Config.Storage
// s3://BUCKET[/PREFIX][?PARAMS] (`berth server --registry-storage`) keeps
// it in an S3-compatible bucket through distribution's s3-aws driver
// (aws-sdk-go v1): AWS S3, MinIO, Ceph, or another berth's S3. That is for
// larger installs (storage beyond one disk) and for several control-plane
// replicas on one etcd, which cannot share a local directory but can share
// a bucket: every replica sees every image at once. PARAMS: region,
// endpoint (http:// or https://; path-style requests are then the
// default), path-style, access-key, secret-key, session-token, chunk-size
// (see Config.Storage). Without access-key the AWS SDK's default chain
// finds credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the shared
// credentials file, the instance or task role); prefer it over keys in the
// URL, which show in the process's arguments. The URL is never logged nor
// quoted in errors; Open logs the driver, bucket, prefix, region, endpoint
// and whether the credentials are static.
//
// Open parses the URL (a malformed one is an error) but contacts no
// server: a missing bucket or wrong credentials show as 500s on the first
// request, logged as errors. Blobs always stream through berth (no
// redirects to presigned URLs), since every request needs berth's
// authorization. Uploads are multipart: each chunk a client sends is
// buffered up to chunk-size (default 10 MiB) in memory per upload, and a
// chunked upload whose chunks are below S3's 5 MiB minimum part is
// re-assembled by the driver (complete, copy, restart), which costs extra
// requests. The bucket needs: GetObject (with Range), HeadObject,
// PutObject, CopyObject, DeleteObjects, ListObjectsV2 and the multipart
// calls (Create/Complete/AbortMultipartUpload, UploadPart,
// UploadPartCopy, ListParts, ListMultipartUploads). Images already under
// DATA_DIR/registry are not moved: switching storage starts empty.
// Replicas behind a load balancer need sticky sessions for pushes: the
// state token of an HTTP upload is signed with a per-process secret, so a
// push whose requests reach two replicas fails.
//
// # Storage layout
//
// distribution's, under RootDir (or the bucket's PREFIX)/docker/registry/v2:
// blobs/sha256/… holds content by digest;
// repositories/NAME/{_manifests,_layers,_uploads} hold a repository's
// revision and tag links, layer links and uploads.
// DeleteRepository removes those three directories only, so a nested
// repository (NAME/child) survives; unreferenced blobs stay until a
// garbage collection.
//
// # Process-wide effects
//
// distribution logs through logrus's standard logger: Open silences its
// output and forwards warnings and errors to the slog Logger (client-side
// request errors at debug). Importing distribution's handlers registers
// /debug/health (and expvar /debug/vars) on http.DefaultServeMux, which
// berth never serves. Importing distribution's s3-aws driver registers
// its "s3" and "s3aws" storage drivers, and this package registers
// "berth-shared", in distribution's driver factory. Each Open starts
// distribution's upload purger (stopped by Close) and an idle notification
// broadcaster goroutine that distribution never stops.
package registry
