// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package wire

// ACS message types: the envelope's "type" for each shape.
const (
	TypePayloadMessage               = "PayloadMessage"
	TypeAckRequest                   = "AckRequest"
	TypeHeartbeatMessage             = "HeartbeatMessage"
	TypeHeartbeatAckRequest          = "HeartbeatAckRequest"
	TypeIAMRoleCredentialsMessage    = "IAMRoleCredentialsMessage"
	TypeIAMRoleCredentialsAckRequest = "IAMRoleCredentialsAckRequest"
	TypeTaskManifestMessage          = "TaskManifestMessage"
	TypeTaskStopVerificationMessage  = "TaskStopVerificationMessage"
	TypeTaskStopVerificationAck      = "TaskStopVerificationAck"
	TypeNackRequest                  = "NackRequest"
	TypeCloseMessage                 = "CloseMessage"
	TypeErrorMessage                 = "ErrorMessage"
)

// Exception types an ACS or TCS server answers a handshake (or a session)
// with. Their body is ErrorShape.
const (
	TypeAccessDeniedException     = "AccessDeniedException"
	TypeInactiveInstanceException = "InactiveInstanceException"
	TypeInvalidClusterException   = "InvalidClusterException"
	TypeInvalidInstanceException  = "InvalidInstanceException"
	TypeBadRequestException       = "BadRequestException"
	TypeServerException           = "ServerException"
)

// Role types of IAMRoleCredentialsMessage.
const (
	RoleTypeTaskApplication = "TaskApplication"
	RoleTypeTaskExecution   = "TaskExecution"
)

// PayloadMessage carries tasks for the agent to add, update or stop.
type PayloadMessage struct {
	MessageID            string  `json:"messageId"`
	ClusterARN           string  `json:"clusterArn"`
	ContainerInstanceARN string  `json:"containerInstanceArn"`
	Tasks                []*Task `json:"tasks"`
	GeneratedAt          int64   `json:"generatedAt,omitempty"`
	SeqNum               int64   `json:"seqNum,omitempty"`
}

// AckRequest acknowledges a PayloadMessage or a TaskManifestMessage.
type AckRequest struct {
	Cluster           string `json:"cluster"`
	ContainerInstance string `json:"containerInstance"`
	MessageID         string `json:"messageId"`
}

// NackRequest refuses an update message.
type NackRequest struct {
	Cluster           string `json:"cluster"`
	ContainerInstance string `json:"containerInstance"`
	MessageID         string `json:"messageId"`
	Reason            string `json:"reason,omitempty"`
}

// HeartbeatMessage keeps the session alive; the agent answers
// HeartbeatAckRequest.
type HeartbeatMessage struct {
	Healthy   bool   `json:"healthy"`
	MessageID string `json:"messageId"`
}

// HeartbeatAckRequest acknowledges a HeartbeatMessage.
type HeartbeatAckRequest struct {
	MessageID string `json:"messageId"`
}

// IAMRoleCredentials are temporary credentials of a task's role.
// Expiration is RFC 3339 UTC and echoed verbatim to containers.
type IAMRoleCredentials struct {
	CredentialsID   string `json:"credentialsId"`
	RoleARN         string `json:"roleArn"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
	Expiration      string `json:"expiration"`
}

// IAMRoleCredentialsMessage delivers (or refreshes) the credentials of a
// task's role; the credentials id of a task and role type never changes.
type IAMRoleCredentialsMessage struct {
	MessageID       string              `json:"messageId"`
	TaskARN         string              `json:"taskArn"`
	TaskClusterARN  string              `json:"taskClusterArn,omitempty"`
	RoleType        string              `json:"roleType"`
	RoleCredentials *IAMRoleCredentials `json:"roleCredentials"`
}

// IAMRoleCredentialsAckRequest acknowledges credentials.
type IAMRoleCredentialsAckRequest struct {
	MessageID     string `json:"messageId"`
	CredentialsID string `json:"credentialsId"`
	Expiration    string `json:"expiration"`
}

// TaskIdentifier names a task in manifests and stop verification.
type TaskIdentifier struct {
	TaskARN        string `json:"taskArn"`
	TaskClusterARN string `json:"taskClusterArn,omitempty"`
	DesiredStatus  string `json:"desiredStatus,omitempty"`
}

// TaskManifestMessage lists every task the instance should know about.
// The agent processes it only if Timeline exceeds the highest sequence
// number it has seen.
type TaskManifestMessage struct {
	MessageID            string           `json:"messageId"`
	ClusterARN           string           `json:"clusterArn"`
	ContainerInstanceARN string           `json:"containerInstanceArn"`
	Tasks                []TaskIdentifier `json:"tasks"`
	GeneratedAt          int64            `json:"generatedAt,omitempty"`
	Timeline             int64            `json:"timeline"`
}

// TaskStopVerificationMessage lists the tasks an agent runs that a
// manifest did not name.
type TaskStopVerificationMessage struct {
	MessageID      string           `json:"messageId"`
	StopCandidates []TaskIdentifier `json:"stopCandidates"`
}

// TaskStopVerificationAck names the candidates the agent must stop.
type TaskStopVerificationAck struct {
	MessageID   string           `json:"messageId"`
	GeneratedAt int64            `json:"generatedAt,omitempty"`
	StopTasks   []TaskIdentifier `json:"stopTasks"`
}
