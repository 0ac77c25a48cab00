// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/testutil"
)

// cli runs the installed AWS CLI against a berth server.
type cli struct {
	t        *testing.T
	endpoint string
	env      []string
}

// newCLI returns a CLI runner using the server's root credentials file, or
// skips the test when the AWS CLI is not installed (.ci/run installs it).
func newCLI(t *testing.T, p *testutil.Process) *cli {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not installed; .ci/run installs it")
	}
	return &cli{t: t, endpoint: p.URL, env: []string{
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(p.DataDir, "credentials"),
		"AWS_PROFILE=berth",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_DEFAULT_REGION=" + testutil.Region,
		"AWS_PAGER=",
	}}
}

// as returns a runner signed with an access key instead of the profile.
func (c *cli) as(id, secret string) *cli {
	return &cli{t: c.t, endpoint: c.endpoint, env: []string{
		"AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_CONFIG_FILE=/dev/null",
		"AWS_DEFAULT_REGION=" + testutil.Region, "AWS_PAGER=",
	}}
}

// run executes `aws --endpoint-url URL args...` and returns stdout, stderr
// and whether it succeeded.
func (c *cli) run(args ...string) (stdout, stderr string, ok bool) {
	c.t.Helper()
	return c.runAWS("aws", append([]string{"--output", "json"}, args...)...)
}

// runAWS runs an AWS CLI binary with the runner's environment.
func (c *cli) runAWS(bin string, args ...string) (stdout, stderr string, ok bool) {
	c.t.Helper()
	cmd := exec.Command(bin, append([]string{"--endpoint-url", c.endpoint}, args...)...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, c.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err == nil
}

// must runs the CLI and fails the test if it fails; it decodes JSON output
// into v when v is not nil.
func (c *cli) must(v any, args ...string) {
	c.t.Helper()
	out, errs, ok := c.run(args...)
	if !ok {
		c.t.Fatalf("aws %s failed: %s", strings.Join(args, " "), errs)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			c.t.Fatalf("aws %s: decoding %q: %v", strings.Join(args, " "), out, err)
		}
	}
}

// mustFail runs the CLI, expects it to fail with code in its error message,
// and returns stderr.
func (c *cli) mustFail(code string, args ...string) string {
	c.t.Helper()
	_, errs, ok := c.run(args...)
	if ok {
		c.t.Fatalf("aws %s succeeded, want %s", strings.Join(args, " "), code)
	}
	if !strings.Contains(errs, "("+code+")") {
		c.t.Fatalf("aws %s: %s, want error %s", strings.Join(args, " "), errs, code)
	}
	return errs
}
