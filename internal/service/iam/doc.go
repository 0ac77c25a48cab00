// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package iam implements AWS Identity and Access Management: users,
// groups, roles, customer and AWS managed policies with versions,
// attachments, inline policies, permissions boundaries, instance profiles,
// access keys, login profiles, the account password policy and tags, with
// IAM's validation rules, error codes and messages, quotas and Marker
// pagination. Service implements iamapi.API; operations it does not serve
// answer NotImplemented through the embedded iamapi.Unimplemented.
//
// It also answers the questions the rest of berth asks about identities:
//
//	authentication   AccessKey(id)            → secret, status, principal
//	                 RecordAccessKeyUse(...)  → GetAccessKeyLastUsed (buffered)
//	authorization    PoliciesFor(principal)   → identity policies + boundary, with cache keys
//	                 EntityPath, ResourceTags → IAM resource ARNs and aws:ResourceTag/*
//	                 RecordAccess(...)        → service last accessed data (buffered)
//	STS              RoleByARN / Role         → trust policy, max session, tags
//	                 PolicyDocument(arn)      → managed session policies
//	                 RecordRoleUse(...)       → GetRole's RoleLastUsed (buffered)
//	control plane    EnsureRootAccessKey / RootAccessKey, InstanceProfile(ByARN), Run
//
// The policy simulator (SimulatePrincipalPolicy, SimulateCustomPolicy) asks
// a PolicyEngine, the gateway's own authorizer, so simulated decisions are
// the decisions live requests get; GetContextKeysFor* and the services a
// last accessed report lists come from parsing the documents with the
// policy language package.
//
// # Storage
//
// Every entity is a JSON record in a store table (tables.go) keyed by its
// lower-case name, so IAM's case-insensitive name uniqueness is a
// create-if-absent. Writes are optimistic transactions (txn.go): a
// function reads the records it needs, changes them, and commits all of
// them at once guarded by the revisions it read, retrying on a conflict.
// Each relation that a delete must respect is written on both sides in
// one commit (an attachment on the entity and the policy's count, a
// membership on the user and the group's member count, an instance
// profile's role on both records), so concurrent attach, detach and
// delete calls never leave counts wrong or dangling references. Reads are
// served from the store's replica cache, which a write waits for before
// returning (read-your-writes on a replica). A transaction's first attempt
// reads the cache too: the revisions it guards on are the cached records'
// own, so a stale read fails the commit and the retry reads etcd.
//
// # Documents
//
// Policy documents are checked at write time by a PolicyValidator (the
// policy engine) and against IAM's size quotas, counted in non-whitespace
// characters. They are accepted URL-encoded and returned URL-encoded, as
// IAM does; they are stored decoded. AWS managed policies come from the
// embedded managed/ catalog: attachable, listed with Scope=AWS, read-only.
package iam
