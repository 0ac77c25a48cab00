// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package controlplane builds and runs berth's control plane: it opens the
// store, constructs every service, bootstraps the account root's
// credentials, assembles the gateway and serves it on one port.
//
//	srv, err := controlplane.New(controlplane.Config{Listen: "127.0.0.1:0", DataDir: dir}, controlplane.Deps{})
//	if err != nil { ... }
//	if err := srv.Start(ctx); err != nil { ... }
//	defer srv.Close(context.Background())
//	// srv.Addr() serves IAM, STS, ECS, ECR, Logs and S3; srv.CredentialsFile() holds the root key.
package controlplane
