// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logship

import (
	"time"
	"unicode/utf8"
)

// CloudWatch Logs' PutLogEvents limits.
const (
	MaxBatchEvents = 10_000
	MaxBatchBytes  = 1_048_576 // message bytes + EventOverhead per event
	EventOverhead  = 26
	MaxEventBytes  = 262_144 - EventOverhead // one message
	MaxBatchSpan   = 24 * time.Hour
)

// event is one log event: at is the Docker timestamp of its line (the
// resume position), ms the CloudWatch timestamp (non-decreasing).
type event struct {
	at  time.Time
	ms  int64
	msg string
	// partial marks a piece of a long line other than its last one;
	// resume is then the position to save if a batch ends with it: the
	// previous line's (its Docker timestamp), so that following again
	// from just after it returns this whole line.
	partial bool
	resume  time.Time
}

// batch is the events of one PutLogEvents call.
type batch struct {
	events []event
	bytes  int
}

// fits reports whether e can join the batch within the limits.
func (b *batch) fits(e event) bool {
	if len(b.events) == 0 {
		return true
	}
	return len(b.events) < MaxBatchEvents &&
		b.bytes+len(e.msg)+EventOverhead <= MaxBatchBytes &&
		e.ms-b.events[0].ms < MaxBatchSpan.Milliseconds()
}

func (b *batch) add(e event) {
	b.events = append(b.events, e)
	b.bytes += len(e.msg) + EventOverhead
}

func (b *batch) full() bool {
	return len(b.events) >= MaxBatchEvents || b.bytes+1+EventOverhead > MaxBatchBytes
}

// position is how far the batch, once accepted, has shipped: its last
// line's timestamp, or the line before's when the batch ends inside a
// long line (so a restart resends that line rather than lose its rest).
// A long line's timestamp is its last Docker piece's (see
// docker.LogFollower), so neither resends a piece of a line by itself.
func (b *batch) position() time.Time {
	last := b.events[len(b.events)-1]
	if last.partial {
		return last.resume
	}
	return last.at
}

func (b *batch) reset() {
	b.events, b.bytes = b.events[:0], 0
}

// split cuts a message into pieces of at most MaxEventBytes, on UTF-8
// character boundaries.
func split(msg string) []string {
	var out []string
	for len(msg) > MaxEventBytes {
		cut := MaxEventBytes
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		if cut == 0 {
			cut = MaxEventBytes
		}
		out = append(out, msg[:cut])
		msg = msg[cut:]
	}
	return append(out, msg)
}

// sequencer turns lines into events with non-decreasing timestamps.
type sequencer struct{ lastMS int64 }

// events returns line's events; before is the position of the line
// before it.
func (s *sequencer) events(before, at time.Time, line string) []event {
	ms := max(at.UnixMilli(), s.lastMS)
	s.lastMS = ms
	pieces := split(line)
	out := make([]event, len(pieces))
	for i, p := range pieces {
		out[i] = event{at: at, ms: ms, msg: p, partial: i < len(pieces)-1}
		if out[i].partial {
			out[i].resume = before
		}
	}
	return out
}
