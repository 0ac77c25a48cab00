// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsjson_test

import (
	"time"

	"github.com/berthdev/berth/internal/awsapi"
)

// The ECS shapes RunTask, DescribeClusters and DescribeTasks need, declared
// as tools/awsgen will emit them (internal/awsapi's tag contract) after the
// pinned model models/apis/ecs/2014-11-13/api-2.json. Test-only: the
// codec tests must not depend on generated packages.

// ecsService is the ECS descriptor over the declared operations.
func ecsService() *awsapi.Service {
	op := func(name string, in, out func() any) *awsapi.Operation {
		return &awsapi.Operation{Name: name, HTTPMethod: "POST", RequestURI: "/", NewInput: in, NewOutput: out}
	}
	return &awsapi.Service{
		Name: "ecs", ServiceID: "ECS", Protocol: awsapi.ProtocolJSON, APIVersion: "2014-11-13",
		TargetPrefix: "AmazonEC2ContainerServiceV20141113", JSONVersion: "1.1", EndpointPrefix: "ecs",
		Operations: map[string]*awsapi.Operation{
			"RunTask": op("RunTask", func() any { return new(RunTaskRequest) }, func() any { return new(RunTaskResponse) }),
			"DescribeClusters": op("DescribeClusters", func() any { return new(DescribeClustersRequest) },
				func() any { return new(DescribeClustersResponse) }),
			"DescribeTasks": op("DescribeTasks", func() any { return new(DescribeTasksRequest) },
				func() any { return new(DescribeTasksResponse) }),
		},
	}
}

type RunTaskRequest struct {
	_                        struct{}                       `type:"structure"`
	CapacityProviderStrategy []CapacityProviderStrategyItem `locationName:"capacityProviderStrategy" type:"list"`
	Cluster                  *string                        `locationName:"cluster" type:"string"`
	Count                    *int32                         `locationName:"count" type:"integer"`
	EnableECSManagedTags     *bool                          `locationName:"enableECSManagedTags" type:"boolean"`
	EnableExecuteCommand     *bool                          `locationName:"enableExecuteCommand" type:"boolean"`
	Group                    *string                        `locationName:"group" type:"string"`
	LaunchType               *string                        `locationName:"launchType" type:"string" enum:"LaunchType"`
	NetworkConfiguration     *NetworkConfiguration          `locationName:"networkConfiguration" type:"structure"`
	Overrides                *TaskOverride                  `locationName:"overrides" type:"structure"`
	PlacementConstraints     []PlacementConstraint          `locationName:"placementConstraints" type:"list"`
	PlacementStrategy        []PlacementStrategy            `locationName:"placementStrategy" type:"list"`
	PlatformVersion          *string                        `locationName:"platformVersion" type:"string"`
	PropagateTags            *string                        `locationName:"propagateTags" type:"string" enum:"PropagateTags"`
	ReferenceId              *string                        `locationName:"referenceId" type:"string"`
	StartedBy                *string                        `locationName:"startedBy" type:"string"`
	Tags                     []Tag                          `locationName:"tags" type:"list"`
	TaskDefinition           *string                        `locationName:"taskDefinition" type:"string" required:"true"`
	ClientToken              *string                        `locationName:"clientToken" type:"string" idempotencyToken:"true"`
	VolumeConfigurations     []TaskVolumeConfiguration      `locationName:"volumeConfigurations" type:"list"`
}

type CapacityProviderStrategyItem struct {
	_                struct{} `type:"structure"`
	CapacityProvider *string  `locationName:"capacityProvider" type:"string" required:"true"`
	Weight           *int32   `locationName:"weight" type:"integer"`
	Base             *int32   `locationName:"base" type:"integer"`
}

type NetworkConfiguration struct {
	_                   struct{}             `type:"structure"`
	AwsvpcConfiguration *AwsVpcConfiguration `locationName:"awsvpcConfiguration" type:"structure"`
}

type AwsVpcConfiguration struct {
	_              struct{} `type:"structure"`
	Subnets        []string `locationName:"subnets" type:"list" required:"true"`
	SecurityGroups []string `locationName:"securityGroups" type:"list"`
	AssignPublicIp *string  `locationName:"assignPublicIp" type:"string" enum:"AssignPublicIp"`
}

