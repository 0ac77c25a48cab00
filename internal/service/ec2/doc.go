// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package ec2 presents berth's hosts as Amazon EC2 instances: the slice of
// the EC2 API that governs who a host is and which instance profile (and
// so which role) it runs with, plus the host side of that identity.
//
// Service implements ec2api.API for RunInstances, DescribeInstances,
// TerminateInstances, DescribeInstanceStatus, the instance profile
// association APIs (Associate, Replace, Disassociate,
// DescribeIamInstanceProfileAssociations), CreateTags, DeleteTags,
// DescribeTags, DescribeRegions and DescribeAvailabilityZones; every other
// EC2 operation answers NotImplemented through ec2api.Unimplemented.
//
// # A host's life
//
//	administrator                       control plane                       host
//	RunInstances(IamInstanceProfile) ─▶ ec2:RunInstances (gateway)
//	                                    iam:PassRole on the role (PassRoleChecker)
//	                                    instance i-… pending, hash(token) stored
//	◀─ tag berth:join-token=i-….SECRET  (shown once, never stored)
//	            token handed to the host ─────────────────────────────────▶
//	                                    Join(token)  ◀──── POST /_berth/host/join
//	                                    CAS: pending→running, token spent,
//	                                    hash(host secret) stored ─────────▶ keeps secret in its data dir
//	                                    AuthenticateHost(id, secret) ◀──── GET /_berth/host/credentials
//	                                    → current association → role creds
//	                                      (STS, as ec2.amazonaws.com, only
//	                                       while the role's trust allows it)
//	Associate/Replace/Disassociate ───▶ association changed; the next
//	  (iam:PassRole again)                credentials request sees it
//	                                    IdentityDocument(id) ◀──────────── GET /_berth/host/identity
//	                                    signed with the control plane's key;
//	                                    VerifyIdentityDocument at ECS
//	                                    RegisterContainerInstance
//	TerminateInstances ───────────────▶ running→terminated: secret dropped
//
// The join token is returned only in RunInstances' response, as the
// berth:join-token tag of each instance (EC2's response has no field for
// it, and a tag is what every client already prints). It is
// "i-<id>.<secret>", valid for Config.JoinTokenTTL, usable once. A
// `berth host join-token --instance-profile NAME` command is RunInstances
// with that profile, printing the tag; a lost token is replaced by
// launching a new instance (and terminating the pending one).
//
// # Storage
//
// Instances are JSON records of the ec2-instances table keyed by instance
// id, indexed by association id and client token. Secrets are stored only
// as SHA-256 hashes and compared in constant time. Every change is an
// optimistic compare-and-swap (store.Table.Update), so concurrent
// requests on several replicas cannot both spend a token or both
// associate a profile. The identity signing key (ECDSA P-256) is created
// once in the ec2-keys table and shared by every replica.
package ec2
