// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/store"
)

// commitAttempts bounds the retries of a commit that raced with other
// writers of the same key; from the third attempt on, retries are spread
// by a random pause, as store.Table.Update does.
const commitAttempts = 100

// backoff pauses before retry attempt n of a contended commit.
func backoff(ctx context.Context, attempt int) error {
	if attempt < 3 {
		return nil
	}
	select {
	case <-time.After(rand.N(time.Duration(attempt) * time.Millisecond)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PutObject streams the body into a blob, verifies it (payload signature
// or hash at EOF, Content-MD5, x-amz-checksum-*), then commits the object
// record. The ETag is the hex MD5 of the content.
func (s *Service) PutObject(ctx context.Context, in *s3api.PutObjectInput) (*s3api.PutObjectOutput, error) {
	bucket, key := str(in.Bucket), str(in.Key)
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if _, err := s.liveBucket(ctx, bucket); err != nil {
		return nil, err
	}
	hdr, err := newHeaders(in.ContentType, in.ContentEncoding, in.ContentDisposition, in.ContentLanguage,
		in.CacheControl, in.WebsiteRedirectLocation, in.StorageClass, in.Expires, in.Metadata)
	if err != nil {
		return nil, err
	}
	tags, err := parseTagging(str(in.Tagging))
	if err != nil {
		return nil, err
	}
	length := int64(-1)
	if in.ContentLength != nil {
		length = *in.ContentLength
	}
	info, sum, err := s.ingest(ctx, in.Body, ingestSpec{
		Length:     length,
		ContentMD5: str(in.ContentMD5),
		Checksum:   flexible(str(in.ChecksumAlgorithm), in.ChecksumCRC32, in.ChecksumCRC32C, in.ChecksumSHA1, in.ChecksumSHA256),
	})
	if err != nil {
		return nil, err
	}
	rec := &objectRec{Blob: info.ID, Size: info.Size, ETag: etagOf(info), Modified: s.now(), Checksum: sum, Tags: tags, headers: hdr}
	if err := s.commitObject(ctx, bucket, key, rec); err != nil {
		s.deleteBlob(ctx, info.ID)
		return nil, err
	}
	out := &s3api.PutObjectOutput{ETag: ptr(quote(rec.ETag))}
	setChecksum(sum, &out.ChecksumCRC32, &out.ChecksumCRC32C, &out.ChecksumSHA1, &out.ChecksumSHA256)
	return out, nil
}

// commitObject makes rec the current version of bucket/key, together with
// extra operations (a multipart completion removes its upload), and then
// deletes the blob it replaced. The write is guarded by the revisions of
// the bucket and of the object as read, and retried when another writer
// got there first: the last commit wins, and every replaced blob is
// deleted exactly by the writer that replaced it.
func (s *Service) commitObject(ctx context.Context, bucket, key string, rec *objectRec, extra ...store.Op) error {
	// A body that fully arrived is committed even if the client has gone.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	id := objectID(bucket, key)
	for attempt := 1; ; attempt++ {
		b, err := s.liveBucket(ctx, bucket)
		if err != nil {
			return err
		}
		cur, err := s.t.objects.Get(ctx, id)
		had := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("s3: %w", err)
		}
		op := s.t.objects.CreateOp(id, rec)
		if had {
			op = s.t.objects.PutOp(id, rec, cur.Revision)
		}
		rev, err := s.deps.Store.Txn().Add(s.t.buckets.CheckOp(bucket, b.Revision), op).Add(extra...).Commit(ctx)
		if rev != 0 { // committed (err: only the cache lags)
			if had {
				s.deleteBlob(ctx, cur.Value.Blob)
			}
			return nil
		}
		var re *store.RecordError
		if errors.As(err, &re) && re.Table != tableObjects && re.Table != tableBuckets {
			return fmt.Errorf("s3: commit %s: %w", id, err) // an extra op's guard: the caller's to judge
		}
		retry := errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotFound)
		if !retry || attempt == commitAttempts {
			return storeError(fmt.Errorf("s3: commit %s: %w", id, err))
		}
		if err := backoff(ctx, attempt); err != nil {
			return fmt.Errorf("s3: commit %s: %w", id, err)
		}
	}
}

// checkKey enforces S3's key length.
func checkKey(key string) error {
	if len(key) > maxKeyLen {
		return errKeyTooLong(len(key))
	}
	return nil
}

// newHeaders collects the headers an object keeps. S3 stores
// binary/octet-stream when no Content-Type is given.
func newHeaders(ct, ce, cd, cl, cc, wr, sc *string, exp *time.Time, meta map[string]string) (headers, error) {
	if n := metaSize(meta); n > maxMetaSize {
		return headers{}, errMetadataTooLarge(n)
	}
	h := headers{
		ContentType: str(ct), ContentEncoding: str(ce), ContentDisposition: str(cd), ContentLanguage: str(cl),
		CacheControl: str(cc), WebsiteRedirect: str(wr), StorageClass: str(sc), Expires: exp,
	}
	if h.ContentType == "" {
		h.ContentType = "binary/octet-stream"
	}
	if h.StorageClass == "STANDARD" {
		h.StorageClass = ""
	}
	if len(meta) > 0 {
		h.Meta = make(map[string]string, len(meta))
		for k, v := range meta {
			h.Meta[k] = v
		}
	}
	return h, nil
}

// parseTagging reads the x-amz-tagging header: URL query encoding,
// "k1=v1&k2=v2".
func parseTagging(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(s)
	if err != nil {
		return nil, errInvalidArgument("x-amz-tagging", s, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	tags := make(map[string]string, len(q))
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, errInvalidTag("Cannot provide multiple Tags with the same key")
		}
		tags[k] = vs[0]
	}
	return tags, validateTags(tags, maxTags)
}

// validateTags applies S3's tag limits: keys of 1 to 128 characters,
// values of up to 256, at most max tags, no reserved aws: prefix.
func validateTags(tags map[string]string, max int) error {
	if len(tags) > max {
		if max == maxTags {
			return errInvalidTag("Object tags cannot be greater than 10")
		}
		return errInvalidTag("Bucket tag count cannot be greater than 50")
	}
	for k, v := range tags {
		switch {
		case k == "" || utf8.RuneCountInString(k) > 128:
			return errInvalidTag("The TagKey you have provided is invalid")
		case utf8.RuneCountInString(v) > 256:
			return errInvalidTag("The TagValue you have provided is invalid")
		case len(k) >= 4 && k[:4] == "aws:":
			return errInvalidTag("Your TagKey cannot be prefixed with aws:")
		}
	}
	return nil
}