type TaskOverride struct {
	_                             struct{}                       `type:"structure"`
	ContainerOverrides            []ContainerOverride            `locationName:"containerOverrides" type:"list"`
	Cpu                           *string                        `locationName:"cpu" type:"string"`
	InferenceAcceleratorOverrides []InferenceAcceleratorOverride `locationName:"inferenceAcceleratorOverrides" type:"list"`
	ExecutionRoleArn              *string                        `locationName:"executionRoleArn" type:"string"`
	Memory                        *string                        `locationName:"memory" type:"string"`
	TaskRoleArn                   *string                        `locationName:"taskRoleArn" type:"string"`
	EphemeralStorage              *EphemeralStorage              `locationName:"ephemeralStorage" type:"structure"`
}

type ContainerOverride struct {
	_                    struct{}              `type:"structure"`
	Name                 *string               `locationName:"name" type:"string"`
	Command              []string              `locationName:"command" type:"list"`
	Environment          []KeyValuePair        `locationName:"environment" type:"list"`
	EnvironmentFiles     []EnvironmentFile     `locationName:"environmentFiles" type:"list"`
	Cpu                  *int32                `locationName:"cpu" type:"integer"`
	Memory               *int32                `locationName:"memory" type:"integer"`
	MemoryReservation    *int32                `locationName:"memoryReservation" type:"integer"`
	ResourceRequirements []ResourceRequirement `locationName:"resourceRequirements" type:"list"`
}

type KeyValuePair struct {
	_     struct{} `type:"structure"`
	Name  *string  `locationName:"name" type:"string"`
	Value *string  `locationName:"value" type:"string"`
}

type EnvironmentFile struct {
	_     struct{} `type:"structure"`
	Value *string  `locationName:"value" type:"string" required:"true"`
	Type  *string  `locationName:"type" type:"string" required:"true" enum:"EnvironmentFileType"`
}

type ResourceRequirement struct {
	_     struct{} `type:"structure"`
	Value *string  `locationName:"value" type:"string" required:"true"`
	Type  *string  `locationName:"type" type:"string" required:"true" enum:"ResourceType"`
}

type InferenceAcceleratorOverride struct {
	_          struct{} `type:"structure"`
	DeviceName *string  `locationName:"deviceName" type:"string"`
	DeviceType *string  `locationName:"deviceType" type:"string"`
}

type EphemeralStorage struct {
	_         struct{} `type:"structure"`
	SizeInGiB *int32   `locationName:"sizeInGiB" type:"integer" required:"true"`
}

type PlacementConstraint struct {
	_          struct{} `type:"structure"`
	Type       *string  `locationName:"type" type:"string" enum:"PlacementConstraintType"`
	Expression *string  `locationName:"expression" type:"string"`
}

type PlacementStrategy struct {
	_     struct{} `type:"structure"`
	Type  *string  `locationName:"type" type:"string" enum:"PlacementStrategyType"`
	Field *string  `locationName:"field" type:"string"`
}

type Tag struct {
	_     struct{} `type:"structure"`
	Key   *string  `locationName:"key" type:"string"`
	Value *string  `locationName:"value" type:"string"`
}

type TaskVolumeConfiguration struct {
	_                struct{}                           `type:"structure"`
	Name             *string                            `locationName:"name" type:"string" required:"true"`
	ManagedEBSVolume *TaskManagedEBSVolumeConfiguration `locationName:"managedEBSVolume" type:"structure"`
}

type TaskManagedEBSVolumeConfiguration struct {
	_                 struct{}                               `type:"structure"`
	Encrypted         *bool                                  `locationName:"encrypted" type:"boolean"`
	KmsKeyId          *string                                `locationName:"kmsKeyId" type:"string"`
	VolumeType        *string                                `locationName:"volumeType" type:"string"`
	SizeInGiB         *int32                                 `locationName:"sizeInGiB" type:"integer"`
	SnapshotId        *string                                `locationName:"snapshotId" type:"string"`
	Iops              *int32                                 `locationName:"iops" type:"integer"`
	Throughput        *int32                                 `locationName:"throughput" type:"integer"`
	TagSpecifications []EBSTagSpecification                  `locationName:"tagSpecifications" type:"list"`
	RoleArn           *string                                `locationName:"roleArn" type:"string" required:"true"`
	TerminationPolicy *TaskManagedEBSVolumeTerminationPolicy `locationName:"terminationPolicy" type:"structure"`
	FilesystemType    *string                                `locationName:"filesystemType" type:"string" enum:"TaskFilesystemType"`
}

