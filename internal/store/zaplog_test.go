// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestZapLogger_ToSlog(t *testing.T) {
	tests := []struct {
		name string
		log  func(*zap.Logger)
		want string // "" = nothing logged
	}{
		{"info below warn is dropped", func(l *zap.Logger) { l.Info("hello") }, ""},
		{"warn with fields", func(l *zap.Logger) { l.Warn("slow apply", zap.Int("ms", 120)) }, `level=WARN msg="slow apply" member=m1 ms=120`},
		{"error", func(l *zap.Logger) { l.Error("disk full") }, `level=ERROR msg="disk full" member=m1`},
		{"benign warning demoted", func(l *zap.Logger) { l.Warn("simple token is not cryptographically signed") }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := slog.NewTextHandler(&buf, &slog.HandlerOptions{
				Level: slog.LevelInfo,
				ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
					if a.Key == slog.TimeKey {
						return slog.Attr{}
					}
					return a
				},
			})
			tc.log(newZapLogger(slog.New(h), zapcore.WarnLevel).With(zap.String("member", "m1")))
			if got := strings.TrimSpace(buf.String()); got != tc.want {
				t.Errorf("logged %q, want %q", got, tc.want)
			}
		})
	}
}
