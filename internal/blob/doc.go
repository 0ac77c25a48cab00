// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package blob is berth's content store: immutable byte sequences (S3
// objects and multipart parts today, ECR image layers later) kept outside
// the metadata store, which holds only references to them.
//
// A Store has three operations: Put streams a reader into a new blob and
// reports its size and digests, Open returns a random-access Reader for
// range reads, Delete removes a blob. Blobs never change once written, so
// readers need no locks: a blob deleted while open stays readable through
// the open Reader (POSIX semantics on the filesystem backend).
//
// # Filesystem backend (FS)
//
// The default backend lives under DATA_DIR/blobs:
//
//	blobs/tmp/put-*        blobs being written
//	blobs/ab/abcdef0123…   committed blobs, fanned out by the first two
//	                       characters of their id
//
// Put follows one commit protocol, so that a failed or aborted write
// leaves nothing behind and a committed blob survives a crash:
//
//	create blobs/tmp/put-XXXX
//	copy the reader into it, hashing MD5 and SHA-256 and counting bytes
//	   └─ the reader fails (client gone, signature or checksum wrong at
//	      EOF) or ctx ends → remove the temp file, return the error
//	fsync the file, close it
//	rename it to blobs/<id[:2]>/<id>, fsync the directory
//	return Info{ID, Size, MD5, SHA256}
//
// Only then may the caller commit metadata that refers to the id. The
// caller owns the order "blob durable, then metadata", and deletes a blob
// only after the metadata that referred to it is gone; a crash between the
// two steps leaves an unreferenced blob, which a sweep (Walk plus the
// caller's references) reclaims.
//
// Ids are chosen by Put: a random 128-bit version id by default, or the
// SHA-256 digest of the content with PutOptions.ContentAddressed, which
// also deduplicates (the registry's layers are content-addressed). The
// OCI registry may instead use distribution/distribution's filesystem
// storage driver beside this store; both can share DATA_DIR.
//
// Replicas of the control plane each have their own DATA_DIR; for several
// replicas the blobs directory must be shared storage, or a different
// backend must be used.
//
// # Future backend: S3-compatible storage
//
// For larger installs an S3-compatible object store (MinIO, Ceph RGW, a
// cloud bucket) can implement Store: Put as a multipart upload (digests
// computed while streaming, the upload completed only when the reader
// reached EOF without error, aborted otherwise), Open as a Reader whose
// ReadAt issues ranged GETs, Delete as DeleteObject. The interface is kept
// that small on purpose; nothing in it assumes a local file.
package blob
