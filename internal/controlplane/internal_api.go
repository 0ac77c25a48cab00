// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/berthdev/berth/internal/logkey"
	"github.com/berthdev/berth/internal/store"
	"github.com/berthdev/berth/internal/version"
)

// internalHandler serves berth's own endpoints beside the AWS APIs:
//
//	GET  /_berth/health    200 once ready, 503 before and while stopping
//	POST /_berth/reset     test mode only: wipe all state but the root key
//	POST /moto-api/reset   the same, where suites written for moto call it
func (s *Server) internalHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_berth/health", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			http.Error(w, `{"status":"starting"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "version": version.String()})
	})
	reset := func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.TestMode {
			http.Error(w, "reset is only available with --test-mode", http.StatusForbidden)
			return
		}
		if err := s.reset(r.Context()); err != nil {
			s.log.Error("reset failed", logkey.Err, err)
			http.Error(w, "reset failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}
	mux.HandleFunc("POST /_berth/reset", reset)
	mux.HandleFunc("POST /moto-api/reset", reset)
	return mux
}

// reset deletes every key of the store, then restores the root key, and
// waits until this replica's caches have seen it all.
func (s *Server) reset(ctx context.Context) error {
	kv := s.store.KV()
	for {
		resp, err := kv.Range(ctx, store.RangeRequest{Prefix: s.store.Prefix(), KeysOnly: true, Limit: int64(s.store.MaxTxnOps())})
		if err != nil {
			return err
		}
		if len(resp.KVs) == 0 {
			break
		}
		var ops []store.TxnOp
		for _, k := range resp.KVs {
			ops = append(ops, store.TxnOp{Type: store.TxnDelete, Key: k.Key})
		}
		if _, err := kv.Txn(ctx, store.TxnRequest{Then: ops}); err != nil {
			return fmt.Errorf("controlplane: reset: %w", err)
		}
	}
	if _, err := s.iam.EnsureRootAccessKey(ctx, s.rootID, s.rootKey); err != nil {
		return err
	}
	_, err := s.store.Sync(ctx)
	s.log.Info("state reset")
	return err
}
