// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/factory"
	"github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	s3aws "github.com/distribution/distribution/v3/registry/storage/driver/s3-aws"
)

// storageSpec is a parsed Config.Storage: the filesystem under a root, or an
// S3 bucket. It never prints its secret key.
type storageSpec struct {
	// root is the absolute filesystem root; empty for S3.
	root string
	// s3 holds the S3 driver's parameters when root is empty.
	s3 s3aws.DriverParameters
}

// s3Defaults are the S3 driver parameters berth does not expose: v4
// signing, TLS unless the endpoint says http://, distribution's default
// part and multipart-copy sizes, private objects, standard storage class.
func s3Defaults() s3aws.DriverParameters {
	return s3aws.DriverParameters{
		Secure:                      true,
		V4Auth:                      true,
		ChunkSize:                   10 << 20,
		MultipartCopyChunkSize:      32 << 20,
		MultipartCopyMaxConcurrency: 100,
		MultipartCopyThresholdSize:  32 << 20,
		StorageClass:                "STANDARD",
		ObjectACL:                   "private",
	}
}

// s3Params are the query parameters of an s3:// storage URL.
var s3Params = map[string]bool{
	"region": true, "endpoint": true, "path-style": true, "access-key": true,
	"secret-key": true, "session-token": true, "chunk-size": true,
}

// parseStorage parses Config.Storage (see Config): empty is the filesystem
// under rootDir, s3://bucket[/prefix][?params] an S3 bucket. Errors never
// quote the URL, which may hold a secret key.
func parseStorage(raw, rootDir string) (storageSpec, error) {
	if raw == "" {
		if rootDir == "" {
			return storageSpec{}, errors.New("registry: Config.RootDir is required with filesystem storage")
		}
		root, err := filepath.Abs(rootDir)
		if err != nil {
			return storageSpec{}, fmt.Errorf("registry: root dir: %w", err)
		}
		return storageSpec{root: root}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url's errors quote parts of the URL, a secret key among them.
		return storageSpec{}, errors.New("registry: storage URL is malformed: want s3://bucket/prefix?params, with parameter values percent-encoded")
	}
	if u.Scheme != "s3" {
		return storageSpec{}, fmt.Errorf("registry: storage URL scheme %q: want s3://bucket/prefix", u.Scheme)
	}
	if u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return storageSpec{}, errors.New("registry: storage URL: want s3://bucket/prefix?params, with credentials as access-key and secret-key parameters")
	}
	p := s3Defaults()
	p.Bucket = u.Host
	if p.Bucket == "" || u.Port() != "" {
		return storageSpec{}, errors.New("registry: storage URL: no bucket (want s3://bucket/prefix)")
	}
	if prefix := strings.Trim(u.Path, "/"); prefix != "" {
		p.RootDirectory = "/" + prefix
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return storageSpec{}, errors.New("registry: storage URL: malformed query")
	}
	for k, v := range q {
		if !s3Params[k] {
			return storageSpec{}, fmt.Errorf("registry: storage URL: unknown parameter %q (known: region, endpoint, path-style, access-key, secret-key, session-token, chunk-size)", k)
		}
		if len(v) != 1 {
			return storageSpec{}, fmt.Errorf("registry: storage URL: parameter %q given %d times", k, len(v))
		}
	}
	p.Region = q.Get("region")
	if p.Region == "" {
		p.Region = os.Getenv("AWS_REGION")
	}
	if p.Region == "" {
		p.Region = "us-east-1"
	}
	if e := q.Get("endpoint"); e != "" {
		eu, err := url.Parse(e)
		if err != nil || (eu.Scheme != "http" && eu.Scheme != "https") || eu.Host == "" || eu.User != nil {
			return storageSpec{}, errors.New("registry: storage URL: endpoint must be an http:// or https:// URL")
		}
		p.RegionEndpoint = e
		p.Secure = eu.Scheme == "https"
		// S3-compatible servers (berth's own, MinIO, Ceph…) at an IP or a
		// single host name need path-style requests.
		p.ForcePathStyle = true
	}
	if v := q.Get("path-style"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return storageSpec{}, fmt.Errorf("registry: storage URL: path-style %q is not a boolean", v)
		}
		p.ForcePathStyle = b
	}
	p.AccessKey, p.SecretKey, p.SessionToken = q.Get("access-key"), q.Get("secret-key"), q.Get("session-token")
	if (p.AccessKey == "") != (p.SecretKey == "") {
		return storageSpec{}, errors.New("registry: storage URL: access-key and secret-key go together")
	}
	if p.SessionToken != "" && p.AccessKey == "" {
		return storageSpec{}, errors.New("registry: storage URL: session-token needs access-key and secret-key")
	}
	if v := q.Get("chunk-size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 5<<20 || n > 5<<30 {
			return storageSpec{}, fmt.Errorf("registry: storage URL: chunk-size %q: want bytes between 5 MiB (5242880) and 5 GiB", v)
		}
		p.ChunkSize = n
	}
	return storageSpec{s3: p}, nil
}

