// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package bootstrap

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/agent/config"
	"github.com/berthdev/berth/internal/logkey"
)

// MaxSize is the largest configuration object Load accepts.
const MaxSize = 1 << 20

// Location is an S3 object holding an ecs.config.
type Location struct {
	Bucket, Key string
}

// String returns the s3:// URL.
func (l Location) String() string { return "s3://" + l.Bucket + "/" + l.Key }

// IsLocation reports whether s is meant as an S3 location (s3://...).
func IsLocation(s string) bool { return strings.HasPrefix(s, "s3://") }

// ParseLocation parses s3://bucket/key.
func ParseLocation(s string) (Location, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return Location{}, fmt.Errorf("bootstrap: %q is not an s3://bucket/key URL", s)
	}
	b, k, _ := strings.Cut(rest, "/")
	if b == "" || k == "" {
		return Location{}, fmt.Errorf("bootstrap: %q: want s3://bucket/key", s)
	}
	return Location{Bucket: b, Key: k}, nil
}

// Config says what to fetch and what overrides it.
type Config struct {
	Location Location
	// Environ are the environment and flag settings (KEY=VALUE, as
	// config.Load takes them) applied over the object.
	Environ []string
}

// Deps are Load's collaborators.
type Deps struct {
	// AWS is the agent's configuration: its credentials (the instance
	// role's, through the default chain) and region.
	AWS aws.Config
	// Endpoint is the control plane's URL (ECS_BACKEND_HOST, from the
	// flags or the environment).
	Endpoint string
	// HTTPClient overrides AWS.HTTPClient when set.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// DeniedError is an S3 denial of the configuration object.
type DeniedError struct {
	Location Location
	Code     string
	Message  string
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("bootstrap: s3:GetObject on %s (arn:aws:s3:::%s/%s) was denied to the agent's credentials (the instance role): %s: %s; "+
		"the instance role needs s3:GetObject on the object (for example the AWS-managed AmazonS3ReadOnlyAccess) and no bucket policy may deny it",
		e.Location, e.Location.Bucket, e.Location.Key, e.Code, e.Message)
}

// Fetch returns the whole object, verified against its Content-Length
// and (for a single-part object) its MD5 ETag.
func Fetch(ctx context.Context, cfg Config, deps Deps) ([]byte, error) {
	loc := cfg.Location
	client := s3.NewFromConfig(deps.AWS, func(o *s3.Options) {
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true // the MD5 ETag is checked below
		if deps.Endpoint != "" {
			o.BaseEndpoint = aws.String(deps.Endpoint)
		}
		if deps.HTTPClient != nil {
			o.HTTPClient = deps.HTTPClient
		}
	})
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "AccessDeniedException") {
			return nil, &DeniedError{Location: loc, Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
		}
		return nil, fmt.Errorf("bootstrap: s3:GetObject %s: %w", loc, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, MaxSize+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("bootstrap: reading %s: %w (the object is incomplete; the agent does not start on part of a configuration)", loc, err)
	case len(body) > MaxSize:
		return nil, fmt.Errorf("bootstrap: %s is larger than %d bytes; it is not an ecs.config", loc, MaxSize)
	case out.ContentLength != nil && *out.ContentLength != int64(len(body)):
		return nil, fmt.Errorf("bootstrap: %s: read %d bytes of %d (truncated); the agent does not start on part of a configuration", loc, len(body), *out.ContentLength)
	}
	if etag := strings.Trim(aws.ToString(out.ETag), `"`); len(etag) == 32 && !strings.Contains(etag, "-") {
		sum := md5.Sum(body)
		if !strings.EqualFold(etag, hex.EncodeToString(sum[:])) {
			return nil, fmt.Errorf("bootstrap: %s: the body's MD5 %x does not match its ETag %s (corrupt or truncated)", loc, sum, etag)
		}
	}
	return body, nil
}

// Load fetches the object, parses it completely with cfg.Environ over it,
// and checks it against current, the settings the agent started with.
func Load(ctx context.Context, cfg Config, deps Deps, current config.Config) (config.Config, error) {
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With(logkey.Service, "bootstrap")
	body, err := Fetch(ctx, cfg, deps)
	if err != nil {
		return config.Config{}, err
	}
	s, err := config.LoadReader(bytes.NewReader(body), cfg.Location.String(), cfg.Environ)
	if err != nil {
		return config.Config{}, fmt.Errorf("bootstrap: the configuration in %s is not valid; the agent does not start on part of it: %w", cfg.Location, err)
	}
	if err := checkEarly(cfg.Location, current, s); err != nil {
		return config.Config{}, err
	}
	if s.LogLevel != current.LogLevel {
		log.Warn("ECS_LOGLEVEL from the bucket configuration is ignored: the log level is set before it is fetched; give it by flag or environment",
			"object", cfg.Location.String(), "level", s.LogLevel.String())
		s.LogLevel = current.LogLevel
	}
	if len(s.Ignored) > 0 {
		log.Info("ignoring ECS agent settings berth does not use", "object", cfg.Location.String(), "keys", fmt.Sprint(s.Ignored))
	}
	log.Info("agent configuration loaded from S3", "object", cfg.Location.String(), "bytes", len(body), "cluster", s.Cluster)
	return s, nil
}

// checkEarly refuses an object that changes a key the agent has used
// before fetching it.
func checkEarly(loc Location, before, after config.Config) error {
	var keys []string
	for _, k := range []struct {
		key  string
		same bool
	}{
		{"ECS_BACKEND_HOST", before.BackendHost == after.BackendHost},
		{"ECS_DATADIR", before.DataDir == after.DataDir},
		{"BERTH_HOST_SECRET_FILE", before.HostSecretFile == after.HostSecretFile},
		{"BERTH_IMDS_ADDR", before.IMDSAddr == after.IMDSAddr},
		{"BERTH_IMDS_V1", before.IMDSv1 == after.IMDSv1},
	} {
		if !k.same {
			keys = append(keys, k.key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	return fmt.Errorf("bootstrap: %s sets %s, which the agent uses before it fetches its configuration; give %s by flag or environment instead",
		loc, strings.Join(keys, ", "), map[bool]string{true: "it", false: "them"}[len(keys) == 1])
}
