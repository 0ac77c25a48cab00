// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package imds_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/imds"
)

func TestRefresher_Get_RefreshTiming(t *testing.T) {
	clock := agenttest.NewFakeClock(t0)
	src := &fakeSource{creds: testCreds(t0.Add(time.Hour))}
	ref := mustRefresher(t, imds.RefresherConfig{Margin: time.Minute}, imds.RefresherDeps{Source: src, Clock: clock, Logger: quiet}) // raised to 5m
	ctx := context.Background()
	if _, err := ref.Get(ctx); err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(55 * time.Minute); !ref.NextRefresh().Equal(want) {
		t.Fatalf("NextRefresh = %v, want %v (5 min before expiry)", ref.NextRefresh(), want)
	}
	src.set(testCreds(t0.Add(2*time.Hour)), nil)
	clock.Advance(55*time.Minute - time.Second)
	c, _ := ref.Get(ctx)
	if src.Calls() != 1 || !c.Expiration.Equal(t0.Add(time.Hour)) {
		t.Fatalf("at expiry-5m-1s: %d fetches, expiration %v: want the cached value", src.Calls(), c.Expiration)
	}
	clock.Advance(time.Second)
	c, _ = ref.Get(ctx)
	if src.Calls() != 2 || !c.Expiration.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("at expiry-5m: %d fetches, expiration %v: want a refresh", src.Calls(), c.Expiration)
	}
}

func TestRefresher_Get_ServesCachedWhileSourceFails(t *testing.T) {
	clock := agenttest.NewFakeClock(t0)
	src := &fakeSource{creds: testCreds(t0.Add(time.Hour))}
	ref := mustRefresher(t, imds.RefresherConfig{RetryMin: 10 * time.Second}, imds.RefresherDeps{Source: src, Clock: clock, Logger: quiet})
	ctx := context.Background()
	if _, err := ref.Get(ctx); err != nil {
		t.Fatal(err)
	}
	src.set(imds.Credentials{}, errors.New("control plane unreachable"))
	clock.Advance(56 * time.Minute)
	c, err := ref.Get(ctx)
	if err != nil || c.AccessKeyID != "ASIAINSTANCEROLE0001" {
		t.Fatalf("inside the margin with a failing source: %v %q: want the cached credentials", err, c.AccessKeyID)
	}
	calls := src.Calls()
	ref.Get(ctx) // within RetryMin: no new fetch
	if src.Calls() != calls {
		t.Errorf("fetched again within RetryMin")
	}
	clock.Advance(4 * time.Minute) // past expiry
	if _, err := ref.Get(ctx); err == nil {
		t.Errorf("expired credentials served")
	}
	src.set(imds.Credentials{RoleARN: "arn:aws:iam::0:role/r", AccessKeyID: "A", SecretAccessKey: "S", Expiration: t0}, nil)
	clock.Advance(time.Minute)
	if _, err := ref.Get(ctx); err == nil {
		t.Errorf("source's already-expired credentials accepted")
	}
}

func TestRefresher_Run_RefreshesBeforeExpiry(t *testing.T) {
	clock := agenttest.NewFakeClock(t0)
	src := &fakeSource{creds: testCreds(t0.Add(time.Hour))}
	ref := mustRefresher(t, imds.RefresherConfig{RetryMin: 10 * time.Second, RetryMax: 40 * time.Second}, imds.RefresherDeps{Source: src, Clock: clock, Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ref.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	step := func(want int, next time.Time) {
		t.Helper()
		if !clock.BlockUntil(1, 5*time.Second) {
			t.Fatal("Run did not go back to sleep")
		}
		if got := src.Calls(); got != want {
			t.Fatalf("fetches = %d, want %d", got, want)
		}
		if got := clock.NextWaiter(); !got.Equal(next) {
			t.Fatalf("Run sleeps until %v, want %v", got, next)
		}
	}
	step(1, t0.Add(55*time.Minute)) // fetched at start, sleeps until expiry-5m

	src.set(testCreds(t0.Add(2*time.Hour)), nil)
	clock.Advance(55 * time.Minute)
	step(2, t0.Add(115*time.Minute))

	// The source fails: Run backs off 10s, 20s, 40s, 40s; Get serves the
	// cached credentials meanwhile.
	src.set(imds.Credentials{}, errors.New("down"))
	now := t0.Add(55 * time.Minute)
	clock.Advance(time.Hour)
	now = now.Add(time.Hour)
	step(3, now.Add(10*time.Second))
	for i, d := range []time.Duration{20, 40, 40} {
		clock.Advance(clock.NextWaiter().Sub(now))
		now = clock.Now()
		step(4+i, now.Add(d*time.Second))
	}
	if c, err := ref.Get(context.Background()); err != nil || c.AccessKeyID == "" {
		t.Fatalf("cached credentials not served while the source fails: %v", err)
	}
	src.set(testCreds(t0.Add(4*time.Hour)), nil)
	clock.Advance(40 * time.Second)
	step(7, t0.Add(4*time.Hour-5*time.Minute))
}
