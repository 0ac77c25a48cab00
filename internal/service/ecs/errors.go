// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"errors"
	"fmt"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/store"
)

// Messages ECS answers with, as its clients observe them.
const (
	msgClusterNotFound    = "Cluster not found."
	msgServiceNotFound    = "Service not found."
	msgServiceNotActive   = "Service was not ACTIVE."
	msgTaskDefNotFound    = "Unable to describe task definition."
	msgNoInstances        = "No Container Instances were found in your cluster."
	msgClusterHasInstance = "The Cluster cannot be deleted while Container Instances are active or draining."
	msgClusterHasServices = "The Cluster cannot be deleted while Services are active."
	msgClusterHasTasks    = "The Cluster cannot be deleted while Tasks are active."
	msgServiceNotIdem     = "Creation of service was not idempotent."
	msgStoppedByUser      = "Task stopped by user"
	msgInstanceForced     = "Container instance deregistration forced by user"
	msgEssentialExited    = "Essential container in task exited"
)

// Reasons of failures[] entries.
const (
	reasonMissing  = "MISSING"
	reasonInactive = "INACTIVE"
)

// Task stop codes (TaskStopCode).
const (
	stopUser      = "UserInitiated"
	stopScheduler = "ServiceSchedulerInitiated"
	stopEssential = "EssentialContainerExited"
	stopFailed    = "TaskFailedToStart"
)

// maxCASRetries bounds the compare-and-swap loops that write several
// records of one change.
const maxCASRetries = 50

func errClusterNotFound() error { return ecsapi.ErrClusterNotFound(msgClusterNotFound) }

func invalidParam(format string, args ...any) error {
	return ecsapi.ErrInvalidParameter(format, args...)
}

func clientErr(format string, args ...any) error { return ecsapi.ErrClient(format, args...) }

// storeErr turns an unexpected store failure into a ServerException that
// logs the cause; expected outcomes (not found, conflict) are handled by
// the callers before.
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return err
	}
	return ecsapi.ErrServer("Service error.").WithCause(err)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func isConflict(err error) bool {
	return errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotFound)
}

// conflictOn reports whether err is a failed guard on a record of table.
func conflictOn(err error, table string) (id string, ok bool) {
	var re *store.RecordError
	if errors.As(err, &re) && re.Table == table && isConflict(err) {
		return re.ID, true
	}
	return "", false
}

func errf(format string, args ...any) error { return fmt.Errorf("ecs: "+format, args...) }
