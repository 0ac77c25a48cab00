// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package logkey names the structured-log attribute keys berth uses, so
// every package logs the same fact under the same key.
package logkey

// Attribute keys.
const (
	RequestID   = "request_id"
	Service     = "service"
	Operation   = "operation"
	Principal   = "principal"
	AccessKey   = "access_key" // always redacted: see Redact
	Status      = "status"
	Code        = "code"
	Duration    = "duration"
	Err         = "err"
	TaskARN     = "task_arn"
	ContainerID = "container_id"
	Cluster     = "cluster"
	Instance    = "container_instance"
	Addr        = "addr"
	DataDir     = "data_dir"
)

// Redact keeps only the last four characters of a key or secret, so logs
// can correlate credentials without holding them.
func Redact(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return "****" + s[len(s)-4:]
}
