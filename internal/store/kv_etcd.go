// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"context"
	"errors"
	"math"
	"time"
	"unsafe"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// etcdKV implements KV over a clientv3 client: a network client for an
// external cluster, or v3client's in-process client for the embedded member.
type etcdKV struct {
	c *clientv3.Client
}

var (
	_ KV        = (*etcdKV)(nil)
	_ Compactor = (*etcdKV)(nil)
)

func (k *etcdKV) Get(ctx context.Context, key string, rev int64) (KeyValue, int64, error) {
	var opts []clientv3.OpOption
	if rev > 0 {
		opts = append(opts, clientv3.WithRev(rev))
	}
	resp, err := k.c.Get(ctx, key, opts...)
	if err != nil {
		return KeyValue{}, 0, etcdErr(err, "get %q", key)
	}
	if len(resp.Kvs) == 0 {
		return KeyValue{}, resp.Header.Revision, wrapf(ErrNotFound, "key %q", key)
	}
	return fromPB(resp.Kvs[0]), resp.Header.Revision, nil
}

func (k *etcdKV) Range(ctx context.Context, r RangeRequest) (RangeResponse, error) {
	if r.Prefix == "" {
		return RangeResponse{}, errors.New("store: range: empty prefix")
	}
	start := r.Prefix
	if r.After != "" && r.After >= start {
		start = r.After + "\x00" // smallest key greater than After
	}
	opts := []clientv3.OpOption{clientv3.WithRange(clientv3.GetPrefixRangeEnd(r.Prefix))}
	if r.Revision > 0 {
		opts = append(opts, clientv3.WithRev(r.Revision))
	}
	if r.Limit > 0 {
		opts = append(opts, clientv3.WithLimit(r.Limit))
	}
	if r.KeysOnly {
		opts = append(opts, clientv3.WithKeysOnly())
	}
	resp, err := k.c.Get(ctx, start, opts...)
	if err != nil {
		return RangeResponse{}, etcdErr(err, "range %q", r.Prefix)
	}
	out := RangeResponse{More: resp.More, Count: resp.Count, Revision: resp.Header.Revision}
	out.KVs = make([]KeyValue, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		out.KVs[i] = fromPB(kv)
	}
	return out, nil
}

func (k *etcdKV) Put(ctx context.Context, key string, value []byte, lease LeaseID) (int64, error) {
	resp, err := k.c.Put(ctx, key, string(value), clientv3.WithLease(clientv3.LeaseID(lease)))
	if err != nil {
		return 0, etcdErr(err, "put %q", key)
	}
	return resp.Header.Revision, nil
}

func (k *etcdKV) Delete(ctx context.Context, key string) (int64, int64, error) {
	resp, err := k.c.Delete(ctx, key)
	if err != nil {
		return 0, 0, etcdErr(err, "delete %q", key)
	}
	return resp.Header.Revision, resp.Deleted, nil
}

func (k *etcdKV) Txn(ctx context.Context, r TxnRequest) (TxnResponse, error) {
	cmps := make([]clientv3.Cmp, len(r.If))
	for i, c := range r.If {
		var target clientv3.Cmp
		switch c.Target {
		case CmpModRevision:
			target = clientv3.ModRevision(c.Key)
		case CmpCreateRevision:
			target = clientv3.CreateRevision(c.Key)
		default:
			return TxnResponse{}, errors.New("store: txn: unknown compare target")
		}
		op, ok := cmpOps[c.Op]
		if !ok {
			return TxnResponse{}, errors.New("store: txn: unknown compare operator")
		}
		cmps[i] = clientv3.Compare(target, op, c.Rev)
	}
	thenOps, err := toPBOps(r.Then)
	if err != nil {
		return TxnResponse{}, err
	}
	elseOps, err := toPBOps(r.Else)
	if err != nil {
		return TxnResponse{}, err
	}
	resp, err := k.c.Txn(ctx).If(cmps...).Then(thenOps...).Else(elseOps...).Commit()
	if err != nil {
		return TxnResponse{}, etcdErr(err, "txn")
	}
	out := TxnResponse{Succeeded: resp.Succeeded, Revision: resp.Header.Revision}
	out.Results = make([]TxnResult, len(resp.Responses))
	for i, rr := range resp.Responses {
		if g := rr.GetResponseRange(); g != nil {
			kvs := make([]KeyValue, len(g.Kvs))
			for j, kv := range g.Kvs {
				kvs[j] = fromPB(kv)
			}
			out.Results[i].KVs = kvs
		}
		if d := rr.GetResponseDeleteRange(); d != nil {
			out.Results[i].Deleted = d.Deleted
		}
	}
	return out, nil
}

var cmpOps = map[CmpOp]string{CmpEqual: "=", CmpNotEqual: "!=", CmpGreater: ">", CmpLess: "<"}

