// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package simagent

import (
	"context"
	"sync"

	"github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/logkey"
)

// job is one state change to submit.
type job struct {
	in     *instance
	task   *simTask
	change acs.TaskStateChange
}

// submitLoop submits queued state changes until the queue closes.
func (f *Fleet) submitLoop(ctx context.Context) {
	for {
		j, ok := f.queue.pop()
		if !ok {
			return
		}
		err := f.states.SubmitTaskStateChange(ctx, j.change)
		if err != nil {
			f.submitErrors.Add(1)
			if ctx.Err() == nil {
				f.log.Debug("state change failed", logkey.TaskARN, j.change.TaskARN, "status", j.change.Status, logkey.Err, err)
			}
		} else {
			f.changes.Add(1)
		}
		j.in.done(j.task, j.change.Status, err)
	}
}

// queue is an unbounded FIFO of jobs: pushing never blocks, so an
// instance can queue work while holding its lock.
type queue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []job
	head   int
	closed bool
}

func newQueue() *queue {
	q := &queue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *queue) push(j job) {
	q.mu.Lock()
	q.items = append(q.items, j)
	q.mu.Unlock()
	q.cond.Signal()
}

// pop waits for a job; ok is false once the queue is closed.
func (q *queue) pop() (job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.items) && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return job{}, false
	}
	j := q.items[q.head]
	q.items[q.head] = job{}
	q.head++
	switch {
	case q.head == len(q.items):
		q.items, q.head = q.items[:0], 0
	case q.head > 1024 && q.head > len(q.items)/2:
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return j, true
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
