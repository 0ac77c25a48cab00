// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package firstrun is berth's ECS first-run setup: the one implementation
// shared by the web console's "Get started" page and `berth up`. It makes
// sure, idempotently and through the AWS APIs as the caller (so IAM
// authorizes every step), that the account has what AWS's ECS guide asks
// for before a container instance can join:
//
//  1. role ecsInstanceRole, trusted by ec2.amazonaws.com     (iam:GetRole, iam:CreateRole)
//  2. AmazonEC2ContainerServiceforEC2Role attached to it     (iam:ListAttachedRolePolicies, iam:AttachRolePolicy)
//  3. instance profile ecsInstanceRole                       (iam:GetInstanceProfile, iam:CreateInstanceProfile)
//  4. the role in the instance profile                       (iam:AddRoleToInstanceProfile)
//  5. cluster default                                        (ecs:DescribeClusters, ecs:CreateCluster)
//
// Ensure performs the steps and reports, step by step, what it created,
// what already existed, what it could not do and why (AWS's error code
// and message); Inspect reports the same without changing anything. A
// step whose service answers NotImplemented (a server that does not serve
// ECS yet) is reported as not done, not as a failure. The clients are
// aws-sdk-go-v2's IAM and ECS clients, or anything with their methods.
package firstrun
