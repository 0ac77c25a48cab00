// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/berthdev/berth/internal/store/storetest"
)

// TestSecret checks that Secret creates 32 random bytes once and then
// returns the same bytes to every caller, and that names are independent.
func TestSecret(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	a, err := st.Secret(ctx, "test/key-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32 || bytes.Equal(a, make([]byte, 32)) {
		t.Fatalf("Secret = %x, want 32 random bytes", a)
	}
	again, err := st.Secret(ctx, "test/key-a")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, again) {
		t.Fatalf("second Secret = %x, want the first %x", again, a)
	}
	kv, _, err := st.KV().Get(ctx, st.Prefix()+"test/key-a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kv.Value, a) {
		t.Fatalf("stored %x, want %x", kv.Value, a)
	}
	b, err := st.Secret(ctx, "test/key-b")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Fatalf("two names share the secret %x", a)
	}
}
