// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/distribution/distribution/v3/registry/api/errcode"
	"github.com/sirupsen/logrus"
)

// distribution logs through logrus's standard logger, which it reads from
// a package-global default (its context package is internal). bridgeLogrus
// silences that logger's own output, drops everything below warn, and
// forwards warnings and errors to the slog logger of the most recently
// opened Registry. This changes process-global logrus state, once.
var (
	bridgeOnce   sync.Once
	bridgeTarget atomic.Pointer[slog.Logger]
)

func bridgeLogrus(log *slog.Logger) {
	bridgeTarget.Store(log)
	bridgeOnce.Do(func() {
		std := logrus.StandardLogger()
		std.SetOutput(io.Discard)
		std.SetLevel(logrus.WarnLevel)
		std.AddHook(logrusHook{})
	})
}

// logrusHook forwards logrus entries to slog.
type logrusHook struct{}

func (logrusHook) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

// forwardedFields are the logrus fields worth keeping; the others (user
// agent, remote address…) are dropped. None of them holds a credential:
// distribution never logs the Authorization header.
var forwardedFields = []string{
	"err.code", "err.message", "err.detail", "error",
	"vars.name", "vars.reference", "vars.digest", "vars.uuid",
	"http.request.method", "http.request.uri", "http.response.status",
}

func (logrusHook) Fire(e *logrus.Entry) error {
	log := bridgeTarget.Load()
	if log == nil {
		return nil
	}
	level := slog.LevelWarn
	if e.Level <= logrus.ErrorLevel {
		level = slog.LevelError
	}
	// A request that failed on the client's side (unknown manifest while
	// docker probes, bad digest…) is routine: debug, not an error.
	if code, ok := e.Data["err.code"].(errcode.ErrorCode); ok && code.Descriptor().HTTPStatusCode < 500 {
		level = slog.LevelDebug
	}
	attrs := []any{slog.String("component", "distribution")}
	for _, k := range forwardedFields {
		v, ok := e.Data[k]
		if !ok {
			continue
		}
		s := fmt.Sprint(v)
		if code, ok := v.(errcode.ErrorCode); ok {
			s = code.Descriptor().Value // MANIFEST_UNKNOWN rather than its message
		}
		if k == "http.request.uri" {
			s, _, _ = strings.Cut(s, "?") // upload state tokens live in the query
		}
		attrs = append(attrs, slog.String(k, s))
	}
	log.Log(context.Background(), level, e.Message, attrs...)
	return nil
}
