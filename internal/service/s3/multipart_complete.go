// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"cmp"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/blob"
	"github.com/berthdev/berth/internal/reqctx"
	"github.com/berthdev/berth/internal/store"
)

// CompleteMultipartUpload assembles the listed parts into the object: the
// parts' blobs are streamed into one new blob, and the object's ETag is
// the MD5 of the parts' binary MD5s followed by "-" and the part count.
func (s *Service) CompleteMultipartUpload(ctx context.Context, in *s3api.CompleteMultipartUploadInput) (*s3api.CompleteMultipartUploadOutput, error) {
	bucket, key, id := str(in.Bucket), str(in.Key), str(in.UploadId)
	u, err := s.upload(ctx, bucket, key, id)
	if err != nil {
		return nil, err
	}
	if in.MultipartUpload == nil || len(in.MultipartUpload.Parts) == 0 {
		return nil, errMalformedXML()
	}
	chosen, err := s.chooseParts(ctx, id, in.MultipartUpload.Parts)
	if err != nil {
		return nil, err
	}
	pr := &partsReader{ctx: ctx, blobs: s.deps.Blobs, parts: chosen}
	info, err := s.deps.Blobs.Put(ctx, pr, blob.PutOptions{NoSHA256: true})
	pr.Close()
	if err != nil {
		return nil, fmt.Errorf("s3: assemble %s: %w", id, err)
	}
	md := md5.New()
	for _, p := range chosen {
		md.Write(p.MD5)
	}
	n := len(chosen)
	rec := &objectRec{Blob: info.ID, Size: info.Size, ETag: hex.EncodeToString(md.Sum(nil)) + "-" + strconv.Itoa(n),
		Modified: s.now(), Parts: int32(n), Tags: u.Value.Tags, headers: u.Value.headers}
	err = s.commitObject(ctx, bucket, key, rec, s.t.uploads.DeleteOp(uploadID(bucket, id), u.Revision))
	if err != nil {
		s.deleteBlob(ctx, info.ID)
		var re *store.RecordError
		if errors.As(err, &re) && re.Table == tableUploads {
			return nil, errNoSuchUpload(id) // completed or aborted meanwhile
		}
		return nil, err
	}
	s.dropParts(ctx, id)
	out := &s3api.CompleteMultipartUploadOutput{Bucket: ptr(bucket), Key: ptr(key), ETag: ptr(quote(rec.ETag)),
		Location: ptr(location(ctx, bucket, key))}
	setChecksum(composite(u.Value.ChecksumAlg, chosen), &out.ChecksumCRC32, &out.ChecksumCRC32C, &out.ChecksumSHA1, &out.ChecksumSHA256)
	return out, nil
}

// chooseParts checks the client's part list against the recorded parts:
// ascending part numbers (InvalidPartOrder), each part uploaded with the
// given ETag and checksum (InvalidPart), every part but the last at least
// MinPartSize (EntityTooSmall).
func (s *Service) chooseParts(ctx context.Context, upload string, list []s3api.CompletedPart) ([]*partRec, error) {
	recs, _, err := s.t.parts.List(ctx, store.Page{Prefix: upload + "/"})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	byNum := make(map[int32]*partRec, len(recs))
	for _, r := range recs {
		byNum[r.Value.Number] = r.Value
	}
	chosen := make([]*partRec, 0, len(list))
	prev := int32(0)
	for _, cp := range list {
		if cp.PartNumber == nil {
			return nil, errMalformedXML()
		}
		n := *cp.PartNumber
		if n <= prev {
			return nil, errInvalidPartOrder(upload)
		}
		prev = n
		p := byNum[n]
		etag := strings.Trim(strings.TrimSpace(str(cp.ETag)), `"`)
		if p == nil || etag != p.ETag || !sameChecksum(p.Checksum, cp) {
			return nil, errInvalidPart(upload, n, str(cp.ETag))
		}
		chosen = append(chosen, p)
	}
	for _, p := range chosen[:len(chosen)-1] {
		if p.Size < s.cfg.MinPartSize {
			return nil, errEntityTooSmall(p.Size, s.cfg.MinPartSize, p.Number, quote(p.ETag))
		}
	}
	return chosen, nil
}

// sameChecksum reports whether a checksum the client lists for a part
// agrees with the one the part was uploaded with.
func sameChecksum(c *checksum, cp s3api.CompletedPart) bool {
	given := flexible("", cp.ChecksumCRC32, cp.ChecksumCRC32C, cp.ChecksumSHA1, cp.ChecksumSHA256)
	return given.Value == "" || c == nil || c.Alg != given.Alg || c.Value == given.Value
}

// composite is the checksum of a multipart object: the checksum of the
// parts' binary checksums, then "-N".
func composite(alg string, parts []*partRec) *checksum {
	h := newChecksumHash(alg)
	if h == nil {
		return nil
	}
	for _, p := range parts {
		if p.Checksum == nil || p.Checksum.Alg != alg {
			return nil
		}
		b, err := base64.StdEncoding.DecodeString(p.Checksum.Value)
		if err != nil {
			return nil
		}
		h.Write(b)
	}
	return &checksum{Alg: alg, Value: base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))}
}

// location is the URL of a completed object, path-style on the host the
// client addressed.
func location(ctx context.Context, bucket, key string) string {
	info := reqctx.From(ctx)
	scheme := "http"
	if info.Secure {
		scheme = "https"
	}
	host := info.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host + "/" + bucket + "/" + encoder(ptr("url"))(key)
}

