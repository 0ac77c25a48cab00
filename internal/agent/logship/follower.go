// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logship

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/agent/taskrunner"
	"github.com/berthdev/berth/internal/logkey"
)

// follower ships one container's output.
type follower struct {
	s                            *Shipper
	key, taskARN, name, dockerID string
	opts                         Options
	who                          string // the identity, for messages
	client                       *cloudwatchlogs.Client
	log                          *slog.Logger
	// once: the container has stopped; its output is read once, to the
	// end, without following it (RestoreExited).
	once bool

	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{} // closed once everything the container wrote is shipped
	stopped chan struct{} // closed when run returns

	mu   sync.Mutex
	pos  time.Time // shipped up to and including
	seq  sequencer
	made bool // stream (and group) created
}

func (s *Shipper) newFollower(t *taskrunner.Task, c *taskrunner.Container, dockerID string, opts Options, since time.Time, log *slog.Logger) *follower {
	f := &follower{s: s, key: t.ARN + "\x00" + c.Name, taskARN: t.ARN, name: c.Name, dockerID: dockerID, opts: opts,
		pos: since, done: make(chan struct{}), stopped: make(chan struct{}), log: log.With("group", opts.Group, "stream", opts.Stream)}
	f.ctx, f.cancel = context.WithCancel(s.ctx)
	provider, who := s.instanceCredentials()
	if ex := t.ExecutionRoleCredentials; c.LogsAuthStrategy == "ExecutionRole" && ex != nil && ex.CredentialsID != "" && s.deps.Credentials != nil {
		provider, who = s.executionCredentials(ex.CredentialsID), "task execution role "+ex.RoleARN
	}
	f.who = who
	region, endpoint := opts.Region, opts.Endpoint
	if region == "" {
		region = s.cfg.Region
	}
	if endpoint == "" {
		endpoint = s.cfg.Endpoint
	}
	o := cloudwatchlogs.Options{Region: region, Credentials: provider}
	if endpoint != "" {
		o.BaseEndpoint = aws.String(endpoint)
	}
	if s.deps.HTTPClient != nil {
		o.HTTPClient = s.deps.HTTPClient
	}
	f.client = cloudwatchlogs.New(o)
	return f
}

func (s *Shipper) instanceCredentials() (aws.CredentialsProvider, string) {
	return s.deps.InstanceCredentials, "instance role"
}

// executionCredentials reads the execution role's current credentials
// from the credentials manager at each refresh.
func (s *Shipper) executionCredentials(id string) aws.CredentialsProvider {
	return aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		e, ok := s.deps.Credentials.Get(id)
		if !ok || e.Credentials.Pending() {
			return aws.Credentials{}, fmt.Errorf("logship: the execution role credentials %s have not arrived from the control plane", logkey.Redact(id))
		}
		c := e.Credentials
		exp, err := time.Parse(time.RFC3339, c.Expiration)
		if err != nil {
			exp = time.Now().Add(5 * time.Minute)
		}
		return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
			Source: "TaskExecutionRole", CanExpire: true, Expires: exp}, nil
	}), func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = time.Minute })
}

func (f *follower) shipped() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pos
}

// run reads the container's output and ships it until the container has
// stopped and everything is shipped, or the follower is cancelled.
func (f *follower) run() {
	defer close(f.stopped)
	lines := make(chan event, 1024)
	var reader sync.WaitGroup
	reader.Add(1)
	go func() {
		defer reader.Done()
		f.read(f.shipped(), lines)
	}()
	defer reader.Wait()
	if f.send(lines) {
		close(f.done)
		f.log.Info("container output shipped", "shipped_up_to", f.shipped())
	}
}

// read follows the container's output from after `after` and sends its
// lines; it closes lines once the container has stopped and its output
// is read (with f.once, once the output was read to its end), and
// returns without closing it when cancelled.
func (f *follower) read(after time.Time, lines chan<- event) {
	ctx, d := f.ctx, f.s.deps.Docker
	delay := f.s.cfg.RetryMin
	for {
		since := after
		if !since.IsZero() {
			since = since.Add(time.Nanosecond)
		}
		rc, err := d.ContainerLogsFollow(ctx, f.dockerID, since)
		if errors.Is(err, docker.ErrNotFound) {
			f.log.Warn("the container is gone; its output that was not read is lost")
			close(lines)
			return
		}
		if err == nil {
			delay = f.s.cfg.RetryMin
			after, err = f.scan(rc, after, lines)
			rc.Close()
		}
		if ctx.Err() != nil {
			return
		}
		if err == nil && f.once {
			close(lines)
			return
		}
		if err != nil {
			f.log.Warn("reading container output; retrying", logkey.Err, err, "retry_in", delay)
		} else if stopped, ierr := f.exited(ctx); ierr == nil && stopped {
			close(lines)
			return
		}
		if !wait(ctx, delay) {
			return
		}
		delay = min(delay*2, f.s.cfg.RetryMax)
	}
}

// scan reads "<ts> <text>" lines until EOF and returns the timestamp of
// the last one.
func (f *follower) scan(r io.Reader, after time.Time, lines chan<- event) (time.Time, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			ts, text, ok := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
			at, perr := time.Parse(time.RFC3339Nano, ts)
			if !ok && perr == nil {
				text = "" // a line with a timestamp and no text
			}
			if perr != nil {
				at, text = after, strings.TrimRight(line, "\r\n") // no timestamp: keep the position
			}
			before := after
			after = at
			if text != "" {
				f.mu.Lock()
				evs := f.seq.events(before, at, text)
				f.mu.Unlock()
				for _, e := range evs {
					select {
					case lines <- e:
					case <-f.ctx.Done():
						return after, f.ctx.Err()
					}
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return after, nil
		}
		if err != nil {
			return after, err
		}
	}
}

// exited reports whether the container has stopped (or is gone).
func (f *follower) exited(ctx context.Context) (bool, error) {
	ins, err := f.s.deps.Docker.ContainerInspect(ctx, f.dockerID)
	if errors.Is(err, docker.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return ins.ContainerJSONBase == nil || ins.State == nil || !ins.State.Running, nil
}

// send batches lines and ships them; it reports whether lines was closed
// and everything was shipped.
func (f *follower) send(lines <-chan event) bool {
	var b batch
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-f.ctx.Done():
			return false
		case e, ok := <-lines:
			if !ok {
				return len(b.events) == 0 || f.flush(&b)
			}
			if !b.fits(e) && !f.flush(&b) {
				return false
			}
			if len(b.events) == 0 {
				timer.Reset(f.s.cfg.FlushInterval)
			}
			b.add(e)
			if b.full() {
				timer.Stop()
				if !f.flush(&b) {
					return false
				}
			}
		case <-timer.C:
			if len(b.events) > 0 && !f.flush(&b) {
				return false
			}
		}
	}
}
