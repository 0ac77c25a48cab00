// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error the package returns that means one of these
// wraps it, so callers test with errors.Is and never match on strings.
var (
	// ErrNotFound means the record (or lease) does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists means a Create found the record already present.
	ErrExists = errors.New("store: already exists")
	// ErrConflict means a compare-and-swap guard failed: the record was
	// modified since the revision the caller expected.
	ErrConflict = errors.New("store: revision conflict")
	// ErrCompacted means the requested revision has been compacted away; a
	// watcher must re-list.
	ErrCompacted = errors.New("store: revision compacted")
	// ErrTooManyOps means a transaction holds more operations than
	// Config.MaxTxnOps.
	ErrTooManyOps = errors.New("store: too many operations in transaction")
	// ErrClosed means the Store has been closed.
	ErrClosed = errors.New("store: closed")
)

// RecordError reports which record of which table an operation failed on.
// It unwraps to the cause (ErrNotFound, ErrExists, ErrConflict, ...).
type RecordError struct {
	Table string // table name, e.g. "tasks"
	ID    string // record id within the table
	Err   error  // cause
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("store: %s %q: %s", e.Table, e.ID, trimPkg(e.Err))
}

func (e *RecordError) Unwrap() error { return e.Err }

// wrapError prefixes a cause with context without repeating "store: ".
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return "store: " + e.msg + ": " + trimPkg(e.err) }

func (e *wrapError) Unwrap() error { return e.err }

// wrapf returns an error reading "store: <msg>: <cause>" that unwraps to cause.
func wrapf(cause error, format string, args ...any) error {
	return &wrapError{msg: fmt.Sprintf(format, args...), err: cause}
}

func trimPkg(err error) string { return strings.TrimPrefix(err.Error(), "store: ") }
