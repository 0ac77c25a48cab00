// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package s3 implements Amazon S3's core: buckets (create, head, list,
// delete, location, policy, tagging) and objects (put, get with ranges and
// conditions, head, copy, delete, batch delete, tagging, ListObjects v1
// and v2, multipart uploads). The restXml codec decodes requests, the
// gateway authenticates them (SigV4, presigned URLs, aws-chunked payloads)
// and authorizes them with AuthzTarget before a handler runs.
//
// # Where things live
//
// Metadata lives in the store, in four tables read from the replica cache:
//
//	s3-buckets  name                 → owner, region, creation date, policy, tags
//	s3-objects  bucket/key           → blob id, size, ETag, headers, x-amz-meta-*, tags
//	s3-uploads  bucket/upload-id     → key, initiator, headers of the object to be
//	s3-parts    upload-id/00042      → blob id, size, ETag of one part
//
// Object bytes live in a blob.Store, never in the store and never whole in
// memory: PutObject and UploadPart stream the request body into a blob,
// GetObject streams a section of a blob back.
//
// # Write order
//
//	body ──▶ blob.Put (temp file, MD5, fsync, rename)
//	           │ the gateway's verifying reader fails the last Read when the
//	           │ payload hash, a chunk signature or a trailing checksum is
//	           │ wrong: Put discards the temp file, nothing is visible
//	           ▼
//	      Content-MD5 / x-amz-checksum-* checked ── mismatch: delete the blob
//	           ▼
//	      store Txn: object record (guarded by the previous record's revision
//	      and by the bucket's), acknowledged once etcd has committed it
//	           ▼
//	      delete the replaced blob
//
// A failed or tampered upload thus leaves nothing visible, and no
// acknowledged write is lost: the blob is fsynced before the record that
// names it is committed. A crash between the two steps leaves an
// unreferenced blob; Sweep (run periodically by Run) reclaims those.
// Writers racing on one key retry their guarded commit; the last commit
// wins and each deletes the blob it replaced.
//
// # Authorization
//
// AuthzTarget names each operation's IAM action (package actionmap), its
// resource (arn:aws:s3:::bucket or arn:aws:s3:::bucket/key) and S3's
// condition keys. Bucket policies are resource-based policies: BucketPolicy
// serves them, with the bucket owner's account, to the authorizer through
// an adapter in the control plane. CopyObject and UploadPartCopy also need
// s3:GetObject on the source, which the handler asks the Authorizer.
package s3
