// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"context"
	"log/slog"
	"maps"
	"slices"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// benignEtcdMessages are etcd log lines that are expected in berth's setup
// and would only alarm an operator; they are demoted to debug.
var benignEtcdMessages = map[string]bool{
	// Validate warns whenever no separate HTTP client URL is set; the
	// embedded member usually has no client listener at all.
	"Running http and grpc server on single port. This is not recommended for production.": true,
	// Auth is not enabled, so the token kind is irrelevant.
	"simple token is not cryptographically signed": true,
	// Logged when Close shuts the listeners down.
	"setting up serving from embedded etcd failed.": true,
}

// newZapLogger returns a zap logger that forwards etcd's records at or above
// min to lg, so etcd logs through the server's slog handler.
func newZapLogger(lg *slog.Logger, min zapcore.Level) *zap.Logger {
	return zap.New(&slogCore{lg: lg, min: min})
}

// slogCore is a zapcore.Core writing to a slog.Logger.
type slogCore struct {
	lg     *slog.Logger
	min    zapcore.Level
	fields []zapcore.Field
}

var _ zapcore.Core = (*slogCore)(nil)

func (c *slogCore) Enabled(l zapcore.Level) bool { return l >= c.min }

func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	return &slogCore{lg: c.lg, min: c.min, fields: append(c.fields[:len(c.fields):len(c.fields)], fields...)}
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	level := slogLevel(e.Level)
	if benignEtcdMessages[e.Message] {
		level = slog.LevelDebug
	}
	ctx := context.Background()
	if !c.lg.Enabled(ctx, level) {
		return nil
	}
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range c.fields {
		f.AddTo(enc)
	}
	for _, f := range fields {
		f.AddTo(enc)
	}
	attrs := make([]slog.Attr, 0, len(enc.Fields)+1)
	if e.LoggerName != "" {
		attrs = append(attrs, slog.String("logger", e.LoggerName))
	}
	for _, k := range slices.Sorted(maps.Keys(enc.Fields)) {
		attrs = append(attrs, slog.Any(k, enc.Fields[k]))
	}
	c.lg.LogAttrs(ctx, level, e.Message, attrs...)
	return nil
}

func (c *slogCore) Sync() error { return nil }

func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.DebugLevel:
		return slog.LevelDebug
	case l == zapcore.InfoLevel:
		return slog.LevelInfo
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}
