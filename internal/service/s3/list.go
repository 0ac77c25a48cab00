// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/store"
)

// pastPrefix is appended to a common prefix to form a position after
// every key under it: UTF-8 never contains the byte 0xFF.
const pastPrefix = "\xff"

// listSpec selects a page of a bucket's keys.
type listSpec struct {
	bucket, prefix, delim string
	// after is the position to list from, exclusive: a key, or a common
	// prefix followed by pastPrefix.
	after string
	max   int
}

// listResult is a page of keys and common prefixes in key order.
type listResult struct {
	objects   []store.Record[objectRec]
	keys      []string
	prefixes  []string
	truncated bool
	// next is the position after the last entry returned.
	next string
	// last is the last key or common prefix returned.
	last string
}

// list walks the bucket's keys in order from the replica cache. A common
// prefix is rolled up by one jump past it, so a page costs a few ordered
// lookups however many keys share a prefix (100k keys list as cheaply as
// 100). Common prefixes count toward max as keys do.
func (s *Service) list(ctx context.Context, spec listSpec) (listResult, error) {
	var res listResult
	if spec.max <= 0 {
		return res, nil
	}
	base := spec.bucket + "/"
	after := ""
	if spec.after != "" {
		after = base + spec.after
	}
	// With a delimiter a batch may end at its first key (a jump past a
	// common prefix), so batches start small and grow while no jump
	// happens.
	batch := maxListKeys + 1
	if spec.delim != "" {
		batch = 8
	}
	for {
		limit := min(spec.max-len(res.keys)-len(res.prefixes)+1, batch)
		page, next, err := s.t.objects.List(ctx, store.Page{Prefix: base + spec.prefix, After: after, Limit: limit})
		if err != nil {
			return res, fmt.Errorf("s3: list: %w", err)
		}
		jumped := false
		for _, rec := range page {
			key := rec.ID[len(base):]
			entry, isPrefix := key, false
			if spec.delim != "" {
				if i := strings.Index(key[len(spec.prefix):], spec.delim); i >= 0 {
					entry, isPrefix = key[:len(spec.prefix)+i+len(spec.delim)], true
				}
			}
			if len(res.keys)+len(res.prefixes) == spec.max {
				res.truncated = true
				return res, nil
			}
			res.last = entry
			if isPrefix {
				res.prefixes = append(res.prefixes, entry)
				res.next = entry + pastPrefix
				after, jumped = base+res.next, true
				break
			}
			res.objects = append(res.objects, rec)
			res.keys = append(res.keys, key)
			res.next = key
			after = rec.ID
		}
		if !jumped && next == "" {
			return res, nil
		}
		if jumped {
			batch = 8
		} else {
			batch = min(2*batch, maxListKeys+1)
		}
	}
}

// ListObjectsV2 lists keys with prefix, delimiter, start-after and
// continuation tokens (opaque: the position to resume from).
func (s *Service) ListObjectsV2(ctx context.Context, in *s3api.ListObjectsV2Input) (*s3api.ListObjectsV2Output, error) {
	bucket := str(in.Bucket)
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	spec := listSpec{bucket: bucket, prefix: str(in.Prefix), delim: str(in.Delimiter), after: str(in.StartAfter), max: maxKeys(in.MaxKeys)}
	if in.ContinuationToken != nil {
		pos, err := base64.RawURLEncoding.DecodeString(*in.ContinuationToken)
		if err != nil || *in.ContinuationToken == "" {
			return nil, errInvalidArgument("continuation-token", *in.ContinuationToken, "The continuation token provided is incorrect")
		}
		spec.after = string(pos)
	}
	if err := checkEncoding(in.EncodingType); err != nil {
		return nil, err
	}
	res, err := s.list(ctx, spec)
	if err != nil {
		return nil, err
	}
	enc := encoder(in.EncodingType)
	out := &s3api.ListObjectsV2Output{
		Name: ptr(bucket), Prefix: ptr(enc(spec.prefix)), MaxKeys: ptr(int32(spec.max)),
		KeyCount: ptr(int32(len(res.keys) + len(res.prefixes))), IsTruncated: ptr(res.truncated),
		ContinuationToken: in.ContinuationToken, EncodingType: in.EncodingType,
		Contents:       contents(res, enc, in.FetchOwner != nil && *in.FetchOwner, b.Value.Owner),
		CommonPrefixes: commonPrefixes(res, enc),
	}
	if spec.delim != "" {
		out.Delimiter = ptr(enc(spec.delim))
	}
	if in.StartAfter != nil {
		out.StartAfter = ptr(enc(*in.StartAfter))
	}
	if res.truncated {
		out.NextContinuationToken = ptr(base64.RawURLEncoding.EncodeToString([]byte(res.next)))
	}
	return out, nil
}

