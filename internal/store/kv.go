// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"context"
	"time"
)

// KV is the etcd v3 data model that everything in berth persists through: a
// revisioned key space with prefix ranges at a revision, transactions that
// compare revisions (compare-and-swap), watches resumable from a revision and
// leases. It is composed of four small interfaces so a consumer can ask for
// only what it uses. The etcd implementation serves both the embedded member
// and an external cluster; another backend must pass the same conformance
// tests (no gaps, no reordering, compaction reported).
//
// Writes made directly through KV do not wait for the replica cache; call
// Store.WaitForRevision with the returned revision if a cached read must
// observe them.
type KV interface {
	Reader
	Writer
	Watcher
	Leaser
}

// Reader reads keys, optionally at a past revision. Reads are linearizable.
type Reader interface {
	// Get returns the key at revision rev (0 = latest) and the store
	// revision the read was served at. A missing key is ErrNotFound.
	Get(ctx context.Context, key string, rev int64) (KeyValue, int64, error)
	// Range returns the keys under r.Prefix in ascending key order.
	Range(ctx context.Context, r RangeRequest) (RangeResponse, error)
}

// Writer changes keys. A returned revision is the store revision of the
// write, committed (fsync'd to the WAL of a quorum) before the call returns.
type Writer interface {
	// Put sets key to value, attached to lease unless it is NoLease.
	Put(ctx context.Context, key string, value []byte, lease LeaseID) (int64, error)
	// Delete removes key and reports how many keys were deleted (0 or 1).
	// When nothing was deleted the revision is the current one, unchanged.
	Delete(ctx context.Context, key string) (rev int64, deleted int64, err error)
	// Txn evaluates r.If atomically and runs r.Then when every comparison
	// holds, r.Else otherwise.
	Txn(ctx context.Context, r TxnRequest) (TxnResponse, error)
}

// Watcher streams changes.
type Watcher interface {
	// Watch streams every change under prefix from revision fromRev (0 =
	// from now) in revision order; all events of one revision arrive in the
	// same response. The channel is closed when ctx is done or after a
	// response whose Err is set. If fromRev has been compacted the only
	// response carries an Err wrapping ErrCompacted and CompactRevision,
	// and the caller must re-list.
	Watch(ctx context.Context, prefix string, fromRev int64) <-chan WatchResponse
	// RequestProgress asks for a progress response (Progress set) on the
	// watches opened with ctx, proving that every change up to its
	// Revision has been delivered.
	RequestProgress(ctx context.Context) error
}

// Leaser manages leases: keys attached to a lease are deleted when it
// expires or is revoked. etcd resets lease deadlines on a leader change or a
// restart, so a lease may outlive its TTL, never expire early.
type Leaser interface {
	// Grant creates a lease; ttl is rounded up to whole seconds, and etcd
	// may raise it to its minimum.
	Grant(ctx context.Context, ttl time.Duration) (LeaseID, error)
	// KeepAlive renews the lease until ctx is done. The returned channel is
	// closed when renewal stops: ctx done, lease expired or revoked, or the
	// client closed. A missing lease is ErrNotFound.
	KeepAlive(ctx context.Context, id LeaseID) (<-chan struct{}, error)
	// Revoke deletes the lease and every key attached to it.
	Revoke(ctx context.Context, id LeaseID) error
}

// Compactor is an optional ability of a KV: discard history before a
// revision. Found by type assertion.
type Compactor interface {
	Compact(ctx context.Context, rev int64) error
}

// LeaseID identifies a lease.
type LeaseID int64

// NoLease attaches no lease.
const NoLease LeaseID = 0

// KeyValue is a key at one revision.
type KeyValue struct {
	Key            string
	Value          []byte
	CreateRevision int64 // revision of the create; 0 means absent
	ModRevision    int64 // revision of the last modification: the CAS token
	Version        int64 // number of modifications since create
	Lease          LeaseID
}

// RangeRequest selects keys.
type RangeRequest struct {
	Prefix   string // keys starting with Prefix (required)
	After    string // if set, only keys strictly greater than this full key
	Revision int64  // read at this revision; 0 = latest
	Limit    int64  // at most this many keys; 0 = no limit
	KeysOnly bool   // omit values
}

// RangeResponse is the result of a Range.
type RangeResponse struct {
	KVs      []KeyValue
	More     bool  // more keys match beyond Limit
	Count    int64 // keys in the selected range, before Limit
	Revision int64 // store revision the range was served at
}

// CmpTarget is the revision a Cmp inspects.
type CmpTarget uint8

// Comparison targets.
const (
	CmpModRevision    CmpTarget = iota + 1 // the key's ModRevision
	CmpCreateRevision                      // the key's CreateRevision; 0 when absent
)

// CmpOp is a comparison operator.
type CmpOp uint8

// Comparison operators.
const (
	CmpEqual CmpOp = iota + 1
	CmpNotEqual
	CmpGreater
	CmpLess
)

// Cmp compares a revision of Key with Rev.
type Cmp struct {
	Key    string
	Target CmpTarget
	Op     CmpOp
	Rev    int64
}

// TxnOpType is the kind of a TxnOp.
type TxnOpType uint8

// Transaction operation kinds.
const (
	TxnPut TxnOpType = iota + 1
	TxnDelete
	TxnGet
)

// TxnOp is one operation of a transaction branch.
type TxnOp struct {
	Type  TxnOpType
	Key   string
	Value []byte  // TxnPut only
	Lease LeaseID // TxnPut only
}

// TxnRequest is an atomic If/Then/Else. etcd bounds each of the three lists
// by its --max-txn-ops (128 by default) and rejects a branch that writes one
// key twice.
type TxnRequest struct {
	If   []Cmp
	Then []TxnOp
	Else []TxnOp
}

// TxnResponse is the result of a Txn.
type TxnResponse struct {
	Succeeded bool        // every If comparison held; Then ran
	Revision  int64       // store revision after the transaction
	Results   []TxnResult // one per operation of the branch that ran
}

// TxnResult is the result of one TxnOp.
type TxnResult struct {
	KVs     []KeyValue // TxnGet
	Deleted int64      // TxnDelete
}

// EventType is the kind of a watch Event.
type EventType uint8

// Event kinds.
const (
	EventPut EventType = iota + 1
	EventDelete
)

// Event is one change. For EventDelete, KV holds the key and the revision of
// the deletion in ModRevision.
type Event struct {
	Type EventType
	KV   KeyValue
}

// WatchResponse is one batch of changes, or a progress notification, or an
// error.
type WatchResponse struct {
	Events          []Event
	Revision        int64 // store revision when the response was sent
	Progress        bool  // no events; all changes up to Revision were delivered
	CompactRevision int64 // set with an Err wrapping ErrCompacted
	Err             error // terminal: the channel closes after it
}
