// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package wire

import "encoding/json"

// TCS message types.
const (
	TypePublishMetricsRequest        = "PublishMetricsRequest"
	TypePublishHealthRequest         = "PublishHealthRequest"
	TypePublishInstanceStatusRequest = "PublishInstanceStatusRequest"
	TypeAckPublishMetric             = "AckPublishMetric"
	TypeAckPublishHealth             = "AckPublishHealth"
	TypeAckPublishInstanceStatus     = "AckPublishInstanceStatus"
	TypeStopTelemetrySessionMessage  = "StopTelemetrySessionMessage"
)

// MetricsMetadata heads a PublishMetricsRequest. Fin is false on all but
// the last page of one publication.
type MetricsMetadata struct {
	Cluster           string `json:"cluster"`
	ContainerInstance string `json:"containerInstance"`
	MessageID         string `json:"messageId,omitempty"`
	Idle              bool   `json:"idle"`
	Fin               bool   `json:"fin"`
}

// PublishMetricsRequest reports task and instance metrics. Timestamp is
// epoch seconds.
type PublishMetricsRequest struct {
	Metadata        MetricsMetadata `json:"metadata"`
	InstanceMetrics json.RawMessage `json:"instanceMetrics,omitempty"`
	TaskMetrics     []TaskMetric    `json:"taskMetrics"`
	Timestamp       float64         `json:"timestamp"`
}

// TaskMetric is one task's container metrics.
type TaskMetric struct {
	TaskARN               string            `json:"taskArn"`
	TaskDefinitionFamily  string            `json:"taskDefinitionFamily,omitempty"`
	TaskDefinitionVersion string            `json:"taskDefinitionVersion,omitempty"`
	ContainerMetrics      []ContainerMetric `json:"containerMetrics"`
}

// ContainerMetric is one container's statistics over the interval.
type ContainerMetric struct {
	ContainerName  string      `json:"containerName"`
	CPUStatsSet    *CWStatsSet `json:"cpuStatsSet,omitempty"`
	MemoryStatsSet *CWStatsSet `json:"memoryStatsSet,omitempty"`
}

// CWStatsSet summarises samples as CloudWatch statistic sets do.
type CWStatsSet struct {
	Min         float64 `json:"min"`
	Max         float64 `json:"max"`
	SampleCount int64   `json:"sampleCount"`
	Sum         float64 `json:"sum"`
}

// HealthMetadata heads a PublishHealthRequest.
type HealthMetadata struct {
	Cluster           string `json:"cluster"`
	ContainerInstance string `json:"containerInstance"`
	MessageID         string `json:"messageId,omitempty"`
	Fin               bool   `json:"fin"`
}

// PublishHealthRequest reports container health checks.
type PublishHealthRequest struct {
	Metadata  HealthMetadata `json:"metadata"`
	Tasks     []TaskHealth   `json:"tasks"`
	Timestamp float64        `json:"timestamp"`
}

// TaskHealth is one task's container health.
type TaskHealth struct {
	TaskARN               string            `json:"taskArn"`
	TaskDefinitionFamily  string            `json:"taskDefinitionFamily,omitempty"`
	TaskDefinitionVersion string            `json:"taskDefinitionVersion,omitempty"`
	Containers            []ContainerHealth `json:"containers"`
}

// ContainerHealth is one container's health status.
type ContainerHealth struct {
	ContainerName string  `json:"containerName"`
	HealthStatus  string  `json:"healthStatus"`
	StatusSince   float64 `json:"statusSince,omitempty"`
}

// InstanceStatusMetadata heads a PublishInstanceStatusRequest.
type InstanceStatusMetadata struct {
	Cluster           string `json:"cluster"`
	ContainerInstance string `json:"containerInstance"`
	RequestID         string `json:"requestId,omitempty"`
}

// PublishInstanceStatusRequest reports instance health checks.
type PublishInstanceStatusRequest struct {
	Metadata  InstanceStatusMetadata `json:"metadata"`
	Statuses  []InstanceStatus       `json:"statuses"`
	Timestamp float64                `json:"timestamp"`
}

// InstanceStatus is the result of one instance health check.
type InstanceStatus struct {
	Type             string  `json:"type"`
	Status           string  `json:"status"`
	LastStatusChange float64 `json:"lastStatusChange,omitempty"`
	LastUpdated      float64 `json:"lastUpdated,omitempty"`
}

// TCSAck is the body of AckPublishMetric, AckPublishHealth and
// AckPublishInstanceStatus.
type TCSAck struct {
	Message string `json:"message,omitempty"`
}

// TCSHeartbeat is TCS's HeartbeatMessage.
type TCSHeartbeat struct {
	Healthy bool `json:"healthy"`
}
