// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package state

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketLogPositions holds how far each container's output has been
// shipped: task ARN NUL container name → RFC 3339 nano timestamp.
var bucketLogPositions = []byte("log-positions")

func logPositionKey(taskARN, container string) []byte {
	return []byte(taskARN + "\x00" + container)
}

// PutLogPosition records that the output of container of taskARN has been
// shipped up to and including the line written at t.
func (d *DB) PutLogPosition(taskARN, container string, t time.Time) error {
	err := d.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketLogPositions)
		if err != nil {
			return err
		}
		return b.Put(logPositionKey(taskARN, container), []byte(t.UTC().Format(time.RFC3339Nano)))
	})
	if err != nil {
		return fmt.Errorf("state: put log position %s/%s: %w", taskARN, container, err)
	}
	return nil
}

// LogPosition returns the recorded position; ok is false when there is
// none.
func (d *DB) LogPosition(taskARN, container string) (t time.Time, ok bool, err error) {
	err = d.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLogPositions)
		if b == nil {
			return nil
		}
		v := b.Get(logPositionKey(taskARN, container))
		if v == nil {
			return nil
		}
		t, err = time.Parse(time.RFC3339Nano, string(v))
		ok = err == nil
		return err
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("state: log position %s/%s: %w", taskARN, container, err)
	}
	return t, ok, nil
}

// DeleteLogPositions forgets the positions of every container of taskARN.
func (d *DB) DeleteLogPositions(taskARN string) error {
	prefix := []byte(taskARN + "\x00")
	err := d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLogPositions)
		if b == nil {
			return nil
		}
		var keys [][]byte
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			keys = append(keys, append([]byte(nil), k...))
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: delete log positions of %s: %w", taskARN, err)
	}
	return nil
}
