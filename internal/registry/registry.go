// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/distribution/distribution/v3/registry/storage"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
)

// Config configures a Registry.
type Config struct {
	// RootDir is the filesystem storage root (DATA_DIR/registry). It is
	// created when missing. Required when Storage is empty; unused
	// otherwise.
	RootDir string
	// Storage selects where blobs, manifests and tags live: empty is the
	// filesystem under RootDir; s3://BUCKET[/PREFIX][?PARAMS] is an
	// S3-compatible bucket through distribution's s3-aws driver. PARAMS
	// are region (default $AWS_REGION, else us-east-1), endpoint (an
	// http:// or https:// URL of an S3-compatible server; path-style then
	// defaults to true), path-style (true/false), access-key and
	// secret-key (percent-encoded; without them the AWS SDK's default
	// credential chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the
	// shared credentials file, then the instance or task role),
	// session-token, and chunk-size (multipart part bytes, 5 MiB–5 GiB,
	// default 10 MiB). The URL may hold a secret: it is never logged nor
	// quoted in errors.
	Storage string
	// Logger receives the registry's warnings and errors; nil discards them.
	Logger *slog.Logger
}

// Deps are the Registry's collaborators.
type Deps struct {
	// Guard authenticates and authorizes every HTTP request. Required.
	Guard Guard
}

// Registry is the OCI registry: an HTTP handler for /v2/ and a Go storage
// API, both over one distribution storage driver instance (filesystem or
// S3). Its methods are safe for concurrent use.
type Registry struct {
	log     *slog.Logger
	guard   Guard
	app     *handlers.App
	handler http.Handler
	driver  storagedriver.StorageDriver
	ns      distribution.Namespace
	locks   keyedMutex
}

// storageOptions are the options of distribution's storage, the same for
// the HTTP app (see appConfig) and for the Go API: deletes enabled, no
// redirects, no blob-descriptor cache, foreign layer URLs refused, image
// indexes validated against the manifests they list.
func storageOptions() []storage.RegistryOption {
	return []storage.RegistryOption{
		storage.EnableDelete,
		storage.ManifestURLsAllowRegexp(regexp.MustCompile("^$")),
		storage.EnableValidateImageIndexImagesExist,
	}
}

// appConfig is the configuration of distribution's HTTP app: the
// Registry's own driver (shared under driverID, see shareDriver), deletes on, no cache, no redis, no notifications, no
// debug server, no health checks, relative Location URLs, and the "berth"
// access controller that only admits requests the Registry's own wrapper
// authorized (see access.go).
func appConfig(driverID string) *configuration.Configuration {
	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{
		sharedDriverName: configuration.Parameters{"id": driverID},
		"delete":         configuration.Parameters{"enabled": true},
		"redirect":       configuration.Parameters{"disable": true},
		"maintenance": configuration.Parameters{
			// distribution's purger starts with a random jitter of up to an
			// hour and stops with the app's context (Close).
			"uploadpurging": map[any]any{"enabled": true, "age": "168h", "interval": "24h", "dryrun": false},
		},
	}
	cfg.Auth = configuration.Auth{accessControllerName: configuration.Parameters{}}
	cfg.HTTP.RelativeURLs = true
	// The secret signs upload state tokens (_state); a restart invalidates
	// uploads in flight over HTTP, which clients restart.
	cfg.HTTP.Secret = rand.Text()
	cfg.Validation.Enabled = true
	cfg.Validation.Manifests.Indexes.Platforms = "all"
	return cfg
}

// Open opens the registry storage Config.Storage selects (creating the
// filesystem root when needed).
func Open(cfg Config, deps Deps) (*Registry, error) {
	if deps.Guard == nil {
		return nil, errors.New("registry: Deps.Guard is required")
	}
	st, err := parseStorage(cfg.Storage, cfg.RootDir)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bridgeLogrus(log)

	r := &Registry{log: log, guard: deps.Guard}
	if r.driver, err = st.open(context.Background()); err != nil {
		return nil, err
	}
	r.ns, err = storage.NewRegistry(context.Background(), r.driver, storageOptions()...)
	if err != nil {
		return nil, fmt.Errorf("registry: open storage: %w", err)
	}
	id, release := shareDriver(r.driver)
	defer release()
	app, err := newApp(id)
	if err != nil {
		return nil, err
	}
	r.app = app
	r.handler = &accessHandler{reg: r, next: app}
	log.Info("registry storage", "storage", st)
	return r, nil
}

// newApp builds distribution's HTTP app; NewApp panics on bad
// configuration, which becomes an error here.
func newApp(driverID string) (app *handlers.App, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("registry: configure distribution: %v", p)
		}
	}()
	return handlers.NewApp(context.Background(), appConfig(driverID)), nil
}

// Handler returns the registry HTTP API v2 (every path under /v2/), with
// authentication and authorization by the Guard. The control plane mounts
// it as-is.
func (r *Registry) Handler() http.Handler { return r.handler }

// Close stops the registry's background work (distribution's upload
// purger). In-flight requests are not waited for. distribution's app also
// starts one idle notification-broadcaster goroutine that it never stops
// (it keeps the broadcaster private): open one Registry per process.
func (r *Registry) Close() error {
	if err := r.app.Shutdown(); err != nil {
		return fmt.Errorf("registry: shutdown: %w", err)
	}
	return nil
}
