// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/berthdev/berth/internal/testutil"
)

// chromium returns the browser binary, or skips: CI installs Debian's
// chromium (.ci/run).
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are skipped with -short")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium binary found (install Debian's chromium, as .ci/run does); skipping the browser tests")
	return ""
}

// tab is a headless Chromium tab on a test control plane, saving a
// screenshot of each step.
type tab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
	n     int
}

// newTab starts Chromium for the test. Screenshots go to
// $BERTH_SCREENSHOTS/<test name>/, or to the test's temporary directory.
func newTab(t *testing.T, base string) *tab {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("user-data-dir", t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	dir := t.TempDir()
	if d := os.Getenv("BERTH_SCREENSHOTS"); d != "" {
		dir = filepath.Join(d, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tb := &tab{t: t, ctx: ctx, base: base, shots: dir}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return tb
}

// do runs steps, failing the test on an error.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to a console path.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// submit clicks a button that submits a form and waits for the next page.
func (b *tab) submit(id string) {
	b.t.Helper()
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.ID(id))); err != nil {
		b.shot("failed-submit-" + id)
		b.t.Fatalf("submit %s: %v", id, err)
	}
	b.do("wait for the page after "+id, chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// text returns the text of the first element matching a CSS selector.
func (b *tab) text(css string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", css, err)
	}
	return s
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// wantText fails the test unless the element's text contains every want.
func (b *tab) wantText(css string, want ...string) {
	b.t.Helper()
	got := b.text(css)
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.shot("failed-text")
			b.t.Fatalf("%s does not show %q; it shows:\n%s", css, w, got)
		}
	}
}

// shot saves a full-page PNG screenshot, numbered in step order.
func (b *tab) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.n++
	path := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// signIn signs in through the form (user "" = root).
func (b *tab) signIn(user, password string) {
	b.t.Helper()
	b.do("open the sign-in page", chromedp.Navigate(b.base+"/console/"), chromedp.WaitVisible(chromedp.ID("signin")))
	if user == "" {
		b.do("choose root", chromedp.Click(chromedp.CSS(`input[name=kind][value=root]`)))
	} else {
		b.do("enter the user name", chromedp.SendKeys(chromedp.ID("username"), user))
	}
	b.do("enter the password", chromedp.SendKeys(chromedp.ID("password"), password))
	b.shot("signin-" + map[bool]string{true: "root", false: user}[user == ""])
	b.submit("signin")
	b.wantText(".who", map[bool]string{true: "root", false: user}[user == ""])
}

// signOut clicks the header's sign-out button.
func (b *tab) signOut() {
	b.t.Helper()
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`header form button`))); err != nil {
		b.t.Fatalf("sign out: %v", err)
	}
	b.do("signed out", chromedp.WaitVisible(chromedp.ID("signin")))
}

// awsCLI runs the installed AWS CLI against the control plane with the
// root's credentials file and decodes its JSON output; it skips when the
// CLI is not installed (.ci/run installs it).
func awsCLI(t *testing.T, cp *testutil.ControlPlane, args ...string) map[string]any {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not installed; .ci/run installs it")
	}
	cmd := exec.Command("aws", append([]string{"--endpoint-url", cp.URL, "--output", "json"}, args...)...)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(cp.DataDir, "credentials"), "AWS_PROFILE=berth",
		"AWS_CONFIG_FILE=/dev/null", "AWS_DEFAULT_REGION="+testutil.Region, "AWS_PAGER=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	var v map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("aws %s: decoding %q: %v", strings.Join(args, " "), out.String(), err)
	}
	t.Logf("aws %s → %s", strings.Join(args, " "), strings.Join(strings.Fields(out.String()), " "))
	return v
}

// dig follows a path of map keys and list indexes through decoded JSON.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}
