// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/blob"
	"github.com/berthdev/berth/internal/store"
)

// openAttempts bounds how often a read re-reads an object whose blob was
// replaced between reading the record and opening the blob.
const openAttempts = 5

// readSpec is what GetObject and HeadObject share.
type readSpec struct {
	bucket, key           string
	ifMatch, ifNoneMatch  *string
	ifModified, ifUnmod   *time.Time
	rng                   string
	partNumber            *int32
	checksumMode          string
	respType, respDisp    *string
	respEnc, respLang     *string
	respCache             *string
	respExpires           *time.Time
	open                  bool // open the blob (GET), or only describe (HEAD)
	rangeStart, rangeSize int64
	ranged                bool
}

// read resolves an object for GET or HEAD: conditions, range, and for GET
// an open blob that still holds the record's content.
func (s *Service) read(ctx context.Context, rs *readSpec) (store.Record[objectRec], blob.Reader, error) {
	if _, err := s.bucket(ctx, rs.bucket); err != nil {
		return store.Record[objectRec]{}, nil, err
	}
	for attempt := 1; ; attempt++ {
		rec, err := s.object(ctx, rs.bucket, rs.key)
		if err != nil {
			return rec, nil, err
		}
		o := rec.Value
		if err := checkConditions(o.ETag, o.Modified, rs.ifMatch, rs.ifNoneMatch, rs.ifModified, rs.ifUnmod, false); err != nil {
			return rec, nil, err
		}
		rs.rangeStart, rs.rangeSize, rs.ranged = 0, o.Size, false
		if rs.partNumber != nil {
			if err := partRange(rs, o); err != nil {
				return rec, nil, err
			}
		} else if rs.rng != "" {
			start, n, ok, err := parseRange(rs.rng, o.Size)
			if err != nil {
				return rec, nil, err
			}
			if ok {
				rs.rangeStart, rs.rangeSize, rs.ranged = start, n, true
			}
		}
		if !rs.open {
			return rec, nil, nil
		}
		r, err := s.deps.Blobs.Open(ctx, o.Blob)
		if err == nil {
			return rec, r, nil
		}
		if !errors.Is(err, blob.ErrNotFound) || attempt == openAttempts {
			return rec, nil, fmt.Errorf("s3: open %s/%s: %w", rs.bucket, rs.key, err)
		}
		// Overwritten or deleted meanwhile: read the record again.
	}
}

// partRange serves partNumber for objects uploaded in one piece (part 1
// is the whole object); parts of multipart objects are not kept apart.
func partRange(rs *readSpec, o *objectRec) error {
	n := *rs.partNumber
	switch {
	case n < 1 || n > maxParts:
		return errInvalidArgument("partNumber", strconv.Itoa(int(n)), "Part number must be an integer between 1 and 10000, inclusive")
	case o.Parts == 0 && n == 1:
		return nil
	case o.Parts == 0 || n > o.Parts:
		return withFields(awserr.New("InvalidPartNumber", 416, "The requested partnumber is not satisfiable"),
			"PartNumberRequested", strconv.Itoa(int(n)), "ActualPartCount", strconv.Itoa(int(max(o.Parts, 1))))
	}
	return awserr.NotImplemented("s3", "GetObject by partNumber of a multipart object")
}

// GetObject streams the object, or a byte range of it, from its blob. The
// returned Body must be closed by the codec, which copies it to the
// client; it is never read into memory here.
func (s *Service) GetObject(ctx context.Context, in *s3api.GetObjectInput) (*s3api.GetObjectOutput, error) {
	rs := &readSpec{bucket: str(in.Bucket), key: str(in.Key), ifMatch: in.IfMatch, ifNoneMatch: in.IfNoneMatch,
		ifModified: in.IfModifiedSince, ifUnmod: in.IfUnmodifiedSince, rng: str(in.Range), partNumber: in.PartNumber,
		checksumMode: str(in.ChecksumMode), open: true}
	rec, r, err := s.read(ctx, rs)
	if err != nil {
		return nil, err
	}
	o := rec.Value
	out := &s3api.GetObjectOutput{
		Body:          &section{r: r, off: rs.rangeStart, n: rs.rangeSize},
		ContentLength: ptr(rs.rangeSize),
		AcceptRanges:  ptr("bytes"),
		ETag:          ptr(quote(o.ETag)),
		LastModified:  ptr(o.Modified),
		Metadata:      o.Meta,
		ContentType:   nonEmpty(o.ContentType), ContentEncoding: nonEmpty(o.ContentEncoding),
		ContentDisposition: nonEmpty(o.ContentDisposition), ContentLanguage: nonEmpty(o.ContentLanguage),
		CacheControl: nonEmpty(o.CacheControl), Expires: o.Expires, WebsiteRedirectLocation: nonEmpty(o.WebsiteRedirect),
		StorageClass: nonEmpty(o.StorageClass),
	}
	if rs.ranged {
		out.ContentRange = ptr(fmt.Sprintf("bytes %d-%d/%d", rs.rangeStart, rs.rangeStart+rs.rangeSize-1, o.Size))
	}
	if o.Parts > 0 && in.PartNumber != nil {
		out.PartsCount = ptr(o.Parts)
	}
	if len(o.Tags) > 0 {
		out.TagCount = ptr(int32(len(o.Tags)))
	}
	if strings.EqualFold(rs.checksumMode, "ENABLED") && !rs.ranged {
		setChecksum(o.Checksum, &out.ChecksumCRC32, &out.ChecksumCRC32C, &out.ChecksumSHA1, &out.ChecksumSHA256)
	}
	override(&out.ContentType, in.ResponseContentType)
	override(&out.ContentDisposition, in.ResponseContentDisposition)
	override(&out.ContentEncoding, in.ResponseContentEncoding)
	override(&out.ContentLanguage, in.ResponseContentLanguage)
	override(&out.CacheControl, in.ResponseCacheControl)
	if in.ResponseExpires != nil {
		out.Expires = in.ResponseExpires
	}
	return out, nil
}

