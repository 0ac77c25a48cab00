// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/agent/creds"
)

// Task and container statuses, as ECS names them.
const (
	StatusNone    = "NONE"
	StatusPending = "PENDING"
	StatusRunning = "RUNNING"
	StatusStopped = "STOPPED"
)

// Dependency conditions (dependsOn).
const (
	ConditionStart    = "START"
	ConditionComplete = "COMPLETE"
	ConditionSuccess  = "SUCCESS"
	ConditionHealthy  = "HEALTHY"
)

// Labels the runner puts on every container it creates; Restore finds its
// containers by them.
const (
	LabelTaskARN       = "com.amazonaws.ecs.task-arn"
	LabelContainerName = "com.amazonaws.ecs.container-name"
	LabelCluster       = "com.amazonaws.ecs.cluster"
	LabelFamily        = "com.amazonaws.ecs.task-definition-family"
	LabelVersion       = "com.amazonaws.ecs.task-definition-version"
)

// Task is a task as the control plane sends it over ACS (the agent's
// PayloadMessage task shape; FromWire converts one), reduced to what the
// runner uses.
type Task struct {
	ARN     string
	Family  string
	Version string
	// DesiredStatus is RUNNING or STOPPED.
	DesiredStatus string
	// NetworkMode is bridge (or empty), host or none.
	NetworkMode string
	Containers  []Container
	// RoleCredentials are the task role's (injected into containers);
	// ExecutionRoleCredentials the execution role's (for pulls and logs).
	RoleCredentials          *RoleCredentials `json:",omitempty"`
	ExecutionRoleCredentials *RoleCredentials `json:",omitempty"`
}

// RoleCredentials are a role's credentials under their credentials id.
type RoleCredentials struct {
	CredentialsID string
	creds.Credentials
}

// Container is one container of a Task.
type Container struct {
	Name  string
	Image string
	// CPU is in CPU units (1024 per vCPU): the container's CPU shares.
	CPU int64
	// Memory is the hard limit and MemoryReservation the soft limit, in
	// MiB (0: none).
	Memory            int64
	MemoryReservation int64
	Essential         bool
	Command           []string
	EntryPoint        []string
	Environment       map[string]string
	PortMappings      []PortMapping
	// DockerConfig carries Docker Engine API JSON overlaid on what the
	// runner computes (LogConfig, Labels, Healthcheck, ...).
	DockerConfig DockerConfig
	DependsOn    []Dependency
	// StopTimeout is the grace between SIGTERM and SIGKILL; 0 means
	// Config.StopTimeout.
	StopTimeout            time.Duration
	RegistryAuthentication *RegistryAuthentication `json:",omitempty"`
	// LogsAuthStrategy "ExecutionRole" makes awslogs use the execution
	// role's credentials.
	LogsAuthStrategy string `json:",omitempty"`
}

// PortMapping publishes a container port; HostPort 0 lets Docker choose.
type PortMapping struct {
	ContainerPort uint16
	HostPort      uint16
	Protocol      string // tcp (default) or udp
}

// DockerConfig is JSON of Docker Engine API shapes.
type DockerConfig struct {
	Config     string `json:",omitempty"` // container.Config
	HostConfig string `json:",omitempty"` // container.HostConfig
}

// Dependency orders container start-up: this container starts once
// ContainerName has reached Condition.
type Dependency struct {
	ContainerName string
	Condition     string
}

// RegistryAuthentication says how to authenticate an image pull.
type RegistryAuthentication struct {
	Type string // ecr
	ECR  *ECRAuthData
}

// ECRAuthData locates the registry whose token to request.
type ECRAuthData struct {
	RegistryID       string
	Region           string
	EndpointOverride string
	UseExecutionRole bool
}

// ID returns the task id: the ARN's last path segment.
func (t *Task) ID() string { return t.ARN[strings.LastIndex(t.ARN, "/")+1:] }

func (t *Task) container(name string) *Container {
	for i := range t.Containers {
		if t.Containers[i].Name == name {
			return &t.Containers[i]
		}
	}
	return nil
}

