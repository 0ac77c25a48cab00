// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"strings"

	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/blob"
)

// ingestSpec is what a client claimed about a body it uploads.
type ingestSpec struct {
	// Length is Content-Length (decoded length for aws-chunked), or -1.
	Length int64
	// ContentMD5 is the base64 Content-MD5 header, if any.
	ContentMD5 string
	// Checksum names the flexible checksum to compute (and verify when
	// Checksum.Value is set): from x-amz-checksum-ALG or
	// x-amz-sdk-checksum-algorithm. A trailing checksum is verified by the
	// gateway's aws-chunked reader; it is computed again here to be kept.
	Checksum checksum
}

// flexible returns the checksum a request names: the first
// x-amz-checksum-* header given, else the algorithm alone.
func flexible(alg string, crc32v, crc32c, sha1v, sha256v *string) checksum {
	for _, c := range []struct {
		alg string
		v   *string
	}{{"CRC32", crc32v}, {"CRC32C", crc32c}, {"SHA1", sha1v}, {"SHA256", sha256v}} {
		if c.v != nil && *c.v != "" {
			return checksum{Alg: c.alg, Value: *c.v}
		}
	}
	return checksum{Alg: strings.ToUpper(alg)}
}

func newChecksumHash(alg string) hash.Hash {
	switch alg {
	case "CRC32":
		return crc32.NewIEEE()
	case "CRC32C":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "SHA1":
		return sha1.New()
	case "SHA256":
		return sha256.New()
	}
	return nil
}

// ingest streams body into a new blob and checks it against spec. On any
// failure no blob remains. The returned checksum is nil unless the client
// asked for one.
func (s *Service) ingest(ctx context.Context, body io.Reader, spec ingestSpec) (blob.Info, *checksum, error) {
	var wantMD5 []byte
	if spec.ContentMD5 != "" {
		b, err := base64.StdEncoding.DecodeString(spec.ContentMD5)
		if err != nil || len(b) != md5.Size {
			return blob.Info{}, nil, errInvalidDigest(spec.ContentMD5)
		}
		wantMD5 = b
	}
	max := s.cfg.MaxObjectSize
	if spec.Length > max {
		return blob.Info{}, nil, errEntityTooLarge(spec.Length, max)
	}
	if body == nil {
		body = strings.NewReader("")
	}
	r := &limitReader{r: body, left: max, max: max}
	var src io.Reader = r
	h := newChecksumHash(spec.Checksum.Alg)
	if h != nil {
		src = io.TeeReader(r, h)
	}
	info, err := s.deps.Blobs.Put(ctx, src, blob.PutOptions{NoSHA256: true})
	if err != nil {
		return blob.Info{}, nil, bodyError(err)
	}
	fail := func(e *awserr.Error) (blob.Info, *checksum, error) {
		s.deleteBlob(ctx, info.ID)
		return blob.Info{}, nil, e
	}
	if wantMD5 != nil && string(wantMD5) != string(info.MD5[:]) {
		return fail(errBadDigest())
	}
	var sum *checksum
	if h != nil {
		got := base64.StdEncoding.EncodeToString(h.Sum(nil))
		if spec.Checksum.Value != "" && spec.Checksum.Value != got {
			return fail(errChecksumMismatch(spec.Checksum.Alg))
		}
		sum = &checksum{Alg: spec.Checksum.Alg, Value: got}
	}
	return info, sum, nil
}

// limitReader fails with EntityTooLarge once more than max bytes arrive.
type limitReader struct {
	r         io.Reader
	left, max int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, errEntityTooLarge(l.max-l.left, l.max)
	}
	return n, err
}

// etagOf is the hex MD5 ETag of a single-part object.
func etagOf(info blob.Info) string { return fmt.Sprintf("%x", info.MD5) }

// setChecksum fills the x-amz-checksum-* member that c names.
func setChecksum(c *checksum, crc32v, crc32c, sha1v, sha256v **string) {
	if c == nil {
		return
	}
	switch c.Alg {
	case "CRC32":
		*crc32v = ptr(c.Value)
	case "CRC32C":
		*crc32c = ptr(c.Value)
	case "SHA1":
		*sha1v = ptr(c.Value)
	case "SHA256":
		*sha256v = ptr(c.Value)
	}
}
