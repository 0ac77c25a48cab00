// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Tuning of the hub.
const (
	// listPageSize is the keys per Range while listing. etcd counts every
	// key from a page's start to the end of the range on each Range, so
	// listing n keys costs O(n²/listPageSize) in the server: 100k keys in
	// pages of 500 took 3s, in pages of 5000 a tenth of that.
	listPageSize  = 5000
	progressAfter = 100 * time.Millisecond // a waiter asks for watch progress after this
	progressEvery = 250 * time.Millisecond // and then this often
	backoffMin    = 100 * time.Millisecond // first retry of a failed watch or list
	backoffMax    = 5 * time.Second        // cap of the exponential backoff
)

// Log attribute keys of this package.
const (
	logKeyErr      = "err"
	logKeyRevision = "revision"
	logKeyTable    = "table"
	logKeyID       = "id"
)

// sink is a table cache as the hub sees it. Both methods are called only
// from the hub's goroutine.
type sink interface {
	// replace swaps the whole content for kvs, listed at one revision.
	replace(kvs []tableKV)
	// apply applies the changes of one watch response, in revision order.
	apply(evs []tableEvent)
	// advance raises the table's revision (Table.Revision) to rev, after
	// the changes up to rev are visible in the cache.
	advance(rev int64)
}

// tableKV is a key split into its table's record id.
type tableKV struct {
	id string
	kv KeyValue
}

// tableEvent is a watch event split into its table's record id.
type tableEvent struct {
	id  string
	typ EventType
	kv  KeyValue
}

type registration struct {
	name string
	sink sink
	errc chan error
}

// hub keeps every cached table of a Store in step with etcd, the informer
// pattern: list the tables at one revision, then watch the whole key prefix
// from the next revision and apply each change to its table's cache. A
// compacted watch means the hub fell behind the retained history: it lists
// again. Other watch errors are retried with exponential backoff.
//
// One goroutine (run) owns the watch and all cache mutation, so changes are
// applied in revision order. The applied revision only advances after every
// change up to it is visible in the caches, which is what waitFor, and so
// read-your-writes, relies on. Events of tables without a cache, or of keys
// outside any table, still advance the revision.
type hub struct {
	kv     KV
	prefix string
	log    *slog.Logger

	regc   chan registration
	sinks  map[string]sink // table name → cache; owned by run
	closed chan struct{}   // closed by Store.Close

	mu   sync.Mutex
	rev  int64           // applied revision
	revc chan struct{}   // closed and replaced whenever rev advances
	wctx context.Context // context of the current watch, for RequestProgress

	cancel context.CancelFunc
	done   chan struct{}
}

func newHub(kv KV, prefix string, log *slog.Logger) *hub {
	return &hub{
		kv:     kv,
		prefix: prefix,
		log:    log,
		regc:   make(chan registration),
		sinks:  make(map[string]sink),
		closed: make(chan struct{}),
		revc:   make(chan struct{}),
	}
}

// init reads the current revision, the starting point of the watch.
func (h *hub) init(ctx context.Context) error {
	rev, err := h.currentRevision(ctx)
	if err != nil {
		return err
	}
	h.setRev(rev)
	return nil
}

// start runs the watch loop until stop.
func (h *hub) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go h.run(ctx, h.done)
}

// stop ends the watch loop and waits for it.
func (h *hub) stop() {
	h.cancel()
	<-h.done
}

func (h *hub) revision() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rev
}

func (h *hub) setRev(rev int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if rev > h.rev {
		h.rev = rev
		close(h.revc)
		h.revc = make(chan struct{})
	}
}

// waitFor blocks until every change up to rev is applied. While it waits it
// asks etcd for watch progress, so a rev whose change lies outside the
// prefix (or was a no-op) is still reached.
func (h *hub) waitFor(ctx context.Context, rev int64) error {
	var timer *time.Timer
	for {
		h.mu.Lock()
		cur, ch := h.rev, h.revc
		h.mu.Unlock()
		if cur >= rev {
			if timer != nil {
				timer.Stop()
			}
			return nil
		}
		if timer == nil {
			timer = time.NewTimer(progressAfter)
		}
		select {
		case <-ch:
		case <-timer.C:
			h.requestProgress()
			timer.Reset(progressEvery)
		case <-h.closed:
			timer.Stop()
			return ErrClosed
		case <-ctx.Done():
			timer.Stop()
			return wrapf(ctx.Err(), "wait for revision %d (cache at %d)", rev, cur)
		}
	}
}

func (h *hub) requestProgress() {
	h.mu.Lock()
	wctx := h.wctx
	h.mu.Unlock()
	if wctx == nil || wctx.Err() != nil {
		return
	}
	if err := h.kv.RequestProgress(wctx); err != nil {
		h.log.Debug("store: request watch progress", logKeyErr, err)
	}
}

// register adds a table cache, filled before register returns.
func (h *hub) register(ctx context.Context, name string, s sink) error {
	reg := registration{name: name, sink: s, errc: make(chan error, 1)}
	select {
	case h.regc <- reg:
	case <-h.closed:
		return ErrClosed
	case <-ctx.Done():
		return wrapf(ctx.Err(), "register table %q", name)
	}
	select {
	case err := <-reg.errc:
		return err
	case <-ctx.Done():
		return wrapf(ctx.Err(), "register table %q", name)
	}
}

