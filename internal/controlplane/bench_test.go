// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/testutil"
)

const benchTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// benchUser returns a control plane with a role "bench" and a user allowed
// to read it through an attached policy, and that user's configuration:
// the measured call goes through authentication and a real policy
// evaluation, not the root shortcut.
func benchUser(b *testing.B) (*testutil.ControlPlane, aws.Config) {
	b.Helper()
	cp := testutil.TestControlPlane(b)
	ctx := context.Background()
	root := iam.NewFromConfig(cp.RootConfig())
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bench"), AssumeRolePolicyDocument: aws.String(benchTrust)}); err != nil {
		b.Fatal(err)
	}
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("reader")}); err != nil {
		b.Fatal(err)
	}
	if _, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("reader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}); err != nil {
		b.Fatal(err)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("reader")})
	if err != nil {
		b.Fatal(err)
	}
	return cp, testutil.Config(cp.URL, aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
}

// BenchmarkGetRole_InProcess measures the server side of an authenticated,
// authorized GetRole: one request signed once by the aws-sdk-go-v2 signer
// and replayed into the gateway handler.
func BenchmarkGetRole_InProcess(b *testing.B) {
	cp, cfg := benchUser(b)
	body := "Action=GetRole&RoleName=bench&Version=2010-05-08"
	sum := sha256.Sum256([]byte(body))
	req, _ := http.NewRequest(http.MethodPost, cp.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "iam", testutil.Region, time.Now()); err != nil {
		b.Fatal(err)
	}
	h := cp.Handler()
	serve := func() *httptest.ResponseRecorder {
		r := req.Clone(context.Background())
		r.Body = readCloser{bytes.NewReader([]byte(body))}
		r.RemoteAddr = "127.0.0.1:50000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := serve(); w.Code != http.StatusOK {
		b.Fatalf("GetRole = %d: %s", w.Code, w.Body.String())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if w := serve(); w.Code != http.StatusOK {
			b.Fatalf("GetRole = %d", w.Code)
		}
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// BenchmarkGetRole_Loopback measures GetRole through the real SDK over
// loopback HTTP from 16 concurrent clients and reports p50 and p99.
func BenchmarkGetRole_Loopback(b *testing.B) {
	_, cfg := benchUser(b)
	client := iam.NewFromConfig(cfg)
	ctx := context.Background()
	in := &iam.GetRoleInput{RoleName: aws.String("bench")}
	if _, err := client.GetRole(ctx, in); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(8) // 16 goroutines on 2 CPUs
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if _, err := client.GetRole(ctx, in); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	slices.Sort(lat)
	if n := len(lat); n > 0 {
		b.ReportMetric(float64(lat[n/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[n*99/100].Microseconds()), "p99-µs")
	}
}
