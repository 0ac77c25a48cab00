// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logship

import (
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/logkey"
)

// actionError is a failed call, with the IAM action it needed.
type actionError struct {
	action string // logs:PutLogEvents ...
	err    error
}

func (e *actionError) Error() string { return e.action + ": " + e.err.Error() }
func (e *actionError) Unwrap() error { return e.err }

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func denied(err error) bool {
	switch errorCode(err) {
	case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException":
		return true
	}
	return false
}

// flush ships the batch, retrying with backoff until it is accepted (or
// dropped for good reason), and saves the position. It returns false only
// when the follower is cancelled.
func (f *follower) flush(b *batch) bool {
	delay := f.s.cfg.RetryMin
	failures := 0
	for {
		err := f.put(b)
		if err == nil {
			if failures > 0 {
				f.log.Info("shipping container output again", "after_failures", failures)
			}
			f.advance(b.position())
			b.reset()
			return true
		}
		code := errorCode(err)
		switch {
		case code == "InvalidParameterException" || code == "DataAlreadyAcceptedException":
			f.log.Error("CloudWatch Logs refused a batch of container output; it is dropped", "events", len(b.events), logkey.Code, code, logkey.Err, err)
			f.advance(b.position())
			b.reset()
			return true
		case code == "ResourceNotFoundException":
			f.made = false // the stream (or group) is gone: create it again
		}
		failures++
		var ae *actionError
		action := "logs:PutLogEvents"
		if errors.As(err, &ae) {
			action = ae.action
		}
		if denied(err) {
			f.log.Error("cannot ship container output: "+action+" is denied to the "+f.who+"; retrying, nothing is dropped",
				"action", action, "identity", f.who, "events_waiting", len(b.events), logkey.Err, err, "retry_in", delay)
		} else {
			f.log.Warn("shipping container output failed; retrying", "action", action, logkey.Err, err, "retry_in", delay)
		}
		if !wait(f.ctx, delay) {
			return false
		}
		delay = min(delay*2, f.s.cfg.RetryMax)
	}
}

func (f *follower) advance(pos time.Time) {
	f.mu.Lock()
	f.pos = pos
	f.mu.Unlock()
	if p := f.s.deps.Positions; p != nil {
		if err := p.PutLogPosition(f.taskARN, f.name, pos); err != nil {
			f.log.Warn("saving the shipped log position", logkey.Err, err)
		}
	}
}

// put creates the group and stream if needed and calls PutLogEvents.
func (f *follower) put(b *batch) error {
	ctx := f.ctx
	if !f.made {
		if f.opts.CreateGroup {
			_, err := f.client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(f.opts.Group)})
			var exists *types.ResourceAlreadyExistsException
			if err != nil && !errors.As(err, &exists) {
				return &actionError{action: "logs:CreateLogGroup", err: err}
			}
		}
		_, err := f.client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(f.opts.Group), LogStreamName: aws.String(f.opts.Stream)})
		var exists *types.ResourceAlreadyExistsException
		if err != nil && !errors.As(err, &exists) {
			return &actionError{action: "logs:CreateLogStream", err: err}
		}
		f.made = true
	}
	in := &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(f.opts.Group), LogStreamName: aws.String(f.opts.Stream),
		LogEvents: make([]types.InputLogEvent, len(b.events))}
	for i, e := range b.events {
		in.LogEvents[i] = types.InputLogEvent{Message: aws.String(e.msg), Timestamp: aws.Int64(e.ms)}
	}
	out, err := f.client.PutLogEvents(ctx, in)
	if err != nil {
		return &actionError{action: "logs:PutLogEvents", err: err}
	}
	if r := out.RejectedLogEventsInfo; r != nil {
		f.log.Warn("CloudWatch Logs rejected some events of a batch", "too_old_end", fmt.Sprint(aws.ToInt32(r.TooOldLogEventEndIndex)),
			"too_new_start", fmt.Sprint(aws.ToInt32(r.TooNewLogEventStartIndex)), "expired_end", fmt.Sprint(aws.ToInt32(r.ExpiredLogEventEndIndex)))
	}
	return nil
}
