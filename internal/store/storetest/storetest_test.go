// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package storetest_test

import (
	"context"
	"testing"

	"github.com/berthdev/berth/internal/store"
	"github.com/berthdev/berth/internal/store/storetest"
)

func TestNew(t *testing.T) {
	s := storetest.New(t, func(c *store.Config) { c.Prefix = "/test/" })
	if s.Prefix() != "/test/" {
		t.Errorf("prefix %q, option not applied", s.Prefix())
	}
	ctx := context.Background()
	tbl, err := store.NewTable[struct{ N int }](ctx, s, "t", store.TableConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Create(ctx, "a", &struct{ N int }{1}); err != nil {
		t.Fatal(err)
	}
	if got, err := tbl.Get(ctx, "a"); err != nil || got.Value.N != 1 {
		t.Errorf("Get = %+v, %v", got, err)
	}
}
