// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agenttest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScratchImage builds a one-line program (unique to this run, so the
// build path runs) FROM scratch, runs it and reads its output; a second
// call reuses the image under the same tag.
func TestScratchImage(t *testing.T) {
	eng := Docker(t)
	dir := t.TempDir()
	word := "scratch-" + ID()
	src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"" + word + "\") }\n"
	for name, data := range map[string]string{"go.mod": "module hello\n\ngo 1.22\n", "main.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tag := ScratchImage(t, eng, "hello", dir, "GOWORK=off")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = eng.ImageRemove(ctx, tag)
	})
	if !strings.HasPrefix(tag, "berth-test/hello:") {
		t.Fatalf("tag = %q, want berth-test/hello:<hash>", tag)
	}
	code, out := RunToExit(t, eng, RunSpec{Image: tag}, time.Minute)
	if code != 0 || strings.TrimSpace(out) != word {
		t.Fatalf("run = exit %d, output %q; want 0, %q", code, out, word)
	}
	if again := ScratchImage(t, eng, "hello", dir, "GOWORK=off"); again != tag {
		t.Fatalf("second ScratchImage = %q, want %q", again, tag)
	}
}
