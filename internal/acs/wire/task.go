// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package wire

// Task is a task as the agent runs it (the ACS Task shape).
type Task struct {
	ARN           string `json:"arn"`
	Family        string `json:"family"`
	Version       string `json:"version"`
	DesiredStatus string `json:"desiredStatus"`
	NetworkMode   string `json:"networkMode,omitempty"`
	LaunchType    string `json:"launchType,omitempty"`
	// CPU is the task-level limit in vCPUs (0.25 for 256 units).
	CPU *float64 `json:"cpu,omitempty"`
	// Memory is the task-level limit in MiB.
	Memory                   *int64              `json:"memory,omitempty"`
	PIDMode                  string              `json:"pidMode,omitempty"`
	IPCMode                  string              `json:"ipcMode,omitempty"`
	TaskDefinitionAccountID  string              `json:"taskDefinitionAccountId,omitempty"`
	Containers               []*Container        `json:"containers"`
	Volumes                  []*Volume           `json:"volumes"`
	RoleCredentials          *IAMRoleCredentials `json:"roleCredentials,omitempty"`
	ExecutionRoleCredentials *IAMRoleCredentials `json:"executionRoleCredentials,omitempty"`
}

// Container is one container of a Task. Docker settings the agent does not
// handle natively travel pre-rendered in DockerConfig.
type Container struct {
	Name       string   `json:"name"`
	Image      string   `json:"image"`
	CPU        int32    `json:"cpu"`
	Memory     int32    `json:"memory"`
	Essential  bool     `json:"essential"`
	Command    []string `json:"command,omitempty"`
	EntryPoint []string `json:"entryPoint,omitempty"`
	// Environment is a map, not name/value pairs.
	Environment      map[string]string     `json:"environment"`
	EnvironmentFiles []EnvironmentFile     `json:"environmentFiles,omitempty"`
	PortMappings     []PortMapping         `json:"portMappings"`
	Links            []string              `json:"links,omitempty"`
	MountPoints      []MountPoint          `json:"mountPoints"`
	VolumesFrom      []VolumeFrom          `json:"volumesFrom"`
	DependsOn        []ContainerDependency `json:"dependsOn,omitempty"`
	Secrets          []Secret              `json:"secrets,omitempty"`
	// Overrides is a JSON string such as "{}" or "{\"command\":[…]}".
	Overrides              string                  `json:"overrides"`
	RegistryAuthentication *RegistryAuthentication `json:"registryAuthentication,omitempty"`
	LogsAuthStrategy       string                  `json:"logsAuthStrategy,omitempty"`
	HealthCheckType        string                  `json:"healthCheckType,omitempty"`
	StartTimeout           *int32                  `json:"startTimeout,omitempty"`
	StopTimeout            *int32                  `json:"stopTimeout,omitempty"`
	FirelensConfiguration  *FirelensConfiguration  `json:"firelensConfiguration,omitempty"`
	DockerConfig           DockerConfig            `json:"dockerConfig"`
}

// PortMapping maps a container port to a host port (0 = dynamic).
type PortMapping struct {
	ContainerPort      int32  `json:"containerPort"`
	ContainerPortRange string `json:"containerPortRange,omitempty"`
	HostPort           int32  `json:"hostPort"`
	Protocol           string `json:"protocol"`
}

// MountPoint mounts a task volume into a container.
type MountPoint struct {
	SourceVolume  string `json:"sourceVolume"`
	ContainerPath string `json:"containerPath"`
	ReadOnly      bool   `json:"readOnly"`
}

// VolumeFrom mounts another container's volumes.
type VolumeFrom struct {
	SourceContainer string `json:"sourceContainer"`
	ReadOnly        bool   `json:"readOnly"`
}

// ContainerDependency orders container start-up.
type ContainerDependency struct {
	ContainerName string `json:"containerName"`
	Condition     string `json:"condition"`
}

// EnvironmentFile is an S3 object of KEY=VALUE lines.
type EnvironmentFile struct {
	Value string `json:"value"`
	Type  string `json:"type"`
}

// Secret is a value fetched by the agent from SSM ("ssm") or Secrets
// Manager ("asm").
type Secret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
	Provider  string `json:"provider"`
	Type      string `json:"type"`
	Region    string `json:"region,omitempty"`
}

// RegistryAuthentication tells the agent how to authenticate an image pull.
type RegistryAuthentication struct {
	Type        string       `json:"type"`
	ECRAuthData *ECRAuthData `json:"ecrAuthData,omitempty"`
}

// ECRAuthData locates the registry whose token the agent requests.
type ECRAuthData struct {
	RegistryID       string `json:"registryId"`
	Region           string `json:"region"`
	EndpointOverride string `json:"endpointOverride,omitempty"`
	UseExecutionRole bool   `json:"useExecutionRole"`
}

// FirelensConfiguration configures a FireLens log router container.
type FirelensConfiguration struct {
	Type    string            `json:"type"`
	Options map[string]string `json:"options,omitempty"`
}

// DockerConfig holds JSON documents of Docker Engine API shapes that the
// agent overlays on what it computes: Config for container config
// (Labels, Healthcheck, User, WorkingDir...), HostConfig for host config
// (LogConfig, MemoryReservation, Privileged...).
type DockerConfig struct {
	Config     string `json:"config,omitempty"`
	HostConfig string `json:"hostConfig,omitempty"`
	Version    string `json:"version,omitempty"`
}

// Volume is a task volume.
type Volume struct {
	Name                      string                     `json:"name"`
	Type                      string                     `json:"type"`
	Host                      *HostVolumeProperties      `json:"host,omitempty"`
	DockerVolumeConfiguration *DockerVolumeConfiguration `json:"dockerVolumeConfiguration,omitempty"`
}

// HostVolumeProperties is a bind mount source; an empty path asks for a
// Docker-managed volume.
type HostVolumeProperties struct {
	SourcePath string `json:"sourcePath,omitempty"`
}

// DockerVolumeConfiguration is a Docker named volume.
type DockerVolumeConfiguration struct {
	Scope         string            `json:"scope,omitempty"`
	Autoprovision bool              `json:"autoprovision,omitempty"`
	Driver        string            `json:"driver,omitempty"`
	DriverOpts    map[string]string `json:"driverOpts,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
}
