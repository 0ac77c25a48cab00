// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"context"
	"errors"
	"fmt"

	"github.com/berthdev/berth/internal/agent/creds"
)

// CredsHook registers a task's role credentials with the credentials
// manager under their ids (as pending after a restart, until the control
// plane resends them) and gives every container of a task with a task
// role AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/<id>.
// Credentials are forgotten when the task is cleaned up.
type CredsHook struct {
	Manager creds.Manager
}

var (
	_ Updater    = (*CredsHook)(nil)
	_ Prestarter = (*CredsHook)(nil)
	_ Cleaner    = (*CredsHook)(nil)
)

// Name implements Hook.
func (h *CredsHook) Name() string { return "creds" }

// Update implements Updater.
func (h *CredsHook) Update(ctx context.Context, t *Task) error {
	var errs []error
	for _, r := range []struct {
		rc   *RoleCredentials
		role creds.RoleType
	}{{t.RoleCredentials, creds.RoleTaskApplication}, {t.ExecutionRoleCredentials, creds.RoleTaskExecution}} {
		if r.rc == nil || r.rc.CredentialsID == "" {
			continue
		}
		if err := h.Manager.Set(r.rc.CredentialsID, r.rc.Credentials, t.ARN, r.role); err != nil {
			errs = append(errs, fmt.Errorf("taskrunner: %s credentials: %w", r.role, err))
		}
	}
	return errors.Join(errs...)
}

// Prestart implements Prestarter.
func (h *CredsHook) Prestart(ctx context.Context, req *CreateRequest) error {
	if rc := req.Task.RoleCredentials; rc != nil && rc.CredentialsID != "" {
		req.Env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/" + rc.CredentialsID
	}
	return nil
}

// Cleanup implements Cleaner.
func (h *CredsHook) Cleanup(ctx context.Context, t *Task) { h.Manager.Remove(t.ARN) }
