// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package logstore keeps CloudWatch Logs events: an append-only store made
// for write-heavy, time-ordered data, outside the etcd store (which keeps
// only the log group and log stream definitions).
//
// # Layout
//
// Each stream has a directory DIR/GROUP/STREAM, named by the group's and
// the stream's ids (not their names, so a group deleted and created again
// starts empty), holding numbered segment files:
//
//	logs/<group id>/<stream id>/00000000000000000000.seg   sealed
//	                            00000000000000000000.idx   its block index
//	                            00000000000000018432.seg   active (appended)
//
// A segment is a run of records, each
//
//	u32 payload length | u32 CRC-32C of payload | payload:
//	    i64 timestamp (ms) | i64 ingestion time (ms) | message bytes
//
// and is named by the sequence number of its first event: events are
// numbered 0, 1, 2... per stream in arrival order, and GetLogEvents tokens
// are such numbers. A segment is sealed and a new one started when it
// passes Config.SegmentBytes or when its events would span more than
// Config.SegmentSpan of event time, so retention can drop whole files.
//
// # Sparse time index
//
// Records are grouped into blocks of about Config.BlockBytes. For each
// block the store keeps, in memory, its byte range, its first sequence
// number, its event count and its minimum and maximum timestamps. Reads
// bounded by time or sequence skip every block outside the bounds without
// reading it, and read the rest one block per pread. A sealed segment's
// index is written next to it (.idx) so that opening the store reads only
// the active segments; a missing or damaged index is rebuilt by scanning.
//
// # Durability
//
// Append writes a batch with one write(2) and returns only after fsync:
// writers to one stream that arrive while a sync runs share the next one
// (group commit per stream). A new directory or segment is made durable by
// syncing its parent directory. At open, an active segment's torn tail
// (a record cut short or failing its CRC, left by a crash mid-write of a
// batch that was never acknowledged) is truncated away.
//
// # Ordering
//
// Events are kept in arrival order. PutLogEvents requires each batch to be
// chronological, so a stream is in time order as long as its batches
// arrive in time order, as those of one writer do; an event older than
// one already stored is kept after it, and reads return it there.
//
// # Counters
//
// Per stream the store keeps, in memory, the first and last event time,
// the last ingestion time, the next sequence number and the stored bytes
// (the size of its segment files). They are rebuilt from the segments at
// open and never written to etcd. After retention has removed a stream's
// oldest segments, the first event time is that of the oldest event left.
//
// # Replicas
//
// The store is local to one berth server. With several replicas behind a
// load balancer, a stream's events live on the replicas that received its
// PutLogEvents calls, and GetLogEvents/FilterLogEvents on a replica see
// only the events stored there. Sharing events across replicas needs a
// shared data directory per stream or a future replication layer.
package logstore