// ListObjects is version 1: a marker instead of tokens, owners always, and
// NextMarker only when a delimiter is given (otherwise the last key is the
// next marker, as S3 documents).
func (s *Service) ListObjects(ctx context.Context, in *s3api.ListObjectsInput) (*s3api.ListObjectsOutput, error) {
	bucket := str(in.Bucket)
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if err := checkEncoding(in.EncodingType); err != nil {
		return nil, err
	}
	spec := listSpec{bucket: bucket, prefix: str(in.Prefix), delim: str(in.Delimiter), after: str(in.Marker), max: maxKeys(in.MaxKeys)}
	// A marker that is a common prefix (a NextMarker) resumes past it.
	if m := spec.after; spec.delim != "" && strings.HasPrefix(m, spec.prefix) {
		if i := strings.Index(m[len(spec.prefix):], spec.delim); i >= 0 && len(spec.prefix)+i+len(spec.delim) == len(m) {
			spec.after = m + pastPrefix
		}
	}
	res, err := s.list(ctx, spec)
	if err != nil {
		return nil, err
	}
	enc := encoder(in.EncodingType)
	out := &s3api.ListObjectsOutput{
		Name: ptr(bucket), Prefix: ptr(enc(spec.prefix)), Marker: ptr(enc(str(in.Marker))), MaxKeys: ptr(int32(spec.max)),
		IsTruncated: ptr(res.truncated), EncodingType: in.EncodingType,
		Contents: contents(res, enc, true, b.Value.Owner), CommonPrefixes: commonPrefixes(res, enc),
	}
	if spec.delim != "" {
		out.Delimiter = ptr(enc(spec.delim))
		if res.truncated {
			out.NextMarker = ptr(enc(res.last))
		}
	}
	return out, nil
}

func maxKeys(p *int32) int {
	if p == nil || *p > maxListKeys {
		return maxListKeys
	}
	return int(max(*p, 0))
}

func contents(res listResult, enc func(string) string, withOwner bool, account string) []s3api.Object {
	out := make([]s3api.Object, len(res.objects))
	for i, r := range res.objects {
		o := r.Value
		sc := o.StorageClass
		if sc == "" {
			sc = "STANDARD"
		}
		out[i] = s3api.Object{Key: ptr(enc(res.keys[i])), LastModified: ptr(o.Modified), ETag: ptr(quote(o.ETag)),
			Size: ptr(o.Size), StorageClass: ptr(sc)}
		if o.Checksum != nil {
			out[i].ChecksumAlgorithm = []string{o.Checksum.Alg}
		}
		if withOwner {
			out[i].Owner = owner(account)
		}
	}
	return out
}

func commonPrefixes(res listResult, enc func(string) string) []s3api.CommonPrefix {
	out := make([]s3api.CommonPrefix, len(res.prefixes))
	for i, p := range res.prefixes {
		out[i] = s3api.CommonPrefix{Prefix: ptr(enc(p))}
	}
	return out
}

func checkEncoding(p *string) error {
	if p != nil && *p != "url" {
		return errInvalidArgument("encoding-type", *p, "Invalid Encoding Method specified in Request")
	}
	return nil
}

// encoder returns the identity, or URL encoding of keys for
// encoding-type=url: every byte but unreserved characters and "/" as %XX
// (so "+" and " " survive clients that decode with unquote_plus).
func encoder(p *string) func(string) string {
	if p == nil {
		return func(s string) string { return s }
	}
	return func(s string) string {
		const hexDigits = "0123456789ABCDEF"
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
				b.WriteByte(c)
				continue
			}
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
		return b.String()
	}
}