func toPBOps(ops []TxnOp) ([]clientv3.Op, error) {
	out := make([]clientv3.Op, len(ops))
	for i, op := range ops {
		switch op.Type {
		case TxnPut:
			// The value is not copied: an Op's encoded value is never
			// changed once built, and etcd copies what it keeps.
			out[i] = clientv3.OpPut(op.Key, unsafe.String(unsafe.SliceData(op.Value), len(op.Value)), clientv3.WithLease(clientv3.LeaseID(op.Lease)))
		case TxnDelete:
			out[i] = clientv3.OpDelete(op.Key)
		case TxnGet:
			out[i] = clientv3.OpGet(op.Key)
		default:
			return nil, errors.New("store: txn: unknown operation type")
		}
	}
	return out, nil
}

// Watch requires a leader, so a member cut off from its cluster ends the
// watch with an error instead of silently stalling; the caller retries.
func (k *etcdKV) Watch(ctx context.Context, prefix string, fromRev int64) <-chan WatchResponse {
	opts := []clientv3.OpOption{clientv3.WithPrefix()}
	if fromRev > 0 {
		opts = append(opts, clientv3.WithRev(fromRev))
	}
	wch := k.c.Watch(clientv3.WithRequireLeader(ctx), prefix, opts...)
	out := make(chan WatchResponse, 1)
	go func() {
		defer close(out)
		send := func(r WatchResponse) bool {
			select {
			case out <- r:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for resp := range wch {
			if err := resp.Err(); err != nil {
				wr := WatchResponse{Revision: resp.Header.Revision, CompactRevision: resp.CompactRevision}
				if resp.CompactRevision != 0 {
					wr.Err = wrapf(ErrCompacted, "watch %q from revision %d (compacted at %d)", prefix, fromRev, resp.CompactRevision)
				} else {
					wr.Err = etcdErr(err, "watch %q", prefix)
				}
				send(wr)
				return
			}
			wr := WatchResponse{Revision: resp.Header.Revision, Progress: resp.IsProgressNotify()}
			if len(resp.Events) > 0 {
				wr.Events = make([]Event, len(resp.Events))
				for i, ev := range resp.Events {
					t := EventPut
					if ev.Type == mvccpb.Event_DELETE {
						t = EventDelete
					}
					wr.Events[i] = Event{Type: t, KV: fromPB(ev.Kv)}
				}
			}
			if !send(wr) {
				return
			}
		}
		if ctx.Err() == nil {
			send(WatchResponse{Err: errors.New("store: watch closed")})
		}
	}()
	return out
}

func (k *etcdKV) RequestProgress(ctx context.Context) error {
	if err := k.c.RequestProgress(clientv3.WithRequireLeader(ctx)); err != nil {
		return etcdErr(err, "request watch progress")
	}
	return nil
}

func (k *etcdKV) Grant(ctx context.Context, ttl time.Duration) (LeaseID, error) {
	secs := max(int64(math.Ceil(ttl.Seconds())), 1)
	resp, err := k.c.Grant(ctx, secs)
	if err != nil {
		return NoLease, etcdErr(err, "grant lease")
	}
	return LeaseID(resp.ID), nil
}

func (k *etcdKV) KeepAlive(ctx context.Context, id LeaseID) (<-chan struct{}, error) {
	// KeepAliveOnce reports a missing lease as an error; KeepAlive would
	// only close its channel.
	if _, err := k.c.KeepAliveOnce(ctx, clientv3.LeaseID(id)); err != nil {
		return nil, etcdErr(err, "keep lease %x alive", int64(id))
	}
	ch, err := k.c.KeepAlive(ctx, clientv3.LeaseID(id))
	if err != nil {
		return nil, etcdErr(err, "keep lease %x alive", int64(id))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Drain: the lessor drops renewals nobody reads.
		for range ch {
		}
	}()
	return done, nil
}

func (k *etcdKV) Revoke(ctx context.Context, id LeaseID) error {
	if _, err := k.c.Revoke(ctx, clientv3.LeaseID(id)); err != nil {
		return etcdErr(err, "revoke lease %x", int64(id))
	}
	return nil
}

// Compact discards history before rev and waits until the backend has
// physically applied it.
func (k *etcdKV) Compact(ctx context.Context, rev int64) error {
	if _, err := k.c.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		return etcdErr(err, "compact to revision %d", rev)
	}
	return nil
}

func fromPB(kv *mvccpb.KeyValue) KeyValue {
	return KeyValue{
		Key:            string(kv.Key),
		Value:          kv.Value,
		CreateRevision: kv.CreateRevision,
		ModRevision:    kv.ModRevision,
		Version:        kv.Version,
		Lease:          LeaseID(kv.Lease),
	}
}

// etcdErr is the one place etcd errors map to the package sentinels.
func etcdErr(err error, format string, args ...any) error {
	switch {
	case errors.Is(err, rpctypes.ErrCompacted):
		err = ErrCompacted
	case errors.Is(err, rpctypes.ErrLeaseNotFound):
		err = ErrNotFound
	case errors.Is(err, rpctypes.ErrTooManyOps):
		err = ErrTooManyOps
	}
	return wrapf(err, format, args...)
}