type EBSTagSpecification struct {
	_             struct{} `type:"structure"`
	ResourceType  *string  `locationName:"resourceType" type:"string" required:"true" enum:"EBSResourceType"`
	Tags          []Tag    `locationName:"tags" type:"list"`
	PropagateTags *string  `locationName:"propagateTags" type:"string" enum:"PropagateTags"`
}

type TaskManagedEBSVolumeTerminationPolicy struct {
	_                   struct{} `type:"structure"`
	DeleteOnTermination *bool    `locationName:"deleteOnTermination" type:"boolean" required:"true"`
}

type RunTaskResponse struct {
	_        struct{}  `type:"structure"`
	Tasks    []Task    `locationName:"tasks" type:"list"`
	Failures []Failure `locationName:"failures" type:"list"`
}

type Task struct {
	_                       struct{}               `type:"structure"`
	Attachments             []Attachment           `locationName:"attachments" type:"list"`
	Attributes              []Attribute            `locationName:"attributes" type:"list"`
	AvailabilityZone        *string                `locationName:"availabilityZone" type:"string"`
	CapacityProviderName    *string                `locationName:"capacityProviderName" type:"string"`
	ClusterArn              *string                `locationName:"clusterArn" type:"string"`
	Connectivity            *string                `locationName:"connectivity" type:"string" enum:"Connectivity"`
	ConnectivityAt          *time.Time             `locationName:"connectivityAt" type:"timestamp"`
	ContainerInstanceArn    *string                `locationName:"containerInstanceArn" type:"string"`
	Containers              []Container            `locationName:"containers" type:"list"`
	Cpu                     *string                `locationName:"cpu" type:"string"`
	CreatedAt               *time.Time             `locationName:"createdAt" type:"timestamp"`
	DesiredStatus           *string                `locationName:"desiredStatus" type:"string"`
	EnableExecuteCommand    *bool                  `locationName:"enableExecuteCommand" type:"boolean"`
	ExecutionStoppedAt      *time.Time             `locationName:"executionStoppedAt" type:"timestamp"`
	Group                   *string                `locationName:"group" type:"string"`
	HealthStatus            *string                `locationName:"healthStatus" type:"string" enum:"HealthStatus"`
	InferenceAccelerators   []InferenceAccelerator `locationName:"inferenceAccelerators" type:"list"`
	LastStatus              *string                `locationName:"lastStatus" type:"string"`
	LaunchType              *string                `locationName:"launchType" type:"string" enum:"LaunchType"`
	Memory                  *string                `locationName:"memory" type:"string"`
	Overrides               *TaskOverride          `locationName:"overrides" type:"structure"`
	PlatformVersion         *string                `locationName:"platformVersion" type:"string"`
	PlatformFamily          *string                `locationName:"platformFamily" type:"string"`
	PullStartedAt           *time.Time             `locationName:"pullStartedAt" type:"timestamp"`
	PullStoppedAt           *time.Time             `locationName:"pullStoppedAt" type:"timestamp"`
	StartedAt               *time.Time             `locationName:"startedAt" type:"timestamp"`
	StartedBy               *string                `locationName:"startedBy" type:"string"`
	StopCode                *string                `locationName:"stopCode" type:"string" enum:"TaskStopCode"`
	StoppedAt               *time.Time             `locationName:"stoppedAt" type:"timestamp"`
	StoppedReason           *string                `locationName:"stoppedReason" type:"string"`
	StoppingAt              *time.Time             `locationName:"stoppingAt" type:"timestamp"`
	Tags                    []Tag                  `locationName:"tags" type:"list"`
	TaskArn                 *string                `locationName:"taskArn" type:"string"`
	TaskDefinitionArn       *string                `locationName:"taskDefinitionArn" type:"string"`
	Version                 *int64                 `locationName:"version" type:"long"`
	EphemeralStorage        *EphemeralStorage      `locationName:"ephemeralStorage" type:"structure"`
	FargateEphemeralStorage *TaskEphemeralStorage  `locationName:"fargateEphemeralStorage" type:"structure"`
}

