// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package blob

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"io"
)

// ErrNotFound means no blob has the id.
var ErrNotFound = errors.New("blob: not found")

// ErrInvalidID means an id is not one a Store could have returned.
var ErrInvalidID = errors.New("blob: invalid id")

// Store keeps immutable blobs. Implementations are safe for concurrent
// use.
type Store interface {
	// Put streams r into a new blob and returns its id, size and digests
	// (MD5 and SHA-256) once the blob is durable. If r returns an error (anything but
	// io.EOF) or ctx ends, nothing is stored and the error is returned
	// wrapped, so errors.As still finds the reader's own error type.
	Put(ctx context.Context, r io.Reader, opts PutOptions) (Info, error)
	// Open returns a Reader over the blob; ErrNotFound if it does not
	// exist. The caller closes the Reader.
	Open(ctx context.Context, id string) (Reader, error)
	// Delete removes the blob; ErrNotFound if it does not exist. Open
	// Readers keep working.
	Delete(ctx context.Context, id string) error
}

// PutOptions adjust Put.
type PutOptions struct {
	// ContentAddressed stores the blob under the hex SHA-256 of its
	// content instead of a random version id. Putting content that is
	// already stored returns the existing blob.
	ContentAddressed bool
	// NoSHA256 skips the SHA-256 (Info.SHA256 stays zero) for callers
	// that need only the MD5, as S3's ETags do; it is ignored with
	// ContentAddressed.
	NoSHA256 bool
}

// Info describes a stored blob.
type Info struct {
	ID     string
	Size   int64
	MD5    [md5.Size]byte
	SHA256 [sha256.Size]byte
}

// Reader reads a blob at any offset. It is safe for concurrent ReadAt
// calls.
type Reader interface {
	io.ReaderAt
	io.Closer
	// Size is the blob's length in bytes.
	Size() int64
}

// validID reports whether id could name a blob: 32 to 64 lowercase hex
// characters (a version id or a SHA-256 digest).
func validID(id string) bool {
	if len(id) < 32 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
