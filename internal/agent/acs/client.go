// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berthdev/berth/internal/logkey"
)

// DefaultCluster is the cluster an agent joins when none is configured;
// only it is created when missing.
const DefaultCluster = "default"

// ClientConfig configures a Client.
type ClientConfig struct {
	// Endpoint is the ECS API base URL (ECS_BACKEND_HOST): a scheme is
	// kept, "https://" is added to a bare host. Empty leaves endpoint
	// resolution to the aws.Config.
	Endpoint string
	// Cluster is the cluster name or ARN; empty means DefaultCluster.
	Cluster string
	// HTTPClient dials the websockets; nil uses a client shared by every
	// Client of the process.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock signatures use; time.Now when nil.
	Now func() time.Time
}

// Client makes an agent's ECS API calls and opens its websockets. It is
// safe for concurrent use, and many simulated instances share one.
type Client struct {
	cfg             ClientConfig
	aws             aws.Config
	ecs             *ecs.Client
	signer          *v4.Signer
	log             *slog.Logger
	explicitCluster bool // a cluster other than the default was configured

	mu        sync.Mutex
	endpoints map[string]cachedEndpoints
}

type cachedEndpoints struct {
	Endpoints
	at time.Time
}

// Endpoints are the websocket base URLs DiscoverPollEndpoint returns.
type Endpoints struct {
	// ACS is the poll endpoint ("endpoint"); the session appends /ws.
	ACS string
	// TCS is the telemetry endpoint ("telemetryEndpoint").
	TCS string
}

// NewClient returns a Client using awsCfg's credentials, region and HTTP
// client for the ECS API.
func NewClient(awsCfg aws.Config, cfg ClientConfig) *Client {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = sharedHTTPClient
	}
	c := &Client{cfg: cfg, aws: awsCfg, signer: v4.NewSigner(), log: cfg.Logger, endpoints: map[string]cachedEndpoints{}}
	c.explicitCluster = cfg.Cluster != "" && cfg.Cluster != DefaultCluster
	if cfg.Cluster == "" {
		c.cfg.Cluster = DefaultCluster
	}
	c.ecs = ecs.NewFromConfig(awsCfg, func(o *ecs.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(withScheme(cfg.Endpoint))
		}
	})
	return c
}

// sharedHTTPClient dials websockets for Clients built without one.
var sharedHTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}

// withScheme adds https:// to a bare host, as the ECS agent does.
func withScheme(endpoint string) string {
	if strings.HasPrefix(endpoint, "http://") || strings.HasPrefix(endpoint, "https://") {
		return endpoint
	}
	return "https://" + endpoint
}

// ECS returns the ECS API client.
func (c *Client) ECS() *ecs.Client { return c.ecs }

// Cluster returns the configured cluster name or ARN.
func (c *Client) Cluster() string { return c.cfg.Cluster }

// Region returns the region requests are signed for.
func (c *Client) Region() string { return c.aws.Region }

// endpointCacheTTL is how long a DiscoverPollEndpoint answer is reused, as
// the ECS agent does; an expired answer is still used when discovery fails.
const endpointCacheTTL = 12 * time.Hour

// DiscoverPollEndpoint returns the ACS and TCS endpoints of a container
// instance, from a 12-hour cache when it can.
func (c *Client) DiscoverPollEndpoint(ctx context.Context, instanceARN string) (Endpoints, error) {
	c.mu.Lock()
	cached, ok := c.endpoints[instanceARN]
	c.mu.Unlock()
	if ok && c.cfg.Now().Sub(cached.at) < endpointCacheTTL {
		return cached.Endpoints, nil
	}
	out, err := c.ecs.DiscoverPollEndpoint(ctx, &ecs.DiscoverPollEndpointInput{
		Cluster:           aws.String(c.cfg.Cluster),
		ContainerInstance: aws.String(instanceARN),
	})
	if err != nil {
		if ok {
			c.log.Warn("discover poll endpoint failed; using the expired answer", logkey.Err, err)
			return cached.Endpoints, nil
		}
		return Endpoints{}, fmt.Errorf("acs: discover poll endpoint: %w", err)
	}
	ep := Endpoints{ACS: aws.ToString(out.Endpoint), TCS: aws.ToString(out.TelemetryEndpoint)}
	if ep.ACS == "" {
		return Endpoints{}, errors.New("acs: discover poll endpoint: no endpoint in the answer")
	}
	c.mu.Lock()
	c.endpoints[instanceARN] = cachedEndpoints{ep, c.cfg.Now()}
	c.mu.Unlock()
	return ep, nil
}