// HostNetwork reports whether the task uses the host's network stack.
func (t *Task) HostNetwork() bool { return t.NetworkMode == "host" }

// Validate checks what the runner relies on.
func (t *Task) Validate() error {
	var errs []error
	if !strings.HasPrefix(t.ARN, "arn:") || !strings.Contains(t.ARN, "/") {
		errs = append(errs, fmt.Errorf("task ARN %q: want arn:...:task/<cluster>/<id>", t.ARN))
	}
	switch t.DesiredStatus {
	case StatusRunning, StatusStopped:
	default:
		errs = append(errs, fmt.Errorf("desired status %q: want RUNNING or STOPPED", t.DesiredStatus))
	}
	switch t.NetworkMode {
	case "", "bridge", "host", "none":
	default:
		errs = append(errs, fmt.Errorf("network mode %q is not supported (bridge, host, none)", t.NetworkMode))
	}
	if len(t.Containers) == 0 {
		errs = append(errs, errors.New("no containers"))
	}
	seen := map[string]bool{}
	essential := false
	for _, c := range t.Containers {
		if c.Name == "" || seen[c.Name] {
			errs = append(errs, fmt.Errorf("container name %q empty or repeated", c.Name))
		}
		seen[c.Name] = true
		essential = essential || c.Essential
		if c.Image == "" {
			errs = append(errs, fmt.Errorf("container %s: no image", c.Name))
		}
	}
	if len(t.Containers) > 0 && !essential {
		errs = append(errs, errors.New("no essential container"))
	}
	for _, c := range t.Containers {
		for _, d := range c.DependsOn {
			switch {
			case !seen[d.ContainerName] || d.ContainerName == c.Name:
				errs = append(errs, fmt.Errorf("container %s depends on unknown container %q", c.Name, d.ContainerName))
			case d.Condition != ConditionStart && d.Condition != ConditionComplete && d.Condition != ConditionSuccess && d.Condition != ConditionHealthy:
				errs = append(errs, fmt.Errorf("container %s: dependency condition %q", c.Name, d.Condition))
			}
		}
	}
	if cyclic(t) {
		errs = append(errs, errors.New("dependsOn has a cycle"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("taskrunner: task %s: %w", t.ARN, errors.Join(errs...))
	}
	return nil
}

func cyclic(t *Task) bool {
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) bool
	visit = func(n string) bool {
		switch state[n] {
		case 1:
			return true
		case 2:
			return false
		}
		state[n] = 1
		if c := t.container(n); c != nil {
			for _, d := range c.DependsOn {
				if visit(d.ContainerName) {
					return true
				}
			}
		}
		state[n] = 2
		return false
	}
	for _, c := range t.Containers {
		if visit(c.Name) {
			return true
		}
	}
	return false
}

// credentialsIDs returns the task's credentials ids.
func (t *Task) credentialsIDs() []string {
	var ids []string
	for _, rc := range []*RoleCredentials{t.RoleCredentials, t.ExecutionRoleCredentials} {
		if rc != nil && rc.CredentialsID != "" {
			ids = append(ids, rc.CredentialsID)
		}
	}
	return ids
}

// specJSON encodes t for the state file without credentials secrets: ids
// and role ARNs only.
func (t *Task) specJSON() (json.RawMessage, error) {
	cp := *t
	strip := func(rc *RoleCredentials) *RoleCredentials {
		if rc == nil {
			return nil
		}
		return &RoleCredentials{CredentialsID: rc.CredentialsID, Credentials: creds.Credentials{RoleARN: rc.RoleARN}}
	}
	cp.RoleCredentials, cp.ExecutionRoleCredentials = strip(t.RoleCredentials), strip(t.ExecutionRoleCredentials)
	b, err := json.Marshal(cp)
	if err != nil {
		return nil, fmt.Errorf("taskrunner: encode task %s: %w", t.ARN, err)
	}
	return b, nil
}
