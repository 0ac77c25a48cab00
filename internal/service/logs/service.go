// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/logstore"
	"github.com/berthdev/berth/internal/store"
)

// DefaultRetentionInterval is how often Run applies retention.
const DefaultRetentionInterval = 5 * time.Minute

// Config configures the service.
type Config struct {
	// Region and AccountID are those of every ARN the service forms.
	Region    string
	AccountID string
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
	// RetentionInterval is how often Run applies retention and collects
	// orphaned events; DefaultRetentionInterval when zero.
	RetentionInterval time.Duration
}

// Deps are the service's collaborators.
type Deps struct {
	// Store holds the log group and log stream records.
	Store *store.Store
	// Events holds the events; the service does not close it.
	Events *logstore.Store
	Logger *slog.Logger
}

// Service implements logsapi.API. It is safe for concurrent use.
type Service struct {
	logsapi.Unimplemented

	cfg     Config
	log     *slog.Logger
	st      *store.Store
	events  *logstore.Store
	groups  *store.Table[groupRec]
	streams *store.Table[streamRec]
}

var _ logsapi.API = (*Service)(nil)

// The tables. Stream ids are "GROUPID/NAME", so a group's streams are one
// Page.Prefix away, in name order.
const (
	tableGroups  = "logs-groups"  // group name
	tableStreams = "logs-streams" // group id/stream name
)

// groupRec is a log group.
type groupRec struct {
	ID        string            `json:"id"` // names its event directory
	Name      string            `json:"name"`
	Created   int64             `json:"created"` // ms
	Retention int32             `json:"retention,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
	KmsKeyID  string            `json:"kmsKeyId,omitempty"`
	Class     string            `json:"class,omitempty"`
}

// streamRec is a log stream.
type streamRec struct {
	ID      string `json:"id"` // names its event directory
	GroupID string `json:"groupId"`
	Group   string `json:"group"`
	Name    string `json:"name"`
	Created int64  `json:"created"`
}

func (r *streamRec) key() logstore.Key { return logstore.Key{Group: r.GroupID, Stream: r.ID} }

func streamID(groupID, name string) string { return groupID + "/" + name }

// New opens the service's tables (filling their caches) and returns it.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	if deps.Store == nil || deps.Events == nil {
		return nil, errors.New("logs: a store and an event store are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.RetentionInterval <= 0 {
		cfg.RetentionInterval = DefaultRetentionInterval
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	s := &Service{cfg: cfg, log: deps.Logger, st: deps.Store, events: deps.Events}
	var err error
	if s.groups, err = store.NewTable[groupRec](ctx, deps.Store, tableGroups, store.TableConfig{}); err != nil {
		return nil, fmt.Errorf("logs: table %s: %w", tableGroups, err)
	}
	if s.streams, err = store.NewTable[streamRec](ctx, deps.Store, tableStreams, store.TableConfig{}); err != nil {
		return nil, fmt.Errorf("logs: table %s: %w", tableStreams, err)
	}
	return s, nil
}

func (s *Service) now() int64 { return s.cfg.Clock().UnixMilli() }

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Error messages AWS answers with.
const (
	msgGroupNotFound  = "The specified log group does not exist."
	msgStreamNotFound = "The specified log stream does not exist."
	msgGroupExists    = "The specified log group already exists"
	msgStreamExists   = "The specified log stream already exists"
	msgBadToken       = "The specified nextToken is invalid."
)

// group returns a log group by name.
func (s *Service) group(ctx context.Context, name string) (store.Record[groupRec], error) {
	r, err := s.groups.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return r, logsapi.ErrResourceNotFound(msgGroupNotFound)
	}
	return r, err
}

// stream returns a log stream of a group.
func (s *Service) stream(ctx context.Context, g *groupRec, name string) (*streamRec, error) {
	r, err := s.streams.Get(ctx, streamID(g.ID, name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, logsapi.ErrResourceNotFound(msgStreamNotFound)
	}
	if err != nil {
		return nil, err
	}
	return r.Value, nil
}

// groupStream returns a log group and one of its streams.
func (s *Service) groupStream(ctx context.Context, group, name string) (*groupRec, *streamRec, error) {
	g, err := s.group(ctx, group)
	if err != nil {
		return nil, nil, err
	}
	st, err := s.stream(ctx, g.Value, name)
	if err != nil {
		return nil, nil, err
	}
	return g.Value, st, nil
}

// groupARN is a log group's ARN as IAM and logGroupArn name it.
func (s *Service) groupARN(name string) string {
	return "arn:aws:logs:" + s.cfg.Region + ":" + s.cfg.AccountID + ":log-group:" + name
}

func (s *Service) streamARN(group, name string) string {
	return s.groupARN(group) + ":log-stream:" + name
}
