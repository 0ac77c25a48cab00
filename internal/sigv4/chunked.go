// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// aws-chunked framing, as AWS documents it for S3 ("Transferring payload in
// multiple chunks" and "Including trailing headers"):
//
//	hex(size)[;chunk-signature=SIG]\r\n DATA \r\n   ... repeated ...
//	0[;chunk-signature=SIG]\r\n
//	[name:value\r\n ...]                            trailer modes
//	[x-amz-trailer-signature:SIG\r\n]               signed trailer mode
//	\r\n
//
// Chunk n's signature is HMAC(kSigning, "AWS4-HMAC-SHA256-PAYLOAD\n" date
// "\n" scope "\n" SIG(n-1) "\n" hex(sha256("")) "\n" hex(sha256(DATA))),
// where SIG(0) is the request's (seed) signature. The trailer signature is
// HMAC(kSigning, "AWS4-HMAC-SHA256-TRAILER\n" date "\n" scope "\n"
// SIG(final chunk) "\n" hex(sha256(canonical trailers))), the canonical
// trailers being "name:value\n" for each trailer in name order.

const (
	maxChunkLine    = 4096
	trailerSigName  = "x-amz-trailer-signature"
	checksumPrefix  = "x-amz-checksum-"
	msgChunkSig     = "The chunk signature we calculated does not match the signature you provided."
	msgTrailerSig   = "The trailer signature we calculated does not match the signature you provided."
	msgDecodedLen   = "You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header."
	msgBadChunkBody = "The aws-chunked request body is malformed: "
)

// crc64NVME is CRC-64/NVME as Go's reflected crc64 wants its polynomial.
var crc64NVME = sync.OnceValue(func() *crc64.Table { return crc64.MakeTable(0x9a6c9329ac4bc9b5) })

// chunkSeed is what the chunk signatures chain from.
type chunkSeed struct {
	key     *signingKey
	amzDate string
	scope   string
	sig     [2 * sha256.Size]byte // hex of the previous signature
}

type checksum struct {
	name string // lowercase trailer name, "x-amz-checksum-crc32"
	alg  string // as S3 names it in messages, "CRC32"
	h    hash.Hash
}

// chunkedReader decodes and verifies an aws-chunked body. Read returns the
// decoded payload; the read that reaches the end returns io.EOF only once
// every signature, the length and the checksums have been verified, and a
// *Error otherwise. Errors are sticky.
type chunkedReader struct {
	src      *bufio.Reader
	closer   io.Closer
	signed   bool // chunk signatures
	trailers bool // trailer section expected
	seed     chunkSeed
	h        hash.Hash // SHA-256 of the current chunk, signed modes
	left     int64     // bytes left in the current chunk
	inChunk  bool
	chunkSig [sha256.Size]byte
	decoded  int64
	want     int64 // x-amz-decoded-content-length, -1 if not given
	declared []string
	sums     []checksum
	trailer  http.Header // r.Trailer, filled at the end
	buf      []byte
	err      error
}

var _ io.ReadCloser = (*chunkedReader)(nil)

// newChunkedReader prepares decoding src for r and adjusts r to describe the
// decoded payload.
func newChunkedReader(r *http.Request, mode payloadMode, seed *chunkSeed, src io.ReadCloser) (*chunkedReader, *Error) {
	c := &chunkedReader{
		src:      bufio.NewReaderSize(src, maxChunkLine),
		closer:   src,
		signed:   mode == modeSigned || mode == modeSignedTrailer,
		trailers: mode == modeSignedTrailer || mode == modeUnsignedTrailer,
		seed:     *seed,
		want:     -1,
	}
	if c.signed {
		c.h = sha256.New()
	}
	if v := first(r.Header[hdrDecodedLength]); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, newError(KindMalformedPayload, "x-amz-decoded-content-length must be a non-negative integer, not '"+v+"'.")
		}
		c.want = n
	} else if c.signed {
		return nil, newError(KindMalformedPayload, "x-amz-decoded-content-length is required for a signed streaming upload.")
	}
	if c.trailers {
		for _, v := range r.Header[hdrTrailer] {
			for name := range strings.SplitSeq(v, ",") {
				if name = strings.ToLower(strings.TrimSpace(name)); name == "" || slices.Contains(c.declared, name) {
					continue
				}
				c.declared = append(c.declared, name)
				if sum, ok := newChecksum(name); ok {
					c.sums = append(c.sums, sum)
				}
			}
		}
	}

	r.ContentLength = c.want
	if c.want >= 0 {
		r.Header.Set("Content-Length", strconv.FormatInt(c.want, 10))
	} else {
		r.Header.Del("Content-Length")
	}
	stripAWSChunked(r.Header)
	if len(c.declared) > 0 {
		if r.Trailer == nil {
			r.Trailer = make(http.Header, len(c.declared))
		}
		for _, name := range c.declared {
			r.Trailer[http.CanonicalHeaderKey(name)] = nil
		}
		c.trailer = r.Trailer
	}
	return c, nil
}