// HeadObject describes the object as GetObject would, without a body.
func (s *Service) HeadObject(ctx context.Context, in *s3api.HeadObjectInput) (*s3api.HeadObjectOutput, error) {
	rs := &readSpec{bucket: str(in.Bucket), key: str(in.Key), ifMatch: in.IfMatch, ifNoneMatch: in.IfNoneMatch,
		ifModified: in.IfModifiedSince, ifUnmod: in.IfUnmodifiedSince, rng: str(in.Range), partNumber: in.PartNumber,
		checksumMode: str(in.ChecksumMode)}
	rec, _, err := s.read(ctx, rs)
	if err != nil {
		return nil, err
	}
	o := rec.Value
	out := &s3api.HeadObjectOutput{
		ContentLength: ptr(rs.rangeSize),
		AcceptRanges:  ptr("bytes"),
		ETag:          ptr(quote(o.ETag)),
		LastModified:  ptr(o.Modified),
		Metadata:      o.Meta,
		ContentType:   nonEmpty(o.ContentType), ContentEncoding: nonEmpty(o.ContentEncoding),
		ContentDisposition: nonEmpty(o.ContentDisposition), ContentLanguage: nonEmpty(o.ContentLanguage),
		CacheControl: nonEmpty(o.CacheControl), Expires: o.Expires, WebsiteRedirectLocation: nonEmpty(o.WebsiteRedirect),
		StorageClass: nonEmpty(o.StorageClass),
	}
	if o.Parts > 0 && in.PartNumber != nil {
		out.PartsCount = ptr(o.Parts)
	}
	if strings.EqualFold(rs.checksumMode, "ENABLED") && !rs.ranged {
		setChecksum(o.Checksum, &out.ChecksumCRC32, &out.ChecksumCRC32C, &out.ChecksumSHA1, &out.ChecksumSHA256)
	}
	override(&out.ContentType, in.ResponseContentType)
	override(&out.ContentDisposition, in.ResponseContentDisposition)
	override(&out.ContentEncoding, in.ResponseContentEncoding)
	override(&out.ContentLanguage, in.ResponseContentLanguage)
	override(&out.CacheControl, in.ResponseCacheControl)
	return out, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func override(dst **string, v *string) {
	if v != nil && *v != "" {
		*dst = v
	}
}

// checkConditions applies the conditional headers in RFC 7232's order, as
// S3 documents them: If-Match (else If-Unmodified-Since) failing is 412
// PreconditionFailed; then If-None-Match matching (else If-Modified-Since
// not modified) is 304 Not Modified — or 412 for a copy source, whose
// conditions never answer 304.
func checkConditions(etag string, modified time.Time, ifMatch, ifNoneMatch *string, ifMod, ifUnmod *time.Time, copySource bool) error {
	prefix := ""
	if copySource {
		prefix = "x-amz-copy-source-"
	}
	mod := modified.Truncate(time.Second) // HTTP dates have whole seconds
	switch {
	case ifMatch != nil:
		if !etagMatches(*ifMatch, etag) {
			return errPreconditionFailed(prefix + "If-Match")
		}
	case ifUnmod != nil && mod.After(*ifUnmod):
		return errPreconditionFailed(prefix + "If-Unmodified-Since")
	}
	notModified := ""
	switch {
	case ifNoneMatch != nil:
		if etagMatches(*ifNoneMatch, etag) {
			notModified = "If-None-Match"
		}
	case ifMod != nil && !mod.After(*ifMod):
		notModified = "If-Modified-Since"
	}
	switch {
	case notModified == "":
		return nil
	case copySource:
		return errPreconditionFailed(prefix + notModified)
	}
	return errNotModified()
}

// etagMatches reports whether an If-Match / If-None-Match list names etag
// (quotes and weak prefixes ignored; "*" matches any).
func etagMatches(list, etag string) bool {
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		item = strings.TrimPrefix(item, "W/")
		if item == "*" || strings.Trim(item, `"`) == etag {
			return true
		}
	}
	return false
}

// parseRange parses a single "bytes=" range of an object of size bytes.
// A header that is not a single well-formed byte range is ignored (ok
// false), as S3 and RFC 7233 do; a range that starts at or beyond the end
// is InvalidRange (416).
func parseRange(h string, size int64) (start, n int64, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, nil
	}
	if first == "" { // suffix: the last N bytes
		k, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || k < 0 {
			return 0, 0, false, nil
		}
		if k == 0 || size == 0 {
			return 0, 0, false, errInvalidRange(h, size)
		}
		k = min(k, size)
		return size - k, k, true, nil
	}
	a, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || a < 0 {
		return 0, 0, false, nil
	}
	b := size - 1
	if last != "" {
		if b, perr = strconv.ParseInt(last, 10, 64); perr != nil || b < a {
			return 0, 0, false, nil
		}
	}
	if a >= size {
		return 0, 0, false, errInvalidRange(h, size)
	}
	b = min(b, size-1)
	return a, b - a + 1, true, nil
}
