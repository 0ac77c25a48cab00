// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"context"
	"crypto/rand"
	"fmt"
)

// secretSize is the length in bytes of a key made by Secret.
const secretSize = 32

// Secret returns the 32 random bytes kept at Prefix()+name, creating them
// if the key is absent. The first replica to ask creates them in one
// transaction that loses to any concurrent creator, so every replica and
// every restart get the same bytes. Callers cache the result: each call
// costs a round trip to etcd.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	key := s.Prefix() + name
	fresh := make([]byte, secretSize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	resp, err := s.kv.Txn(ctx, TxnRequest{
		If:   []Cmp{{Key: key, Target: CmpCreateRevision, Op: CmpEqual, Rev: 0}},
		Then: []TxnOp{{Type: TxnPut, Key: key, Value: fresh}},
		Else: []TxnOp{{Type: TxnGet, Key: key}},
	})
	if err != nil {
		return nil, err
	}
	if resp.Succeeded {
		return fresh, nil
	}
	if len(resp.Results) == 0 || len(resp.Results[0].KVs) == 0 {
		return nil, fmt.Errorf("store: secret %s vanished", name)
	}
	return resp.Results[0].KVs[0].Value, nil
}
