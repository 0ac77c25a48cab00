// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/store"
)

// The S3 tables (see doc.go).
const (
	tableBuckets = "s3-buckets"
	tableObjects = "s3-objects"
	tableUploads = "s3-uploads"
	tableParts   = "s3-parts"
)

// bucketRec is a bucket. Records are shared with the cache: never mutate
// one read from a table.
type bucketRec struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Region  string    `json:"region"`
	// Owner is the owning account id.
	Owner string `json:"owner"`
	// Policy is the bucket policy document as the client sent it, and
	// PolicyHash a digest of it that names its compiled form.
	Policy     string            `json:"policy,omitempty"`
	PolicyHash string            `json:"policyHash,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	// Deleting is set while DeleteBucket checks that the bucket is empty;
	// object writes refuse a deleting bucket.
	Deleting bool `json:"deleting,omitempty"`
}

// headers are the standard and user headers an object keeps.
type headers struct {
	ContentType        string            `json:"ct,omitempty"`
	ContentEncoding    string            `json:"ce,omitempty"`
	ContentDisposition string            `json:"cd,omitempty"`
	ContentLanguage    string            `json:"cl,omitempty"`
	CacheControl       string            `json:"cc,omitempty"`
	Expires            *time.Time        `json:"exp,omitempty"`
	WebsiteRedirect    string            `json:"wr,omitempty"`
	StorageClass       string            `json:"sc,omitempty"`
	Meta               map[string]string `json:"meta,omitempty"`
}

// checksum is a flexible checksum the client asked for ("CRC32",
// base64 value).
type checksum struct {
	Alg   string `json:"alg"`
	Value string `json:"v"`
}

// objectRec is the current version of an object.
type objectRec struct {
	Blob     string    `json:"blob"`
	Size     int64     `json:"size"`
	ETag     string    `json:"etag"` // without quotes: hex MD5, or hex-N for multipart
	Modified time.Time `json:"mtime"`
	// Parts is the part count of an object made by a multipart upload.
	Parts    int32             `json:"parts,omitempty"`
	Checksum *checksum         `json:"ck,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
	headers
}

// uploadRec is a multipart upload in progress.
type uploadRec struct {
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	ID        string    `json:"id"`
	Initiated time.Time `json:"initiated"`
	// Initiator is the ARN of the principal that started the upload.
	Initiator   string            `json:"initiator"`
	ChecksumAlg string            `json:"ckalg,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	headers
}

// partRec is one uploaded part.
type partRec struct {
	Number   int32     `json:"n"`
	Blob     string    `json:"blob"`
	Size     int64     `json:"size"`
	ETag     string    `json:"etag"`
	MD5      []byte    `json:"md5"`
	Modified time.Time `json:"mtime"`
	Checksum *checksum `json:"ck,omitempty"`
}

type tables struct {
	buckets *store.Table[bucketRec]
	objects *store.Table[objectRec]
	uploads *store.Table[uploadRec]
	parts   *store.Table[partRec]
}

func openTables(ctx context.Context, st *store.Store) (*tables, error) {
	var t tables
	var err error
	if t.buckets, err = store.NewTable[bucketRec](ctx, st, tableBuckets, store.TableConfig{}); err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	if t.objects, err = store.NewTable[objectRec](ctx, st, tableObjects, store.TableConfig{}); err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	if t.uploads, err = store.NewTable[uploadRec](ctx, st, tableUploads, store.TableConfig{}); err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	if t.parts, err = store.NewTable[partRec](ctx, st, tableParts, store.TableConfig{}); err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return &t, nil
}

// objectID is the s3-objects record id of bucket/key.
func objectID(bucket, key string) string { return bucket + "/" + key }

// uploadID is the s3-uploads record id of an upload.
func uploadID(bucket, id string) string { return bucket + "/" + id }

// partID is the s3-parts record id of part n of upload id.
func partID(upload string, n int32) string { return fmt.Sprintf("%s/%05d", upload, n) }