// ListParts lists an upload's parts in part-number order.
func (s *Service) ListParts(ctx context.Context, in *s3api.ListPartsInput) (*s3api.ListPartsOutput, error) {
	bucket, key, id := str(in.Bucket), str(in.Key), str(in.UploadId)
	u, err := s.upload(ctx, bucket, key, id)
	if err != nil {
		return nil, err
	}
	limit := maxKeys(in.MaxParts)
	page := store.Page{Prefix: id + "/", Limit: limit}
	marker := int32(0)
	if in.PartNumberMarker != nil && *in.PartNumberMarker > 0 {
		marker = *in.PartNumberMarker
		page.After = partID(id, marker)
	}
	recs, next, err := s.t.parts.List(ctx, page)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	if limit == 0 {
		recs = nil
	}
	acct := accountOf(u.Value.Initiator)
	out := &s3api.ListPartsOutput{Bucket: ptr(bucket), Key: ptr(key), UploadId: ptr(id), PartNumberMarker: ptr(marker),
		MaxParts: ptr(int32(limit)), IsTruncated: ptr(next != ""), StorageClass: ptr(storageClass(u.Value.StorageClass)),
		Initiator: &s3api.Initiator{ID: ptr(u.Value.Initiator), DisplayName: ptr(acct)}, Owner: owner(acct),
		ChecksumAlgorithm: nonEmpty(u.Value.ChecksumAlg), Parts: []s3api.Part{}}
	for _, r := range recs {
		p := r.Value
		part := s3api.Part{PartNumber: ptr(p.Number), LastModified: ptr(p.Modified), ETag: ptr(quote(p.ETag)), Size: ptr(p.Size)}
		setChecksum(p.Checksum, &part.ChecksumCRC32, &part.ChecksumCRC32C, &part.ChecksumSHA1, &part.ChecksumSHA256)
		out.Parts = append(out.Parts, part)
		out.NextPartNumberMarker = ptr(p.Number)
	}
	return out, nil
}

// ListMultipartUploads lists a bucket's uploads in progress by key, then
// initiation time, with key and upload-id markers, prefix and delimiter.
func (s *Service) ListMultipartUploads(ctx context.Context, in *s3api.ListMultipartUploadsInput) (*s3api.ListMultipartUploadsOutput, error) {
	bucket := str(in.Bucket)
	if _, err := s.bucket(ctx, bucket); err != nil {
		return nil, err
	}
	if err := checkEncoding(in.EncodingType); err != nil {
		return nil, err
	}
	recs, _, err := s.t.uploads.List(ctx, store.Page{Prefix: bucket + "/"})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	slices.SortFunc(recs, func(a, b store.Record[uploadRec]) int {
		return cmp.Or(strings.Compare(a.Value.Key, b.Value.Key), a.Value.Initiated.Compare(b.Value.Initiated),
			strings.Compare(a.Value.ID, b.Value.ID))
	})
	prefix, delim, km, um := str(in.Prefix), str(in.Delimiter), str(in.KeyMarker), str(in.UploadIdMarker)
	limit := maxKeys(in.MaxUploads)
	enc := encoder(in.EncodingType)
	out := &s3api.ListMultipartUploadsOutput{Bucket: ptr(bucket), KeyMarker: ptr(enc(km)), UploadIdMarker: ptr(um),
		Prefix: ptr(enc(prefix)), MaxUploads: ptr(int32(limit)), IsTruncated: ptr(false), EncodingType: in.EncodingType}
	if delim != "" {
		out.Delimiter = ptr(enc(delim))
	}
	seen := map[string]bool{}
	count := 0
	for _, r := range recs {
		u := r.Value
		if !strings.HasPrefix(u.Key, prefix) || u.Key < km || u.Key == km && (um == "" || u.ID <= um) {
			continue
		}
		cp := ""
		if i := strings.Index(u.Key[len(prefix):], delim); delim != "" && i >= 0 {
			cp = u.Key[:len(prefix)+i+len(delim)]
			if seen[cp] || cp == km { // a NextKeyMarker that is a common prefix resumes past it
				continue
			}
		}
		if count == limit {
			out.IsTruncated = ptr(true)
			break
		}
		count++
		if cp != "" {
			seen[cp] = true
			out.CommonPrefixes = append(out.CommonPrefixes, s3api.CommonPrefix{Prefix: ptr(enc(cp))})
			out.NextKeyMarker, out.NextUploadIdMarker = ptr(enc(cp)), nil
			continue
		}
		acct := accountOf(u.Initiator)
		out.Uploads = append(out.Uploads, s3api.MultipartUpload{UploadId: ptr(u.ID), Key: ptr(enc(u.Key)),
			Initiated: ptr(u.Initiated), StorageClass: ptr(storageClass(u.StorageClass)), Owner: owner(acct),
			Initiator: &s3api.Initiator{ID: ptr(u.Initiator), DisplayName: ptr(acct)}, ChecksumAlgorithm: nonEmpty(u.ChecksumAlg)})
		out.NextKeyMarker, out.NextUploadIdMarker = ptr(enc(u.Key)), ptr(u.ID)
	}
	return out, nil
}

func storageClass(sc string) string {
	if sc == "" {
		return "STANDARD"
	}
	return sc
}

// accountOf returns the account id of an IAM or STS ARN.
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}