func (h *hub) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	b := backoff{}
	relist := false
	for ctx.Err() == nil {
		if relist {
			if err := h.relist(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				h.log.Warn("store: re-list failed; retrying", logKeyErr, err)
				if !b.wait(ctx) {
					return
				}
				continue
			}
			relist = false
		}
		var err error
		relist, err = h.watch(ctx, &b)
		switch {
		case ctx.Err() != nil:
			return
		case relist:
			h.log.Info("store: watch fell behind compaction; re-listing", logKeyRevision, h.revision())
		case err != nil:
			h.log.Warn("store: watch failed; retrying", logKeyErr, err, logKeyRevision, h.revision())
			if !b.wait(ctx) {
				return
			}
		}
	}
}

// watch streams changes from the applied revision until the watch fails.
// It returns relist when the caches must be listed again, a nil error when
// the watch must restart at once.
func (h *hub) watch(ctx context.Context, b *backoff) (relist bool, err error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h.mu.Lock()
	h.wctx = wctx
	h.mu.Unlock()
	wch := h.kv.Watch(wctx, h.prefix, h.revision()+1)
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case reg := <-h.regc:
			restart, err := h.fill(ctx, reg)
			reg.errc <- err
			if restart {
				return false, nil
			}
		case resp, ok := <-wch:
			if !ok {
				return false, errors.New("store: watch closed")
			}
			if resp.Err != nil {
				return errors.Is(resp.Err, ErrCompacted), resp.Err
			}
			b.reset()
			h.apply(resp)
		}
	}
}

// fill lists a new table at the applied revision, so the running watch
// continues it seamlessly. If that revision is compacted it re-lists every
// table at the current revision and asks for a watch restart.
func (h *hub) fill(ctx context.Context, reg registration) (restart bool, err error) {
	kvs, _, err := h.listTable(ctx, reg.name, h.revision())
	if err == nil {
		reg.sink.replace(kvs)
		reg.sink.advance(h.revision())
		h.sinks[reg.name] = reg.sink
		return false, nil
	}
	if !errors.Is(err, ErrCompacted) {
		return false, err
	}
	old, had := h.sinks[reg.name]
	h.sinks[reg.name] = reg.sink
	if err := h.relist(ctx); err != nil {
		if had {
			h.sinks[reg.name] = old
		} else {
			delete(h.sinks, reg.name)
		}
		return false, err
	}
	return true, nil
}

// relist lists every table at the current revision and swaps all caches,
// or none on error.
func (h *hub) relist(ctx context.Context) error {
	rev, err := h.currentRevision(ctx)
	if err != nil {
		return err
	}
	lists := make(map[string][]tableKV, len(h.sinks))
	for name := range h.sinks {
		kvs, _, err := h.listTable(ctx, name, rev)
		if err != nil {
			return err
		}
		lists[name] = kvs
	}
	for name, s := range h.sinks {
		s.replace(lists[name])
	}
	// Any table may have changed (deletions included) between the old
	// revision and rev: every table's revision becomes rev.
	for _, s := range h.sinks {
		s.advance(rev)
	}
	h.setRev(rev)
	return nil
}

// currentRevision reads etcd's current revision, linearizably. It gets one
// key (the bare prefix, normally absent) rather than ranging: a Range
// counts every key it spans.
func (h *hub) currentRevision(ctx context.Context) (int64, error) {
	_, rev, err := h.kv.Get(ctx, h.prefix, 0)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	return rev, nil
}

// listTable returns a table's records at rev (0 = latest) and the revision
// read.
func (h *hub) listTable(ctx context.Context, name string, rev int64) ([]tableKV, int64, error) {
	prefix := h.prefix + name + "/"
	var out []tableKV
	after := ""
	for {
		resp, err := h.kv.Range(ctx, RangeRequest{Prefix: prefix, After: after, Revision: rev, Limit: listPageSize})
		if err != nil {
			return nil, 0, err
		}
		if rev == 0 {
			rev = resp.Revision
		}
		for _, kv := range resp.KVs {
			out = append(out, tableKV{id: kv.Key[len(prefix):], kv: kv})
		}
		if !resp.More || len(resp.KVs) == 0 {
			return out, rev, nil
		}
		after = resp.KVs[len(resp.KVs)-1].Key
	}
}

func (h *hub) apply(resp WatchResponse) {
	if resp.Progress {
		h.setRev(resp.Revision)
		return
	}
	if len(resp.Events) == 0 {
		return
	}
	var batches map[string][]tableEvent
	for _, ev := range resp.Events {
		rest, ok := strings.CutPrefix(ev.KV.Key, h.prefix)
		if !ok {
			continue
		}
		name, id, ok := strings.Cut(rest, "/")
		if !ok || h.sinks[name] == nil {
			continue
		}
		if batches == nil {
			batches = make(map[string][]tableEvent)
		}
		batches[name] = append(batches[name], tableEvent{id: id, typ: ev.Type, kv: ev.KV})
	}
	for name, evs := range batches {
		s := h.sinks[name]
		s.apply(evs)
		s.advance(evs[len(evs)-1].kv.ModRevision) // events are in revision order
	}
	h.setRev(resp.Events[len(resp.Events)-1].KV.ModRevision)
}

// backoff is a jittered exponential backoff.
type backoff struct{ next time.Duration }

func (b *backoff) reset() { b.next = 0 }

// wait sleeps for the next interval; false if ctx ended first.
func (b *backoff) wait(ctx context.Context) bool {
	if b.next == 0 {
		b.next = backoffMin
	}
	d := b.next/2 + rand.N(b.next/2+1)
	b.next = min(2*b.next, backoffMax)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
