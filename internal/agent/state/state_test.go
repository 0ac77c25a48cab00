// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package state_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/berthdev/berth/internal/agent/state"
)

func TestDB_SurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "state.db")
	db, err := state.Open(state.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	reg := state.Registration{ClusterARN: "arn:aws:ecs:us-east-1:0:cluster/c", ContainerInstanceARN: "arn:aws:ecs:us-east-1:0:container-instance/c/1",
		HostSecretRef: "/var/lib/berth/agent/host-secret", RegisteredAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	code := 3
	tasks := []state.Task{
		{ARN: "arn:b", DesiredStatus: "RUNNING", KnownStatus: "RUNNING", Spec: json.RawMessage(`{"family":"web"}`),
			Containers:     map[string]state.Container{"web": {DockerID: "d1", KnownStatus: "RUNNING", EndpointID: "e1"}},
			CredentialsIDs: []string{"c-1"}},
		{ARN: "arn:a", DesiredStatus: "STOPPED", KnownStatus: "STOPPED", Spec: json.RawMessage(`{}`),
			Containers: map[string]state.Container{"job": {DockerID: "d2", KnownStatus: "STOPPED", ExitCode: &code}},
			StoppedAt:  time.Date(2030, 1, 1, 1, 0, 0, 0, time.UTC), Reason: "Essential container in task exited"},
	}
	for _, f := range []func() error{
		func() error { return db.PutRegistration(reg) },
		func() error { return db.PutSeqNum(42) },
		func() error { return db.PutTask(tasks[0]) },
		func() error { return db.PutTask(tasks[1]) },
		func() error { return db.PutTask(state.Task{ARN: "arn:gone"}) },
		func() error { return db.DeleteTask("arn:gone") },
		func() error { return db.DeleteTask("arn:never") },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	db, err = state.Open(state.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gotReg, ok, err := db.Registration()
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if d := cmp.Diff(reg, gotReg); d != "" {
		t.Errorf("registration: %s", d)
	}
	if n, _ := db.SeqNum(); n != 42 {
		t.Errorf("seqnum %d", n)
	}
	got, err := db.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]state.Task{tasks[1], tasks[0]}, got); d != "" {
		t.Errorf("tasks (-want +got):\n%s", d)
	}
	if _, ok, _ := db.Task("arn:gone"); ok {
		t.Errorf("deleted task came back")
	}
}

func TestOpen_SchemaMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucketIfNotExists([]byte("meta"))
		return m.Put([]byte("schema"), []byte("99"))
	})
	b.Close()
	if _, err := state.Open(state.Config{Path: path}); !errors.Is(err, state.ErrSchema) {
		t.Errorf("err = %v, want ErrSchema", err)
	}
}

func TestOpen_LockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := state.Open(state.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := state.Open(state.Config{Path: path, Timeout: 50 * time.Millisecond}); err == nil {
		t.Errorf("second open of a locked file succeeded")
	}
}

func TestDB_LogPositions(t *testing.T) {
	db, err := state.Open(state.Config{Path: filepath.Join(t.TempDir(), "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const a, b = "arn:aws:ecs:us-east-1:123456789012:task/c/a", "arn:aws:ecs:us-east-1:123456789012:task/c/b"
	if _, ok, err := db.LogPosition(a, "web"); ok || err != nil {
		t.Fatalf("empty file: ok %v, %v", ok, err)
	}
	t1 := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	for _, p := range []struct {
		task, c string
		at      time.Time
	}{{a, "web", t1}, {a, "side", t1.Add(time.Second)}, {b, "web", t1.Add(2 * time.Second)}} {
		if err := db.PutLogPosition(p.task, p.c, p.at); err != nil {
			t.Fatal(err)
		}
	}
	if got, ok, err := db.LogPosition(a, "web"); !ok || err != nil || !got.Equal(t1) {
		t.Fatalf("position = %v %v %v, want %v (nanoseconds kept)", got, ok, err, t1)
	}
	if err := db.DeleteLogPositions(a); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.LogPosition(a, "side"); ok {
		t.Error("position of a deleted task's container survives")
	}
	if got, ok, _ := db.LogPosition(b, "web"); !ok || !got.Equal(t1.Add(2*time.Second)) {
		t.Errorf("another task's position: %v %v", got, ok)
	}
}
