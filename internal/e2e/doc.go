// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package e2e holds end-to-end tests that run the built berth binary and
// drive it with real clients: the AWS CLI through the ECS
// container-instance role story, and crash-durability checks with kill -9.
package e2e