type Attachment struct {
	_       struct{}       `type:"structure"`
	Id      *string        `locationName:"id" type:"string"`
	Type    *string        `locationName:"type" type:"string"`
	Status  *string        `locationName:"status" type:"string"`
	Details []KeyValuePair `locationName:"details" type:"list"`
}

type Attribute struct {
	_          struct{} `type:"structure"`
	Name       *string  `locationName:"name" type:"string" required:"true"`
	Value      *string  `locationName:"value" type:"string"`
	TargetType *string  `locationName:"targetType" type:"string" enum:"TargetType"`
	TargetId   *string  `locationName:"targetId" type:"string"`
}

type Container struct {
	_                 struct{}           `type:"structure"`
	ContainerArn      *string            `locationName:"containerArn" type:"string"`
	TaskArn           *string            `locationName:"taskArn" type:"string"`
	Name              *string            `locationName:"name" type:"string"`
	Image             *string            `locationName:"image" type:"string"`
	ImageDigest       *string            `locationName:"imageDigest" type:"string"`
	RuntimeId         *string            `locationName:"runtimeId" type:"string"`
	LastStatus        *string            `locationName:"lastStatus" type:"string"`
	ExitCode          *int32             `locationName:"exitCode" type:"integer"`
	Reason            *string            `locationName:"reason" type:"string"`
	NetworkBindings   []NetworkBinding   `locationName:"networkBindings" type:"list"`
	NetworkInterfaces []NetworkInterface `locationName:"networkInterfaces" type:"list"`
	HealthStatus      *string            `locationName:"healthStatus" type:"string" enum:"HealthStatus"`
	ManagedAgents     []ManagedAgent     `locationName:"managedAgents" type:"list"`
	Cpu               *string            `locationName:"cpu" type:"string"`
	Memory            *string            `locationName:"memory" type:"string"`
	MemoryReservation *string            `locationName:"memoryReservation" type:"string"`
	GpuIds            []string           `locationName:"gpuIds" type:"list"`
}

type NetworkBinding struct {
	_                  struct{} `type:"structure"`
	BindIP             *string  `locationName:"bindIP" type:"string"`
	ContainerPort      *int32   `locationName:"containerPort" type:"integer"`
	HostPort           *int32   `locationName:"hostPort" type:"integer"`
	Protocol           *string  `locationName:"protocol" type:"string" enum:"TransportProtocol"`
	ContainerPortRange *string  `locationName:"containerPortRange" type:"string"`
	HostPortRange      *string  `locationName:"hostPortRange" type:"string"`
}

type NetworkInterface struct {
	_                  struct{} `type:"structure"`
	AttachmentId       *string  `locationName:"attachmentId" type:"string"`
	PrivateIpv4Address *string  `locationName:"privateIpv4Address" type:"string"`
	Ipv6Address        *string  `locationName:"ipv6Address" type:"string"`
}

type ManagedAgent struct {
	_             struct{}   `type:"structure"`
	LastStartedAt *time.Time `locationName:"lastStartedAt" type:"timestamp"`
	Name          *string    `locationName:"name" type:"string" enum:"ManagedAgentName"`
	Reason        *string    `locationName:"reason" type:"string"`
	LastStatus    *string    `locationName:"lastStatus" type:"string"`
}

type InferenceAccelerator struct {
	_          struct{} `type:"structure"`
	DeviceName *string  `locationName:"deviceName" type:"string" required:"true"`
	DeviceType *string  `locationName:"deviceType" type:"string" required:"true"`
}

type TaskEphemeralStorage struct {
	_         struct{} `type:"structure"`
	SizeInGiB *int32   `locationName:"sizeInGiB" type:"integer"`
	KmsKeyId  *string  `locationName:"kmsKeyId" type:"string"`
}

type Failure struct {
	_      struct{} `type:"structure"`
	Arn    *string  `locationName:"arn" type:"string"`
	Reason *string  `locationName:"reason" type:"string"`
	Detail *string  `locationName:"detail" type:"string"`
}

type DescribeClustersRequest struct {
	_        struct{} `type:"structure"`
	Clusters []string `locationName:"clusters" type:"list"`
	Include  []string `locationName:"include" type:"list"`
}

