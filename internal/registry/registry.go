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
	"os"
	"path/filepath"
	"regexp"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/distribution/distribution/v3/registry/storage"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

// Config configures a Registry.
type Config struct {
	// RootDir is the filesystem storage root (DATA_DIR/registry). It is
	// created when missing.
	RootDir string
	// Logger receives the registry's warnings and errors; nil discards them.
	Logger *slog.Logger
}

// Deps are the Registry's collaborators.
type Deps struct {
	// Guard authenticates and authorizes every HTTP request. Required.
	Guard Guard
}

// Registry is the OCI registry: an HTTP handler for /v2/ and a Go storage
// API, both over one distribution storage on the filesystem. Its methods
// are safe for concurrent use.
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

// appConfig is the configuration of distribution's HTTP app: filesystem
// storage at root, deletes on, no cache, no redis, no notifications, no
// debug server, no health checks, relative Location URLs, and the "berth"
// access controller that only admits requests the Registry's own wrapper
// authorized (see access.go).
func appConfig(root string) *configuration.Configuration {
	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{
		"filesystem": configuration.Parameters{"rootdirectory": root},
		"delete":     configuration.Parameters{"enabled": true},
		"redirect":   configuration.Parameters{"disable": true},
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

// Open opens (creating when needed) the registry storage under cfg.RootDir.
func Open(cfg Config, deps Deps) (*Registry, error) {
	if cfg.RootDir == "" {
		return nil, errors.New("registry: Config.RootDir is required")
	}
	if deps.Guard == nil {
		return nil, errors.New("registry: Deps.Guard is required")
	}
	root, err := filepath.Abs(cfg.RootDir)
	if err != nil {
		return nil, fmt.Errorf("registry: root dir: %w", err)
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("registry: create root dir: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bridgeLogrus(log)

	r := &Registry{log: log, guard: deps.Guard}
	r.driver = filesystem.New(filesystem.DriverParameters{RootDirectory: root, MaxThreads: 100})
	r.ns, err = storage.NewRegistry(context.Background(), r.driver, storageOptions()...)
	if err != nil {
		return nil, fmt.Errorf("registry: open storage: %w", err)
	}
	app, err := newApp(root)
	if err != nil {
		return nil, err
	}
	r.app = app
	r.handler = &accessHandler{reg: r, next: app}
	return r, nil
}

// newApp builds distribution's HTTP app; NewApp panics on bad
// configuration, which becomes an error here.
func newApp(root string) (app *handlers.App, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("registry: configure distribution: %v", p)
		}
	}()
	return handlers.NewApp(context.Background(), appConfig(root)), nil
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
