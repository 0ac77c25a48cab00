// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package logs is berth's CloudWatch Logs service (awsJson1_1, API version
// 2014-03-28): log groups with retention and tags, log streams,
// PutLogEvents with AWS's batch rules, GetLogEvents and FilterLogEvents
// with CloudWatch Logs filter patterns (package filterpattern).
//
// Log group and log stream definitions are records of the etcd store
// (tables logs-groups and logs-streams), like every other service's
// resources. Events are not: they go to the append-only event store of
// package logstore under DATA_DIR/logs, keyed by the group's and the
// stream's ids, and the per-stream counters DescribeLogStreams shows
// (first and last event time, last ingestion, stored bytes) come from it,
// so PutLogEvents never writes to etcd. See package logstore for the
// durability guarantees and the multi-replica limitation: events live on
// the replica that received them.
//
//	PutLogEvents ─▶ check AWS's rules ─▶ group+stream from the store cache
//	                                      │
//	                                      ▼
//	                 logstore.Append (write + fsync) ─▶ nextSequenceToken
//
// Run applies retention: every Config.RetentionInterval it deletes the
// whole segments of each group's streams whose events are all older than
// the group's retention, and removes event files and stream records
// whose group or stream no longer exists.
//
// Each operation names its IAM resource for the gateway's authorizer
// (authz_target.go): the log-group ARN arn:aws:logs:R:A:log-group:NAME or
// the log-stream ARN arn:aws:logs:R:A:log-group:NAME:log-stream:STREAM, as
// the Service Authorization Reference defines them.
package logs
