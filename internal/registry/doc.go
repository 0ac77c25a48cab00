// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package registry is the OCI distribution registry (HTTP API v2) behind
// ECR.
//
// It embeds distribution/distribution v3 as a library. Its HTTP app
// (registry/handlers) serves /v2/, and its storage (registry/storage) on a
// filesystem driver rooted at Config.RootDir is the single source of truth
// for blobs, manifests and tags. The ECR API reads and writes images
// through the Go methods of Registry (Images, PutManifest, StartUpload,
// UploadPart, CompleteUpload…), which open the same storage with no cache
// in between, so a docker push is visible to DescribeImages at once and a
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
// # Storage layout
//
// distribution's, under RootDir/docker/registry/v2: blobs/sha256/… holds
// content by digest; repositories/NAME/{_manifests,_layers,_uploads} hold
// a repository's revision and tag links, layer links and uploads.
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
// berth never serves. Each Open starts distribution's upload purger
// (stopped by Close) and an idle notification broadcaster goroutine that
// distribution never stops.
package registry