type DescribeClustersResponse struct {
	_        struct{}  `type:"structure"`
	Clusters []Cluster `locationName:"clusters" type:"list"`
	Failures []Failure `locationName:"failures" type:"list"`
}

type Cluster struct {
	_                                 struct{}                       `type:"structure"`
	ClusterArn                        *string                        `locationName:"clusterArn" type:"string"`
	ClusterName                       *string                        `locationName:"clusterName" type:"string"`
	Configuration                     *ClusterConfiguration          `locationName:"configuration" type:"structure"`
	Status                            *string                        `locationName:"status" type:"string"`
	RegisteredContainerInstancesCount *int32                         `locationName:"registeredContainerInstancesCount" type:"integer"`
	RunningTasksCount                 *int32                         `locationName:"runningTasksCount" type:"integer"`
	PendingTasksCount                 *int32                         `locationName:"pendingTasksCount" type:"integer"`
	ActiveServicesCount               *int32                         `locationName:"activeServicesCount" type:"integer"`
	Statistics                        []KeyValuePair                 `locationName:"statistics" type:"list"`
	Tags                              []Tag                          `locationName:"tags" type:"list"`
	Settings                          []ClusterSetting               `locationName:"settings" type:"list"`
	CapacityProviders                 []string                       `locationName:"capacityProviders" type:"list"`
	DefaultCapacityProviderStrategy   []CapacityProviderStrategyItem `locationName:"defaultCapacityProviderStrategy" type:"list"`
	Attachments                       []Attachment                   `locationName:"attachments" type:"list"`
	AttachmentsStatus                 *string                        `locationName:"attachmentsStatus" type:"string"`
	ServiceConnectDefaults            *ClusterServiceConnectDefaults `locationName:"serviceConnectDefaults" type:"structure"`
}

type ClusterConfiguration struct {
	_                           struct{}                     `type:"structure"`
	ExecuteCommandConfiguration *ExecuteCommandConfiguration `locationName:"executeCommandConfiguration" type:"structure"`
	ManagedStorageConfiguration *ManagedStorageConfiguration `locationName:"managedStorageConfiguration" type:"structure"`
}

type ExecuteCommandConfiguration struct {
	_                struct{}                        `type:"structure"`
	KmsKeyId         *string                         `locationName:"kmsKeyId" type:"string"`
	Logging          *string                         `locationName:"logging" type:"string" enum:"ExecuteCommandLogging"`
	LogConfiguration *ExecuteCommandLogConfiguration `locationName:"logConfiguration" type:"structure"`
}

type ExecuteCommandLogConfiguration struct {
	_                           struct{} `type:"structure"`
	CloudWatchLogGroupName      *string  `locationName:"cloudWatchLogGroupName" type:"string"`
	CloudWatchEncryptionEnabled *bool    `locationName:"cloudWatchEncryptionEnabled" type:"boolean"`
	S3BucketName                *string  `locationName:"s3BucketName" type:"string"`
	S3EncryptionEnabled         *bool    `locationName:"s3EncryptionEnabled" type:"boolean"`
	S3KeyPrefix                 *string  `locationName:"s3KeyPrefix" type:"string"`
}

type ManagedStorageConfiguration struct {
	_                               struct{} `type:"structure"`
	KmsKeyId                        *string  `locationName:"kmsKeyId" type:"string"`
	FargateEphemeralStorageKmsKeyId *string  `locationName:"fargateEphemeralStorageKmsKeyId" type:"string"`
}

type ClusterSetting struct {
	_     struct{} `type:"structure"`
	Name  *string  `locationName:"name" type:"string" enum:"ClusterSettingName"`
	Value *string  `locationName:"value" type:"string"`
}

type ClusterServiceConnectDefaults struct {
	_         struct{} `type:"structure"`
	Namespace *string  `locationName:"namespace" type:"string"`
}

type DescribeTasksRequest struct {
	_       struct{} `type:"structure"`
	Cluster *string  `locationName:"cluster" type:"string"`
	Tasks   []string `locationName:"tasks" type:"list" required:"true"`
	Include []string `locationName:"include" type:"list"`
}

type DescribeTasksResponse struct {
	_        struct{}  `type:"structure"`
	Tasks    []Task    `locationName:"tasks" type:"list"`
	Failures []Failure `locationName:"failures" type:"list"`
}
