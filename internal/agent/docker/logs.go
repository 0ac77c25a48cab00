// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package docker

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/api/types/container"
)

var _ LogFollower = (*Engine)(nil)

// LogFollower is an optional ability of a Client: a container's output
// as it is written.
type LogFollower interface {
	// ContainerLogsFollow streams the container's stdout and stderr,
	// merged in the order the daemon read them, as lines
	// "<RFC 3339 nano timestamp> <text>\n", starting with the first line
	// written at or after since (zero: from the beginning). The stream
	// ends when the container stops (after its last line) or ctx ends.
	// It needs a logging driver the daemon can read back (json-file,
	// local, journald).
	//
	// Docker stores a line longer than 16 KiB as partial messages, each
	// with its own timestamp; they are joined back into one line (per
	// stream, so stderr written meanwhile does not land inside a stdout
	// line) whose timestamp is its last piece's: following again from
	// just after it does not return a piece of it. A line longer than
	// MaxLineBytes comes as several lines of at most that (cut on a
	// UTF-8 character boundary), each stamped with the last piece it
	// holds; so does a line whose rest the stream ended before.
	ContainerLogsFollow(ctx context.Context, id string, since time.Time) (io.ReadCloser, error)
}

// ContainerLogsFollow implements LogFollower.
func (e *Engine) ContainerLogsFollow(ctx context.Context, id string, since time.Time) (io.ReadCloser, error) {
	ins, err := e.cli.ContainerInspect(ctx, id)
	if err != nil {
		return nil, wrap("logs "+short(id), err)
	}
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true, Timestamps: true}
	if !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	rc, err := e.cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return nil, wrap("logs "+short(id), err)
	}
	if ins.Config != nil && ins.Config.Tty {
		return rc, nil // a TTY's output is not multiplexed
	}
	pr, pw := io.Pipe()
	go func() {
		err := joinLines(pw, rc)
		rc.Close()
		pw.CloseWithError(err)
	}()
	return &pipeCloser{PipeReader: pr, src: rc}, nil
}

// pipeCloser closes the daemon's stream along with the pipe reading it.
type pipeCloser struct {
	*io.PipeReader
	src io.Closer
}

func (p *pipeCloser) Close() error {
	p.src.Close()
	return p.PipeReader.Close()
}
