// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/store"
)

// copySource is a parsed x-amz-copy-source header with its conditions.
type copySource struct {
	bucket, key          string
	ifMatch, ifNoneMatch *string
	ifModified, ifUnmod  *time.Time
	raw                  string
}

// parseCopySource reads "bucket/key" or "/bucket/key", URL-encoded, with
// an optional "?versionId=" (berth keeps one version: "null" or none).
func parseCopySource(h string) (copySource, error) {
	src := copySource{raw: h}
	p, query, _ := strings.Cut(strings.TrimPrefix(h, "/"), "?")
	if v, err := url.ParseQuery(query); err == nil && v.Get("versionId") != "" && v.Get("versionId") != "null" {
		return src, errInvalidArgument("x-amz-copy-source", h, "Invalid version id specified")
	}
	dec, err := url.PathUnescape(p)
	if err != nil {
		return src, errInvalidArgument("x-amz-copy-source", h, "Invalid copy source encoding")
	}
	b, k, ok := strings.Cut(dec, "/")
	if !ok || b == "" || k == "" {
		return src, errInvalidArgument("x-amz-copy-source", h,
			"Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	src.bucket, src.key = b, k
	return src, nil
}

// resolveSource checks that the caller may read the source (s3:GetObject,
// which the gateway could not check), that it exists and that its
// conditions hold, and opens it as a section (the whole object, or
// src.rangeStart/rangeSize when set by the caller).
func (s *Service) resolveSource(ctx context.Context, src *copySource, rng string) (store.Record[objectRec], *section, error) {
	var none store.Record[objectRec]
	resource := "arn:aws:s3:::" + src.bucket + "/" + src.key
	ok, msg, err := s.deps.Authorizer.Authorize(ctx, "s3:GetObject", resource, s.objectConditions(ctx, src.bucket, src.key))
	if err != nil {
		return none, nil, err
	}
	if !ok {
		return none, nil, errAccessDenied(msg)
	}
	rec, r, err := s.read(ctx, &readSpec{bucket: src.bucket, key: src.key, open: true})
	if err != nil {
		return none, nil, err
	}
	o := rec.Value
	if err := checkConditions(o.ETag, o.Modified, src.ifMatch, src.ifNoneMatch, src.ifModified, src.ifUnmod, true); err != nil {
		r.Close()
		return none, nil, err
	}
	sec := &section{r: r, n: o.Size}
	if rng != "" {
		start, n, ok, err := parseRange(rng, o.Size)
		if err == nil && !ok {
			err = errInvalidArgument("x-amz-copy-source-range", rng,
				"The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are "+
					"the zero-based offsets of the first and last bytes to copy")
		}
		if err != nil {
			r.Close()
			return none, nil, err
		}
		sec.off, sec.n = start, n
	}
	return rec, sec, nil
}

// CopyObject copies an object (up to 5 GiB) within or between buckets,
// keeping (COPY) or replacing (REPLACE) its metadata and tags. The data is
// streamed from the source blob into a new blob.
func (s *Service) CopyObject(ctx context.Context, in *s3api.CopyObjectInput) (*s3api.CopyObjectOutput, error) {
	bucket, key := str(in.Bucket), str(in.Key)
	if err := checkKey(key); err != nil {
		return nil, err
	}
	src, err := parseCopySource(str(in.CopySource))
	if err != nil {
		return nil, err
	}
	src.ifMatch, src.ifNoneMatch = in.CopySourceIfMatch, in.CopySourceIfNoneMatch
	src.ifModified, src.ifUnmod = in.CopySourceIfModifiedSince, in.CopySourceIfUnmodifiedSince
	mdir, tdir := strings.ToUpper(str(in.MetadataDirective)), strings.ToUpper(str(in.TaggingDirective))
	if mdir != "" && mdir != "COPY" && mdir != "REPLACE" {
		return nil, errInvalidArgument("x-amz-metadata-directive", mdir, "Unknown metadata directive.")
	}
	if tdir != "" && tdir != "COPY" && tdir != "REPLACE" {
		return nil, errInvalidArgument("x-amz-tagging-directive", tdir, "Unknown tagging directive.")
	}
	if _, err := s.liveBucket(ctx, bucket); err != nil {
		return nil, err
	}
	srcRec, sec, err := s.resolveSource(ctx, &src, "")
	if err != nil {
		return nil, err
	}
	defer sec.Close()
	o := srcRec.Value
	hdr, tags := o.headers, o.Tags
	if mdir == "REPLACE" {
		if hdr, err = newHeaders(in.ContentType, in.ContentEncoding, in.ContentDisposition, in.ContentLanguage,
			in.CacheControl, in.WebsiteRedirectLocation, in.StorageClass, in.Expires, in.Metadata); err != nil {
			return nil, err
		}
	} else if in.StorageClass != nil || in.WebsiteRedirectLocation != nil {
		hdr.StorageClass, hdr.WebsiteRedirect = str(in.StorageClass), str(in.WebsiteRedirectLocation)
		if hdr.StorageClass == "STANDARD" {
			hdr.StorageClass = ""
		}
	}
	if tdir == "REPLACE" {
		if tags, err = parseTagging(str(in.Tagging)); err != nil {
			return nil, err
		}
	}
	if src.bucket == bucket && src.key == key && mdir != "REPLACE" && in.StorageClass == nil &&
		in.WebsiteRedirectLocation == nil && in.ServerSideEncryption == nil {
		return nil, errInvalidRequest("This copy request is illegal because it is trying to copy an object to itself without " +
			"changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	alg := str(in.ChecksumAlgorithm)
	if alg == "" && o.Checksum != nil && o.Parts == 0 {
		alg = o.Checksum.Alg
	}
	info, sum, err := s.ingest(ctx, sec, ingestSpec{Length: o.Size, Checksum: checksum{Alg: strings.ToUpper(alg)}})
	if err != nil {
		return nil, err
	}
	rec := &objectRec{Blob: info.ID, Size: info.Size, ETag: etagOf(info), Modified: s.now(), Checksum: sum, Tags: tags, headers: hdr}
	if err := s.commitObject(ctx, bucket, key, rec); err != nil {
		s.deleteBlob(ctx, info.ID)
		return nil, err
	}
	res := &s3api.CopyObjectResult{ETag: ptr(quote(rec.ETag)), LastModified: ptr(rec.Modified)}
	setChecksum(sum, &res.ChecksumCRC32, &res.ChecksumCRC32C, &res.ChecksumSHA1, &res.ChecksumSHA256)
	return &s3api.CopyObjectOutput{CopyObjectResult: res}, nil
}

// UploadPartCopy uploads a part from (a byte range of) an existing object.
func (s *Service) UploadPartCopy(ctx context.Context, in *s3api.UploadPartCopyInput) (*s3api.UploadPartCopyOutput, error) {
	n, err := checkPartNumber(in.PartNumber)
	if err != nil {
		return nil, err
	}
	u, err := s.upload(ctx, str(in.Bucket), str(in.Key), str(in.UploadId))
	if err != nil {
		return nil, err
	}
	src, err := parseCopySource(str(in.CopySource))
	if err != nil {
		return nil, err
	}
	src.ifMatch, src.ifNoneMatch = in.CopySourceIfMatch, in.CopySourceIfNoneMatch
	src.ifModified, src.ifUnmod = in.CopySourceIfModifiedSince, in.CopySourceIfUnmodifiedSince
	_, sec, err := s.resolveSource(ctx, &src, str(in.CopySourceRange))
	if err != nil {
		return nil, err
	}
	defer sec.Close()
	info, sum, err := s.ingest(ctx, sec, ingestSpec{Length: sec.n, Checksum: checksum{Alg: u.Value.ChecksumAlg}})
	if err != nil {
		return nil, err
	}
	part := &partRec{Number: n, Blob: info.ID, Size: info.Size, ETag: etagOf(info), MD5: info.MD5[:], Modified: s.now(), Checksum: sum}
	if err := s.commitPart(ctx, u, part); err != nil {
		s.deleteBlob(ctx, info.ID)
		return nil, err
	}
	res := &s3api.CopyPartResult{ETag: ptr(quote(part.ETag)), LastModified: ptr(part.Modified)}
	setChecksum(sum, &res.ChecksumCRC32, &res.ChecksumCRC32C, &res.ChecksumSHA1, &res.ChecksumSHA256)
	return &s3api.UploadPartCopyOutput{CopyPartResult: res}, nil
}
