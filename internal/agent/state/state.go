// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout version written to new files.
const SchemaVersion = 1

var (
	bucketMeta  = []byte("meta")
	bucketTasks = []byte("tasks")

	keySchema       = []byte("schema")
	keyRegistration = []byte("registration")
	keySeqNum       = []byte("acs-seqnum")
)

// ErrSchema means the file was written by an incompatible version.
var ErrSchema = errors.New("state: unsupported schema version")

// Registration is how the control plane knows this host.
type Registration struct {
	ClusterARN           string
	ContainerInstanceARN string
	// HostSecretRef locates the host secret (e.g. a 0600 file path); the
	// secret itself is never stored here.
	HostSecretRef string
	RegisteredAt  time.Time
}

// Task is the checkpoint of one task.
type Task struct {
	ARN           string
	DesiredStatus string
	KnownStatus   string
	// Spec is the task as the runner received it, without credentials
	// secrets; opaque to this package.
	Spec       json.RawMessage
	Containers map[string]Container // by container name
	// CredentialsIDs are the task's credentials ids (role and execution).
	CredentialsIDs []string
	StoppedAt      time.Time `json:",omitzero"`
	Reason         string    `json:",omitempty"`
}

// Container is the checkpoint of one container of a task.
type Container struct {
	DockerID    string `json:",omitempty"`
	DockerName  string `json:",omitempty"`
	KnownStatus string
	ExitCode    *int   `json:",omitempty"`
	Reason      string `json:",omitempty"`
	// EndpointID is the id in the container's metadata URI.
	EndpointID string `json:",omitempty"`
}

// Config configures Open.
type Config struct {
	// Path is the bbolt file; its directory is created (0700) if missing.
	Path string
	// Timeout bounds waiting for the file lock held by another process;
	// 0 means 5s.
	Timeout time.Duration
}

// DB is an open state file. It is safe for concurrent use.
type DB struct {
	db *bolt.DB
}

// Open opens or creates the state file.
func Open(cfg Config) (*DB, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o700); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{Timeout: cfg.Timeout})
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", cfg.Path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists(bucketTasks); err != nil {
			return err
		}
		v := meta.Get(keySchema)
		if v == nil {
			return meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion)))
		}
		if n, _ := strconv.Atoi(string(v)); n != SchemaVersion {
			return fmt.Errorf("%w %s (this agent reads %d)", ErrSchema, v, SchemaVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("state: init %s: %w", cfg.Path, err)
	}
	return &DB{db: db}, nil
}

// Close closes the file.
func (d *DB) Close() error { return d.db.Close() }

func (d *DB) put(bucket, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("state: encode %s: %w", key, err)
	}
	if err := d.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key, b) }); err != nil {
		return fmt.Errorf("state: put %s: %w", key, err)
	}
	return nil
}

func (d *DB) get(bucket, key []byte, v any) (bool, error) {
	var found bool
	err := d.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket).Get(key)
		if b == nil {
			return nil
		}
		found = true
		return json.Unmarshal(b, v)
	})
	if err != nil {
		return false, fmt.Errorf("state: get %s: %w", key, err)
	}
	return found, nil
}

// PutRegistration records the registration.
func (d *DB) PutRegistration(r Registration) error { return d.put(bucketMeta, keyRegistration, r) }

// Registration returns the recorded registration.
func (d *DB) Registration() (Registration, bool, error) {
	var r Registration
	ok, err := d.get(bucketMeta, keyRegistration, &r)
	return r, ok, err
}

// PutSeqNum records the last ACS sequence number processed.
func (d *DB) PutSeqNum(n int64) error { return d.put(bucketMeta, keySeqNum, n) }

// SeqNum returns the last ACS sequence number (0 if none).
func (d *DB) SeqNum() (int64, error) {
	var n int64
	_, err := d.get(bucketMeta, keySeqNum, &n)
	return n, err
}

// PutTask inserts or replaces a task.
func (d *DB) PutTask(t Task) error {
	if t.ARN == "" {
		return errors.New("state: put task: empty ARN")
	}
	return d.put(bucketTasks, []byte(t.ARN), t)
}

// DeleteTask removes a task; removing an absent one is not an error.
func (d *DB) DeleteTask(arn string) error {
	err := d.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketTasks).Delete([]byte(arn)) })
	if err != nil {
		return fmt.Errorf("state: delete task %s: %w", arn, err)
	}
	return nil
}

// Task returns one task.
func (d *DB) Task(arn string) (Task, bool, error) {
	var t Task
	ok, err := d.get(bucketTasks, []byte(arn), &t)
	return t, ok, err
}

// Tasks returns every task, sorted by ARN.
func (d *DB) Tasks() ([]Task, error) {
	var out []Task
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTasks).ForEach(func(k, v []byte) error {
			var t Task
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("task %s: %w", k, err)
			}
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("state: tasks: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out, nil
}
