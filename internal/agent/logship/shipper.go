// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logship

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/docker/docker/api/types/container"

	"github.com/berthdev/berth/internal/agent/creds"
	"github.com/berthdev/berth/internal/agent/taskrunner"
	"github.com/berthdev/berth/internal/logkey"
)

// Docker is what the Shipper needs of the Docker client.
type Docker interface {
	// ContainerLogsFollow is docker.LogFollower's.
	ContainerLogsFollow(ctx context.Context, id string, since time.Time) (io.ReadCloser, error)
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
}

// Positions persist how far each container's output was shipped;
// *state.DB is one.
type Positions interface {
	PutLogPosition(taskARN, container string, t time.Time) error
	LogPosition(taskARN, container string) (time.Time, bool, error)
	DeleteLogPositions(taskARN string) error
}

// CredentialsGetter returns task credentials by id; creds.Manager is one.
type CredentialsGetter interface {
	Get(id string) (creds.Entry, bool)
}

// Config configures a Shipper.
type Config struct {
	// Endpoint and Region are used when a container's options name none
	// (the agent's control plane and region).
	Endpoint, Region string
	// FlushInterval is the longest a line waits in a batch; 0 means 1s.
	FlushInterval time.Duration
	// RetryMin and RetryMax bound the backoff between failed calls;
	// 0 means 1s and 1m.
	RetryMin, RetryMax time.Duration
}

// Deps are a Shipper's collaborators.
type Deps struct {
	Docker Docker // required
	// InstanceCredentials are the instance role's (the agent's own);
	// required.
	InstanceCredentials aws.CredentialsProvider
	// Credentials hold the tasks' execution role credentials; nil means
	// every container ships with the instance role.
	Credentials CredentialsGetter
	// Positions keep the shipped positions; nil keeps none (a restart
	// resends everything).
	Positions  Positions
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Shipper is a taskrunner hook that ships awslogs containers' output. It
// is safe for concurrent use; Close stops it.
type Shipper struct {
	cfg  Config
	deps Deps
	log  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	followers map[string]*follower // by task ARN NUL container name
	closed    bool
}

var (
	_ taskrunner.Poststarter    = (*Shipper)(nil)
	_ taskrunner.ExitedRestorer = (*Shipper)(nil)
	_ taskrunner.Drainer        = (*Shipper)(nil)
	_ taskrunner.Cleaner        = (*Shipper)(nil)
)

// New returns a Shipper.
func New(cfg Config, deps Deps) (*Shipper, error) {
	if deps.Docker == nil || deps.InstanceCredentials == nil {
		return nil, errors.New("logship: New needs a Docker client and the instance role's credentials")
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = time.Second
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = time.Second
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(time.Minute, cfg.RetryMin)
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Shipper{cfg: cfg, deps: deps, log: log.With(logkey.Service, "logship"), followers: map[string]*follower{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Name implements taskrunner.Hook.
func (s *Shipper) Name() string { return "logship" }

// Poststart implements taskrunner.Poststarter: it starts following an
// awslogs container (again, after a restart, from its saved position).
func (s *Shipper) Poststart(_ context.Context, t *taskrunner.Task, info *taskrunner.ContainerInfo) {
	s.start(t, info, false)
}

// RestoreExited implements taskrunner.ExitedRestorer: after a restart, it
// ships what an awslogs container that has stopped wrote after its saved
// position, reading its output once without following it. Drain waits
// for it as for a follower. A container whose output was all shipped
// before gets nothing sent twice: it is read from after that position.
func (s *Shipper) RestoreExited(_ context.Context, t *taskrunner.Task, info *taskrunner.ContainerInfo) {
	s.start(t, info, true)
}

// start ships info's output from its saved position: until the container
// has stopped and everything is shipped, or with once, just the output
// there is now.
func (s *Shipper) start(t *taskrunner.Task, info *taskrunner.ContainerInfo, once bool) {
	var spec *taskrunner.Container
	for i := range t.Containers {
		if t.Containers[i].Name == info.Name {
			spec = &t.Containers[i]
		}
	}
	if spec == nil {
		return
	}
	log := s.log.With(logkey.TaskARN, t.ARN, logkey.ContainerID, info.DockerID, "container", info.Name)
	opts, ok, err := OptionsOf(t, spec, info.DockerID)
	if err != nil {
		log.Error("container logs will not be shipped", logkey.Err, err)
		return
	}
	if !ok {
		return
	}
	key := t.ARN + "\x00" + info.Name
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.followers[key] != nil {
		return
	}
	var since time.Time
	if p := s.deps.Positions; p != nil {
		pos, ok, err := p.LogPosition(t.ARN, info.Name)
		if err != nil {
			log.Warn("reading the shipped log position; shipping from the start", logkey.Err, err)
		}
		if ok {
			since = pos
		}
	}
	f := s.newFollower(t, spec, info.DockerID, opts, since, log)
	f.once = once
	s.followers[key] = f
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f.run()
	}()
}

// Drain implements taskrunner.Drainer: it waits until the task's
// followers have shipped everything their containers wrote, or ctx ends.
func (s *Shipper) Drain(ctx context.Context, t *taskrunner.Task) {
	for _, f := range s.followersOf(t.ARN) {
		select {
		case <-f.done:
		case <-ctx.Done():
			f.log.Warn("container output not fully shipped before the container is removed", "group", f.opts.Group, "stream", f.opts.Stream,
				"shipped_up_to", f.shipped())
		}
	}
}

// Cleanup implements taskrunner.Cleaner: it stops the task's followers
// and forgets their positions.
func (s *Shipper) Cleanup(ctx context.Context, t *taskrunner.Task) {
	fs := s.followersOf(t.ARN)
	for _, f := range fs {
		f.cancel()
		<-f.stopped
	}
	s.mu.Lock()
	for _, f := range fs {
		delete(s.followers, f.key)
	}
	s.mu.Unlock()
	if p := s.deps.Positions; p != nil {
		if err := p.DeleteLogPositions(t.ARN); err != nil {
			s.log.Warn("forgetting log positions", logkey.TaskARN, t.ARN, logkey.Err, err)
		}
	}
}

// Close stops every follower and waits for them. Positions are kept: the
// next Shipper resumes from them.
func (s *Shipper) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

func (s *Shipper) followersOf(taskARN string) []*follower {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*follower
	for _, f := range s.followers {
		if f.taskARN == taskARN {
			out = append(out, f)
		}
	}
	return out
}

// wait sleeps d or until ctx ends; it reports whether ctx is still live.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