func newChecksum(name string) (checksum, bool) {
	c := checksum{name: name}
	switch strings.TrimPrefix(name, checksumPrefix) {
	case "crc32":
		c.alg, c.h = "CRC32", crc32.NewIEEE()
	case "crc32c":
		c.alg, c.h = "CRC32C", crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "crc64nvme":
		c.alg, c.h = "CRC64NVME", crc64.New(crc64NVME())
	case "sha1":
		c.alg, c.h = "SHA1", sha1.New()
	case "sha256":
		c.alg, c.h = "SHA256", sha256.New()
	default:
		return c, false
	}
	return c, true
}

// Read implements io.Reader.
func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for c.left == 0 {
		if err := c.next(); err != nil {
			c.err = err
			return 0, err
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.src.Read(p)
	c.left -= int64(n)
	c.decoded += int64(n)
	if c.signed {
		c.h.Write(p[:n])
	}
	for _, s := range c.sums {
		s.h.Write(p[:n])
	}
	switch {
	case c.want >= 0 && c.decoded > c.want:
		err = newError(KindMalformedPayload, msgDecodedLen)
	case errors.Is(err, io.EOF):
		err = malformed("the body ends inside a chunk")
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

// Close closes the underlying body.
func (c *chunkedReader) Close() error { return c.closer.Close() }

// next finishes the current chunk and starts the next one; at the final
// chunk it verifies the end of the body and returns io.EOF.
func (c *chunkedReader) next() error {
	if c.inChunk {
		line, err := c.line()
		if err != nil {
			return err
		}
		if len(line) != 0 {
			return malformed("chunk data is longer than its declared size")
		}
		if err := c.verifyChunk(); err != nil {
			return err
		}
		c.inChunk = false
	}
	line, err := c.line()
	if err != nil {
		return err
	}
	size, ext, _ := strings.Cut(string(line), ";")
	n, err := strconv.ParseInt(size, 16, 64)
	if err != nil || n < 0 || size == "" || size[0] == '+' || size[0] == '-' {
		return malformed("bad chunk size '" + size + "'")
	}
	if c.signed {
		sig, ok := strings.CutPrefix(ext, "chunk-signature=")
		if !ok || !decodeHex32(sig, &c.chunkSig) {
			return newError(KindSignatureMismatch, msgChunkSig)
		}
		c.h.Reset()
	}
	if n > 0 {
		c.left, c.inChunk = n, true
		return nil
	}
	if err := c.verifyChunk(); err != nil {
		return err
	}
	return c.finish()
}

// verifyChunk checks the signature of the chunk just read.
func (c *chunkedReader) verifyChunk() error {
	if !c.signed {
		return nil
	}
	var sum [sha256.Size]byte
	c.h.Sum(sum[:0])
	b := c.seed.key.begin(c.buf)
	b = append(b, "AWS4-HMAC-SHA256-PAYLOAD\n"...)
	b = c.appendChain(b)
	b = append(b, emptySHA256+"\n"...)
	b = hex.AppendEncode(b, sum[:])
	return c.verify(b, msgChunkSig, &c.chunkSig)
}

// appendChain appends "date\nscope\nprevious-signature\n".
func (c *chunkedReader) appendChain(b []byte) []byte {
	b = append(b, c.seed.amzDate...)
	b = append(b, '\n')
	b = append(b, c.seed.scope...)
	b = append(b, '\n')
	b = append(b, c.seed.sig[:]...)
	return append(b, '\n')
}

// verify compares the HMAC of the message in b with want and makes it the
// previous signature of the chain.
func (c *chunkedReader) verify(b []byte, msg string, want *[sha256.Size]byte) error {
	sig := c.seed.key.finish(b)
	c.buf = b
	if !hmac.Equal(sig[:], want[:]) {
		return newError(KindSignatureMismatch, msg)
	}
	hex.Encode(c.seed.sig[:], sig[:])
	return nil
}

// finish reads the trailer section and the final CRLF, then checks the
// trailer signature, the decoded length and the checksums.
func (c *chunkedReader) finish() error {
	var names, values []string
	var trailerSig string
	for {
		line, err := c.line()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		k, v, ok := strings.Cut(string(line), ":")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch {
		case !ok:
			return malformed("bad trailer line")
		case k == trailerSigName && c.signed && c.trailers && trailerSig == "":
			trailerSig = v
		case trailerSig != "" || !slices.Contains(c.declared, k):
			return malformed("trailer '" + k + "' was not declared in x-amz-trailer")
		case slices.Contains(names, k):
			return malformed("trailer '" + k + "' is repeated")
		default:
			names, values = append(names, k), append(values, v)
		}
	}
	if len(names) != len(c.declared) {
		return malformed("the trailers do not match x-amz-trailer")
	}
	if c.signed && c.trailers {
		if err := c.verifyTrailer(names, values, trailerSig); err != nil {
			return err
		}
	}
	if _, err := c.src.ReadByte(); err == nil {
		return malformed("data after the final chunk")
	} else if !errors.Is(err, io.EOF) {
		return err
	}
	if c.want >= 0 && c.decoded != c.want {
		return newError(KindMalformedPayload, msgDecodedLen)
	}
	for i, k := range names {
		if c.trailer != nil {
			c.trailer[http.CanonicalHeaderKey(k)] = []string{values[i]}
		}
		for _, s := range c.sums {
			if s.name == k && values[i] != base64.StdEncoding.EncodeToString(s.h.Sum(nil)) {
				return newError(KindChecksumMismatch, "The "+s.alg+" you specified did not match the calculated checksum.")
			}
		}
	}
	return io.EOF
}

func (c *chunkedReader) verifyTrailer(names, values []string, sigHex string) error {
	var want [sha256.Size]byte
	if !decodeHex32(sigHex, &want) {
		return newError(KindSignatureMismatch, msgTrailerSig)
	}
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	h := sha256.New()
	for _, i := range order {
		io.WriteString(h, names[i])
		io.WriteString(h, ":")
		io.WriteString(h, values[i])
		io.WriteString(h, "\n")
	}
	b := c.seed.key.begin(c.buf)
	b = append(b, "AWS4-HMAC-SHA256-TRAILER\n"...)
	b = c.appendChain(b)
	b = hex.AppendEncode(b, h.Sum(nil))
	return c.verify(b, msgTrailerSig, &want)
}

// line reads one CRLF-terminated line (a bare LF is accepted) and returns
// it without the terminator. The slice is valid until the next read.
func (c *chunkedReader) line() ([]byte, error) {
	line, err := c.src.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, malformed("line too long")
	case errors.Is(err, io.EOF):
		return nil, malformed("the body ends before the final chunk")
	case err != nil:
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func malformed(detail string) *Error {
	return newError(KindMalformedPayload, msgBadChunkBody+detail+".")
}

// stripAWSChunked removes the aws-chunked coding from Content-Encoding: it
// describes the transfer, not the object.
func stripAWSChunked(h http.Header) {
	vals := h["Content-Encoding"]
	if len(vals) == 0 {
		return
	}
	var keep []string
	for _, v := range vals {
		for tok := range strings.SplitSeq(v, ",") {
			if tok = strings.TrimSpace(tok); tok != "" && !strings.EqualFold(tok, "aws-chunked") {
				keep = append(keep, tok)
			}
		}
	}
	if len(keep) == 0 {
		h.Del("Content-Encoding")
		return
	}
	h["Content-Encoding"] = []string{strings.Join(keep, ",")}
}
