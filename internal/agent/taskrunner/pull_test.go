// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/agent/docker/dockertest"
	"github.com/berthdev/berth/internal/agent/taskrunner"
)

// failingAuth is a registry-credential resolver that always fails.
type failingAuth struct{ err error }

func (f failingAuth) RegistryAuth(context.Context, *taskrunner.Task, *taskrunner.Container) (*docker.RegistryAuth, error) {
	return nil, f.err
}

// logBuffer collects log output written from the runner's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunner_PullAuthFailure: when the registry credentials cannot be had,
// every pull behaviour but "always" runs the task from the local image
// with a warning naming the error, as the ECS agent does; "always", or a
// missing local image, stops the task with CannotPullContainerError.
func TestRunner_PullAuthFailure(t *testing.T) {
	authErr := errors.New("GetAuthorizationToken: AccessDeniedException: not allowed")
	ecr := &taskrunner.RegistryAuthentication{Type: "ecr", ECR: &taskrunner.ECRAuthData{RegistryID: "000000000000", Region: "us-east-1"}}
	tests := []struct {
		name      string
		behavior  string
		local     bool
		auth      taskrunner.AuthResolver
		wantState string
	}{
		{"default falls back to the local image", taskrunner.PullDefault, true, failingAuth{authErr}, "RUNNING"},
		{"once falls back to the local image", taskrunner.PullOnce, true, failingAuth{authErr}, "RUNNING"},
		{"default without a resolver falls back too", taskrunner.PullDefault, true, nil, "RUNNING"},
		{"always fails", taskrunner.PullAlways, true, failingAuth{authErr}, "STOPPED"},
		{"default without a local image fails", taskrunner.PullDefault, false, failingAuth{authErr}, "STOPPED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := dockertest.New()
			// The registry has the image: only the credentials are missing.
			fake.AddRemoteImage("reg.example/app:1", dockertest.Image{})
			if tc.local {
				fake.AddImage("reg.example/app:1", dockertest.Image{})
			}
			logs := &logBuffer{}
			f := newFixture(t, fake, nil, func(c *taskrunner.Config, d *taskrunner.Deps) {
				c.PullBehavior = tc.behavior
				d.Auth = tc.auth
				d.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			})
			arn := taskARN()
			apply(t, f.r, taskrunner.Task{ARN: arn, Family: "f", Version: "1", DesiredStatus: "RUNNING", Containers: []taskrunner.Container{
				{Name: "app", Image: "reg.example/app:1", Essential: true, RegistryAuthentication: ecr}}})
			ch := f.rec.waitFor(t, arn, 5*time.Second, func(c taskrunner.StateChange) bool { return c.Status == tc.wantState })
			if pulls := fake.Pulls(); len(pulls) != 0 {
				t.Errorf("pulled %v without registry credentials", pulls)
			}
			wantErr := authErr.Error()
			if tc.auth == nil {
				wantErr = "no resolver"
			}
			if tc.wantState == "STOPPED" {
				if !strings.HasPrefix(ch.Reason, "CannotPullContainerError") || !strings.Contains(ch.Reason, wantErr) {
					t.Errorf("reason %q, want CannotPullContainerError naming %q", ch.Reason, wantErr)
				}
				return
			}
			out := logs.String()
			if !strings.Contains(out, "using the local image") || !strings.Contains(out, wantErr) {
				t.Errorf("no warning naming the error %q; logs:\n%s", wantErr, out)
			}
		})
	}
}
