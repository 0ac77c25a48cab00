// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/store"
)

func TestService_SessionCredential_PersistsAcrossReopen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnvAt(t, dir)
	out, before := e.assume(t, userX, assumeIn("y", func(in *stsapi.AssumeRoleInput) {
		in.Policy = ptr(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
		in.Tags, in.TransitiveTagKeys = tags("Team", "red"), []string{"Team"}
		in.SourceIdentity = ptr("alice")
	}))
	if err := e.st.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}

	e2 := newEnvAt(t, dir)
	after, err := e2.svc.SessionCredential(context.Background(), *out.Credentials.AccessKeyId)
	if err != nil {
		t.Fatalf("SessionCredential after reopen: %v", err)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("session changed across reopen (-before +after):\n%s", diff)
	}
}

func TestService_SessionCredential_Unknown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, id := range []string{"ASIANEVERISSUED00001", "", "ASIA/../x"} {
		t.Run(id, func(t *testing.T) {
			_, err := e.svc.SessionCredential(context.Background(), id)
			if !errors.Is(err, ErrSessionNotFound) || !errors.Is(err, store.ErrNotFound) {
				t.Errorf("error = %v, want ErrSessionNotFound wrapping store.ErrNotFound", err)
			}
		})
	}
}

func TestService_SweepExpired_FakeClock(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.SessionRetention = 10 * time.Minute })
	short, _ := e.assume(t, userX, assumeIn("y", func(in *stsapi.AssumeRoleInput) { in.DurationSeconds = ptr[int32](900) }))
	long, _ := e.assume(t, userX, assumeIn("y", func(in *stsapi.AssumeRoleInput) { in.DurationSeconds = ptr[int32](3600) }))
	shortID, longID := *short.Credentials.AccessKeyId, *long.Credentials.AccessKeyId
	ctx := context.Background()

	steps := []struct {
		name        string
		advance     time.Duration // from the previous step
		wantDeleted int
		wantShort   string // "valid", "expired" or "gone"
		wantLong    string
	}{
		{"fresh", 0, 0, "valid", "valid"},
		{"just before expiry", 15*time.Minute - time.Second, 0, "valid", "valid"},
		{"at expiry", time.Second, 0, "expired", "valid"},
		{"within retention", 10*time.Minute - time.Second, 0, "expired", "valid"},
		{"past retention", time.Second, 1, "gone", "valid"},
		{"long expires", 35 * time.Minute, 0, "gone", "expired"},
		{"long past retention", 10 * time.Minute, 1, "gone", "gone"},
	}
	state := func(id string) string {
		sess, err := e.svc.SessionCredential(ctx, id)
		switch {
		case errors.Is(err, ErrSessionNotFound):
			return "gone"
		case err != nil:
			t.Fatalf("SessionCredential: %v", err)
		case sess.Expired(e.clock.Now()):
			return "expired"
		}
		return "valid"
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			e.clock.Advance(st.advance)
			n, err := e.svc.SweepExpired(ctx)
			if err != nil {
				t.Fatalf("SweepExpired: %v", err)
			}
			if n != st.wantDeleted {
				t.Errorf("deleted %d, want %d", n, st.wantDeleted)
			}
			if got := state(shortID); got != st.wantShort {
				t.Errorf("short session %s, want %s", got, st.wantShort)
			}
			if got := state(longID); got != st.wantLong {
				t.Errorf("long session %s, want %s", got, st.wantLong)
			}
		})
	}
}

func TestService_Run_Sweeps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.SessionRetention = time.Minute
		c.SweepInterval = 10 * time.Millisecond
	})
	out, _ := e.assume(t, userX, assumeIn("y", func(in *stsapi.AssumeRoleInput) { in.DurationSeconds = ptr[int32](900) }))
	e.clock.Advance(time.Hour)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.svc.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := e.svc.SessionCredential(context.Background(), *out.Credentials.AccessKeyId)
		if errors.Is(err, ErrSessionNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session not swept within 5s (last error %v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
}

func TestService_SweepExpired_Pages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.SessionRetention = time.Minute })
	// More sessions than one sweep page, written straight to the table.
	var ops int
	tx := e.st.Txn()
	for i := range sweepPage + 5 {
		id := newAccessKeyID()
		tx.Add(e.svc.sessions.t.CreateOp(id, &Session{AccessKeyID: id, Expiration: testStart}))
		if ops++; ops == e.st.MaxTxnOps() || i == sweepPage+4 {
			if _, err := tx.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			tx, ops = e.st.Txn(), 0
		}
	}
	e.clock.Advance(2 * time.Minute)
	n, err := e.svc.SweepExpired(context.Background())
	if err != nil || n != sweepPage+5 {
		t.Errorf("SweepExpired = %d, %v; want %d", n, err, sweepPage+5)
	}
}
