// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/blob"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store/storetest"
)

type allowAll struct{}

func (allowAll) Authorize(context.Context, string, string, map[string][]string) (bool, string, error) {
	return true, "", nil
}

// newTestService builds a Service on a real embedded store and a
// filesystem blob store.
func newTestService(t testing.TB, opts ...func(*Config)) (*Service, *blob.FS) {
	t.Helper()
	st := storetest.New(t)
	blobs, err := blob.OpenFS(blob.FSConfig{Dir: filepath.Join(t.TempDir(), "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{AccountID: "123456789012", Region: "us-east-1"}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := New(context.Background(), cfg,
		Deps{Store: st, Blobs: blobs, Authorizer: allowAll{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s, blobs
}

func rootCtx() context.Context {
	return principal.NewContext(context.Background(), &principal.Principal{Kind: principal.Root, AccountID: "123456789012",
		ARN: "arn:aws:iam::123456789012:root"})
}

// seed writes object records for keys directly, in store transactions,
// with an empty blob id (listing never opens blobs).
func seed(t testing.TB, s *Service, bucket string, keys []string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.t.buckets.Create(ctx, bucket, &bucketRec{Name: bucket, Owner: "123456789012", Region: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	rec := &objectRec{ETag: "d41d8cd98f00b204e9800998ecf8427e", Modified: time.Unix(0, 0).UTC()}
	for len(keys) > 0 {
		n := min(len(keys), 120)
		tx := s.deps.Store.Txn()
		for _, k := range keys[:n] {
			tx.Add(s.t.objects.CreateOp(objectID(bucket, k), rec))
		}
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		keys = keys[n:]
	}
}

// bruteList is the listing S3 specifies, computed naively.
func bruteList(keys []string, prefix, delim, after string) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) || k <= after {
			continue
		}
		if i := strings.Index(k[len(prefix):], delim); delim != "" && i >= 0 {
			cp := k[:len(prefix)+i+len(delim)]
			if !seen[cp] && cp+pastPrefix > after {
				seen[cp] = true
				out = append(out, cp)
			}
			continue
		}
		out = append(out, k)
	}
	return out
}

func TestService_list_MatchesSpecification(t *testing.T) {
	s, _ := newTestService(t)
	r := rand.New(rand.NewPCG(1, 2))
	parts := []string{"a", "b", "b/", "c/", "dd", "/", "x-y", "é"}
	set := map[string]bool{}
	for len(set) < 600 {
		var b strings.Builder
		for range 1 + r.IntN(6) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		set[b.String()] = true
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	seed(t, s, "bkt", keys)
	for _, tc := range []struct{ prefix, delim string }{{"", ""}, {"", "/"}, {"b", "/"}, {"b/", "/"}, {"a", "b"}, {"", "dd"}, {"c/", ""}} {
		for _, max := range []int{1, 7, 1000} {
			t.Run(fmt.Sprintf("prefix=%q delim=%q max=%d", tc.prefix, tc.delim, max), func(t *testing.T) {
				want := bruteList(keys, tc.prefix, tc.delim, "")
				var got []string
				after := ""
				for pages := 0; ; pages++ {
					if pages > len(keys)+1 {
						t.Fatal("listing does not end")
					}
					res, err := s.list(context.Background(), listSpec{bucket: "bkt", prefix: tc.prefix, delim: tc.delim, after: after, max: max})
					if err != nil {
						t.Fatal(err)
					}
					// Merge keys and prefixes back into order.
					page := append(slices.Clone(res.keys), res.prefixes...)
					slices.Sort(page)
					got = append(got, page...)
					if !res.truncated {
						break
					}
					after = res.next
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("listing (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestService_list_100kKeys: a page of a 100,000-key bucket, rolled up by
// a delimiter or not, is a few ordered lookups in the replica cache.
func TestService_list_100kKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes 100,000 records")
	}
	s, _ := newTestService(t)
	keys := make([]string, 0, 100_000)
	for i := range 100_000 {
		keys = append(keys, fmt.Sprintf("logs/%03d/%06d.log", i%100, i))
	}
	seed(t, s, "big", keys)
	ctx := context.Background()
	start := time.Now()
	const rounds = 100
	for range rounds {
		res, err := s.list(ctx, listSpec{bucket: "big", prefix: "logs/", delim: "/", max: 1000})
		if err != nil || len(res.prefixes) != 100 || res.truncated {
			t.Fatalf("rolled-up listing: %d prefixes, truncated %v, %v", len(res.prefixes), res.truncated, err)
		}
		res, err = s.list(ctx, listSpec{bucket: "big", prefix: "logs/050/", after: "logs/050/050050.log", max: 1000})
		if err != nil || len(res.keys) != 499 {
			t.Fatalf("page: %d keys, %v", len(res.keys), err)
		}
	}
	per := time.Since(start) / (2 * rounds)
	t.Logf("a listing page of a 100k-key bucket: %v", per)
	if per > 20*time.Millisecond {
		t.Errorf("a listing page of a 100k-key bucket took %v, want well under 20ms", per)
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		h        string
		size     int64
		start, n int64
		ok       bool
		code     string
	}{
		{"bytes=0-0", 10, 0, 1, true, ""},
		{"bytes=0-", 10, 0, 10, true, ""},
		{"bytes=9-", 10, 9, 1, true, ""},
		{"bytes=-1", 10, 9, 1, true, ""},
		{"bytes=-20", 10, 0, 10, true, ""},
		{"bytes=3-200", 10, 3, 7, true, ""},
		{"bytes=10-11", 10, 0, 0, false, "InvalidRange"},
		{"bytes=0-", 0, 0, 0, false, "InvalidRange"},
		{"bytes=-5", 0, 0, 0, false, "InvalidRange"},
		{"bytes=-0", 10, 0, 0, false, "InvalidRange"},
		{"bytes=4-2", 10, 0, 0, false, ""},
		{"bytes=a-b", 10, 0, 0, false, ""},
		{"bytes=1-2,4-5", 10, 0, 0, false, ""},
		{"items=1-2", 10, 0, 0, false, ""},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.h, tc.size), func(t *testing.T) {
			start, n, ok, err := parseRange(tc.h, tc.size)
			code := ""
			if err != nil {
				code = awserr.From(err).Code
			}
			if start != tc.start || n != tc.n || ok != tc.ok || code != tc.code {
				t.Errorf("parseRange = %d, %d, %v, %q; want %d, %d, %v, %q", start, n, ok, code, tc.start, tc.n, tc.ok, tc.code)
			}
		})
	}
}

func TestValidBucketName(t *testing.T) {
	tests := map[string]bool{
		"abc": true, "my-bucket.example": true, "a1-b2": true, strings.Repeat("a", 63): true,
		"ab": false, strings.Repeat("a", 64): false, "Upper": false, "-lead": false, "trail-": false,
		"a..b": false, "10.1.2.3": false, "under_score": false, "xn--abc": false, "sthree-x": false,
		"x-s3alias": false, "b--ol-s3": false, "amzn-s3-demo-bucket": false,
	}
	for name, want := range tests {
		if got := validBucketName(name); got != want {
			t.Errorf("validBucketName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestService_Sweep: blobs no record names (left by a crash between a blob
// write and its commit) are reclaimed once older than the grace period;
// referenced ones stay.
func TestService_Sweep(t *testing.T) {
	s, blobs := newTestService(t)
	ctx := rootCtx()
	if _, err := s.t.buckets.Create(ctx, "b", &bucketRec{Name: "b", Owner: "123456789012", Region: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	kept, _, err := s.ingest(ctx, strings.NewReader("kept"), ingestSpec{Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.commitObject(ctx, "b", "k", &objectRec{Blob: kept.ID, Size: kept.Size, ETag: etagOf(kept)}); err != nil {
		t.Fatal(err)
	}
	orphan, err := blobs.Put(ctx, strings.NewReader("orphan"), blob.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Sweep(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("Sweep within grace = %d, %v; want 0", n, err)
	}
	if n, err := s.Sweep(ctx, -time.Minute); err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	if _, err := blobs.Open(ctx, orphan.ID); err == nil {
		t.Error("orphan blob survived the sweep")
	}
	r, err := blobs.Open(ctx, kept.ID)
	if err != nil {
		t.Fatalf("referenced blob was swept: %v", err)
	}
	r.Close()
}

// TestService_Run sweeps periodically until its context ends.
func TestService_Run(t *testing.T) {
	s, blobs := newTestService(t, func(c *Config) { c.SweepInterval, c.SweepGrace = 10*time.Millisecond, time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	orphan, err := blobs.Put(ctx, strings.NewReader("orphan"), blob.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := blobs.Open(ctx, orphan.ID)
		if err != nil {
			break
		}
		r.Close()
		if time.Now().After(deadline) {
			t.Fatal("Run did not sweep the orphan blob")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
}

// TestService_ConcurrentOverwrites: writers racing on one key each commit
// or retry; the last commit wins and every replaced blob is deleted, so
// exactly one blob remains.
func TestService_ConcurrentOverwrites(t *testing.T) {
	s, blobs := newTestService(t)
	ctx := rootCtx()
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("race")}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for w := range 8 {
		wg.Go(func() {
			for i := range 5 {
				body := fmt.Sprintf("writer %d put %d", w, i)
				_, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr("race"), Key: ptr("k"), Body: strings.NewReader(body)})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	if err := blobs.Walk(ctx, func(string, time.Time) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d blobs after 40 overwrites of one key, want 1", n)
	}
	out, err := s.GetObject(ctx, &s3api.GetObjectInput{Bucket: ptr("race"), Key: ptr("k")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body.(io.Reader))
	out.Body.(io.Closer).Close()
	if !strings.HasPrefix(string(body), "writer ") {
		t.Errorf("body = %q", body)
	}
}
