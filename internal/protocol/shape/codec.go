// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package shape

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sync"

	"github.com/berthdev/berth/internal/awserr"
)

// MaxBody caps the request bodies codecs read into memory (streaming
// payloads are never read by a codec). The gateway may apply a tighter
// limit before a codec sees the request.
const MaxBody = 32 << 20

// ErrTarget is wrapped when a codec is handed a value that is not a
// pointer to a contract structure: a programming error, not a client one.
var ErrTarget = errors.New("shape: target is not a pointer to a structure")

// Struct returns the struct in points to and its description. in must be a
// non-nil pointer to a contract structure, as Operation.NewInput and
// NewOutput return.
func Struct(in any) (reflect.Value, *Type, error) {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, nil, fmt.Errorf("%w: %T", ErrTarget, in)
	}
	v = v.Elem()
	return v, Of(v.Type()), nil
}

// ReadBody reads the whole request body, at most MaxBody bytes. A larger
// body is answered with RequestEntityTooLarge (413).
func ReadBody(r *http.Request) ([]byte, *awserr.Error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	var b []byte
	var err error
	if bb, ok := r.Body.(*BufferedBody); ok && bb.Len() == len(bb.b) {
		b = bb.b // the gateway read it already: take it as is
		bb.Reset(nil)
	} else {
		b, err = io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	}
	if err != nil {
		return nil, awserr.New("IncompleteBody", http.StatusBadRequest,
			"The request body could not be read").WithCause(err)
	}
	if len(b) > MaxBody {
		return nil, awserr.New(awserr.CodeRequestEntityTooLarge, http.StatusRequestEntityTooLarge,
			"Request body must be at most %d bytes", MaxBody)
	}
	return b, nil
}

// BufferedBody is a request body already read into memory (the gateway
// reads bodies to verify their signatures). ReadBody takes its bytes
// without copying them, unless some of it was read meanwhile.
type BufferedBody struct {
	bytes.Reader
	b []byte
}

// NewBufferedBody returns b as a request body; b must not change after.
func NewBufferedBody(b []byte) *BufferedBody {
	bb := &BufferedBody{b: b}
	bb.Reader.Reset(b)
	return bb
}

// Close implements io.Closer.
func (*BufferedBody) Close() error { return nil }

// Status returns the HTTP status to answer e with: its own, or 400 for a
// sender fault and 500 otherwise when it has none.
func Status(e *awserr.Error) int {
	switch {
	case e.HTTPStatus != 0:
		return e.HTTPStatus
	case e.Sender:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// OrInternal returns e, or an InternalFailure when e is nil, so encoders
// never dereference a nil error.
func OrInternal(e *awserr.Error) *awserr.Error {
	if e == nil {
		return awserr.InternalFailure(errors.New("shape: nil error encoded"))
	}
	return e
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// Buffer returns an empty byte buffer from a pool for encoding a response;
// give it back with Release once the bytes were written out.
func Buffer() *[]byte { return bufPool.Get().(*[]byte) }

// Release returns b to the pool (very large buffers are dropped).
func Release(b *[]byte) {
	if cap(*b) > 1<<20 {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}