// LogValue describes the storage for logs: never a key.
func (s storageSpec) LogValue() slog.Value {
	if s.root != "" {
		return slog.GroupValue(slog.String("driver", "filesystem"), slog.String("root", s.root))
	}
	attrs := []slog.Attr{
		slog.String("driver", "s3"), slog.String("bucket", s.s3.Bucket),
		slog.String("prefix", s.s3.RootDirectory), slog.String("region", s.s3.Region),
	}
	if s.s3.RegionEndpoint != "" {
		attrs = append(attrs, slog.String("endpoint", s.s3.RegionEndpoint))
	}
	creds := "default chain"
	if s.s3.AccessKey != "" {
		creds = "static"
	}
	return slog.GroupValue(append(attrs, slog.String("credentials", creds))...)
}

// String is LogValue's text, so a %v of the storage never prints a key.
func (s storageSpec) String() string { return s.LogValue().String() }

// GoString is String, so a %#v never prints a key either.
func (s storageSpec) GoString() string { return s.String() }

// open creates the storage driver. The filesystem root is created when
// missing; an S3 driver contacts nothing until its first use.
func (s storageSpec) open(ctx context.Context) (storagedriver.StorageDriver, error) {
	if s.root != "" {
		if err := os.MkdirAll(s.root, 0o750); err != nil {
			return nil, fmt.Errorf("registry: create root dir: %w", err)
		}
		return filesystem.New(filesystem.DriverParameters{RootDirectory: s.root, MaxThreads: 100}), nil
	}
	d, err := s3aws.New(ctx, s.s3)
	if err != nil {
		// The driver's errors carry no parameter values.
		return nil, fmt.Errorf("registry: s3 storage: %w", err)
	}
	return d, nil
}

// sharedDriverName is the distribution storage driver that hands the HTTP
// app the Registry's own driver instance (see shareDriver), so the app and
// the Go API share one driver — and, for S3, one client and credentials.
const sharedDriverName = "berth-shared"

// sharedDrivers holds drivers between shareDriver and the factory's Create.
var sharedDrivers sync.Map // id string → storagedriver.StorageDriver

func init() { factory.Register(sharedDriverName, sharedFactory{}) }

// sharedFactory creates nothing: it returns the driver shareDriver stored
// under the "id" parameter.
type sharedFactory struct{}

func (sharedFactory) Create(_ context.Context, params map[string]any) (storagedriver.StorageDriver, error) {
	id, _ := params["id"].(string)
	d, ok := sharedDrivers.Load(id)
	if !ok {
		return nil, fmt.Errorf("registry: no shared storage driver %q", id)
	}
	return d.(storagedriver.StorageDriver), nil
}

// shareDriver makes d available to distribution's configuration as
// {berth-shared: {id: ID}} until the returned func is called.
func shareDriver(d storagedriver.StorageDriver) (id string, release func()) {
	id = rand.Text()
	sharedDrivers.Store(id, d)
	return id, func() { sharedDrivers.Delete(id) }
}
