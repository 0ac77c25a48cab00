// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"context"
	"errors"
	"fmt"
)

type opKind uint8

const (
	opCreate opKind = iota + 1 // put, guarded by absence
	opPut                      // put, guarded by mod revision unless rev is 0
	opDelete                   // delete, guarded by mod revision, or by existence if rev is 0
	opCheck                    // guard only
)

// Op is one guarded operation of a transaction. Build it with a Table's
// CreateOp, PutOp, DeleteOp or CheckOp; the zero Op is invalid.
type Op struct {
	s     *Store
	table string
	id    string
	key   string
	kind  opKind
	value []byte
	rev   int64
	lease LeaseID
	err   error // deferred construction error, returned by Commit
}

// WithLease attaches the record written by a create or put op to a lease:
// it is deleted when the lease expires or is revoked.
func (o Op) WithLease(id LeaseID) Op {
	if o.kind != opCreate && o.kind != opPut && o.err == nil {
		o.err = &RecordError{Table: o.table, ID: o.id, Err: errors.New("store: only a create or put can carry a lease")}
	}
	o.lease = id
	return o
}

// guarded reports whether the op compares anything.
func (o Op) guarded() bool { return o.kind != opPut || o.rev > 0 }

func (o Op) cmp() Cmp {
	switch {
	case o.kind == opCreate:
		return Cmp{Key: o.key, Target: CmpCreateRevision, Op: CmpEqual, Rev: 0}
	case o.rev > 0:
		return Cmp{Key: o.key, Target: CmpModRevision, Op: CmpEqual, Rev: o.rev}
	default: // delete or check of whatever revision exists
		return Cmp{Key: o.key, Target: CmpCreateRevision, Op: CmpGreater, Rev: 0}
	}
}

// failure explains why o's guard failed, given the key as it was (nil if
// absent); nil if the guard held.
func (o Op) failure(cur *KeyValue) error {
	var err error
	switch {
	case o.kind == opCreate:
		if cur != nil {
			err = ErrExists
		}
	case cur == nil:
		err = ErrNotFound
	case o.rev > 0 && cur.ModRevision != o.rev:
		err = ErrConflict
	}
	if err == nil {
		return nil
	}
	return &RecordError{Table: o.table, ID: o.id, Err: err}
}

// Txn commits several record operations across tables atomically, in one
// etcd transaction: either every guard holds and every write happens at one
// revision, or nothing changes and Commit reports the first failed guard
// (ErrExists, ErrNotFound or ErrConflict in a *RecordError).
//
// A Txn holds at most Store.MaxTxnOps operations (128 by default, etcd's
// --max-txn-ops), writes each key at most once, and its encoded values must
// fit etcd's request limit (1.5 MiB by default). Split larger batches into
// several Txns, each with its own guards. A Txn is not safe for concurrent
// use.
type Txn struct {
	s   *Store
	ops []Op
}

// Txn starts a transaction.
func (s *Store) Txn() *Txn { return &Txn{s: s} }

// Add appends operations.
func (tx *Txn) Add(ops ...Op) *Txn {
	tx.ops = append(tx.ops, ops...)
	return tx
}

// Len returns the number of operations added.
func (tx *Txn) Len() int { return len(tx.ops) }

// Commit runs the transaction and returns its revision, after this
// replica's caches have applied it. If the caches do not catch up before
// ctx ends, Commit returns the revision, which is committed, together with
// the context error.
func (tx *Txn) Commit(ctx context.Context) (int64, error) {
	req, err := tx.build()
	if err != nil {
		return 0, err
	}
	if tx.s.isClosed() {
		return 0, ErrClosed
	}
	resp, err := tx.s.kv.Txn(ctx, req)
	if err != nil {
		return 0, err
	}
	if !resp.Succeeded {
		return 0, tx.failure(resp)
	}
	if len(req.Then) == 0 { // checks only: nothing written
		return resp.Revision, nil
	}
	if err := tx.s.hub.waitFor(ctx, resp.Revision); err != nil {
		return resp.Revision, wrapf(err, "committed at revision %d", resp.Revision)
	}
	return resp.Revision, nil
}

func (tx *Txn) build() (TxnRequest, error) {
	if len(tx.ops) == 0 {
		return TxnRequest{}, errors.New("store: empty transaction")
	}
	if len(tx.ops) > tx.s.cfg.MaxTxnOps {
		return TxnRequest{}, wrapf(ErrTooManyOps, "%d operations, at most %d", len(tx.ops), tx.s.cfg.MaxTxnOps)
	}
	var req TxnRequest
	written := make(map[string]bool, len(tx.ops))
	for _, o := range tx.ops {
		if o.err != nil {
			return TxnRequest{}, o.err
		}
		if o.kind == 0 {
			return TxnRequest{}, errors.New("store: zero Op in transaction")
		}
		if o.s != tx.s {
			return TxnRequest{}, fmt.Errorf("store: %s %q: operation belongs to another store", o.table, o.id)
		}
		if o.guarded() {
			req.If = append(req.If, o.cmp())
			req.Else = append(req.Else, TxnOp{Type: TxnGet, Key: o.key})
		}
		switch o.kind {
		case opCreate, opPut:
			req.Then = append(req.Then, TxnOp{Type: TxnPut, Key: o.key, Value: o.value, Lease: o.lease})
		case opDelete:
			req.Then = append(req.Then, TxnOp{Type: TxnDelete, Key: o.key})
		case opCheck:
			continue
		}
		if written[o.key] {
			return TxnRequest{}, fmt.Errorf("store: %s %q: written twice in one transaction", o.table, o.id)
		}
		written[o.key] = true
	}
	return req, nil
}

// failure maps a failed transaction to the first failed guard, using the
// keys the Else branch read at the same revision.
func (tx *Txn) failure(resp TxnResponse) error {
	i := 0
	for _, o := range tx.ops {
		if !o.guarded() {
			continue
		}
		var cur *KeyValue
		if i < len(resp.Results) && len(resp.Results[i].KVs) > 0 {
			cur = &resp.Results[i].KVs[0]
		}
		i++
		if err := o.failure(cur); err != nil {
			return err
		}
	}
	return wrapf(ErrConflict, "transaction guard failed")
}
