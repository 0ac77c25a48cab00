// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package creds_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agent/creds"
)

func TestMemory_SetGetRemoveIDs(t *testing.T) {
	m := creds.NewMemory()
	c := creds.Credentials{RoleARN: "arn:aws:iam::0:role/app", AccessKeyID: "ASIA1", SecretAccessKey: "s", SessionToken: "t", Expiration: "2030-01-01T00:00:00Z"}
	if err := m.Set("id-1", c, "task-a", creds.RoleTaskApplication); err != nil {
		t.Fatal(err)
	}
	if err := m.Set("id-2", creds.Credentials{}, "task-a", creds.RoleTaskExecution); err != nil {
		t.Fatal(err)
	}
	if err := m.Set("id-3", c, "task-b", creds.RoleTaskApplication); err != nil {
		t.Fatal(err)
	}
	e, ok := m.Get("id-1")
	if !ok || e.TaskARN != "task-a" || e.Credentials != c || e.RoleType != creds.RoleTaskApplication {
		t.Errorf("Get = %+v %v", e, ok)
	}
	if e, _ := m.Get("id-2"); !e.Credentials.Pending() {
		t.Errorf("zero credentials are not pending")
	}
	if d := cmp.Diff([]string{"id-1", "id-2"}, m.IDs("task-a")); d != "" {
		t.Errorf("IDs: %s", d)
	}
	// Refresh under the same id.
	c2 := c
	c2.AccessKeyID = "ASIA2"
	if err := m.Set("id-1", c2, "task-a", creds.RoleTaskApplication); err != nil {
		t.Fatal(err)
	}
	if e, _ := m.Get("id-1"); e.Credentials.AccessKeyID != "ASIA2" {
		t.Errorf("refresh not applied")
	}
	// An id never moves to another task.
	if err := m.Set("id-1", c, "task-b", creds.RoleTaskApplication); !errors.Is(err, creds.ErrIDConflict) {
		t.Errorf("moving an id: %v, want ErrIDConflict", err)
	}
	if err := m.Set("", c, "task-b", creds.RoleTaskApplication); err == nil {
		t.Errorf("empty id accepted")
	}
	m.Remove("task-a")
	if _, ok := m.Get("id-1"); ok {
		t.Errorf("id-1 survived Remove")
	}
	if len(m.IDs("task-a")) != 0 {
		t.Errorf("IDs after Remove: %v", m.IDs("task-a"))
	}
	if _, ok := m.Get("id-3"); !ok {
		t.Errorf("Remove of task-a removed task-b's id")
	}
}
