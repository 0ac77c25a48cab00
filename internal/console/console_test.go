// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/console"
	"github.com/berthdev/berth/internal/testutil"
)

func TestConsole_SignIn_CookieFlags(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	b := newBrowser(t, cp.URL)
	_, page := b.get("/console/signin")
	form := url.Values{"csrf": {csrf(t, page)}, "account": {testutil.AccountID}, "kind": {"root"}, "password": {rootPassword(t, cp)}}
	resp, _ := b.post("/console/signin", form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("sign-in: %d to %q, want 303 to /console/", resp.StatusCode, resp.Header.Get("Location"))
	}
	var sess *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == console.SessionCookie {
			sess = c
		}
	}
	if sess == nil {
		t.Fatalf("no %s cookie in %v", console.SessionCookie, resp.Header["Set-Cookie"])
	}
	if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/console/" {
		t.Errorf("session cookie HttpOnly=%v SameSite=%v Path=%q, want HttpOnly, Lax, /console/", sess.HttpOnly, sess.SameSite, sess.Path)
	}
	if sess.MaxAge <= 0 || sess.MaxAge > int((12*time.Hour).Seconds()) {
		t.Errorf("session cookie Max-Age = %d, want an expiry within 12h", sess.MaxAge)
	}
	if strings.Contains(resp.Header.Get("Set-Cookie"), "ASIA") {
		t.Error("a session cookie carries credentials")
	}
	_, home := b.get("/console/")
	if !strings.Contains(home, "arn:aws:iam::"+testutil.AccountID+":root") {
		t.Errorf("home page does not name the root:\n%s", home)
	}
}

func TestConsole_SignIn_Refused(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	newUser(t, cp, "alice", false)
	tests := []struct {
		name               string
		kind, user, passwd string
		account            string
	}{
		{"wrong root password", "root", "", "not-the-password", testutil.AccountID},
		{"wrong user password", "user", "alice", "not-the-password", testutil.AccountID},
		{"unknown user", "user", "nobody", userPasswd, testutil.AccountID},
		{"other account", "user", "alice", userPasswd, "999999999999"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, cp.URL)
			_, page := b.get("/console/signin")
			resp, body := b.post("/console/signin", url.Values{"csrf": {csrf(t, page)}, "account": {tc.account}, "kind": {tc.kind}, "username": {tc.user}, "password": {tc.passwd}})
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Your authentication information is incorrect") {
				t.Errorf("status %d, want 401 with the sign-in error\n%s", resp.StatusCode, body)
			}
		})
	}
	t.Run("user", func(t *testing.T) {
		b := newBrowser(t, cp.URL)
		b.signIn("alice", userPasswd)
		if _, home := b.get("/console/"); !strings.Contains(home, ":user/alice") {
			t.Errorf("home page does not name alice")
		}
	})
}

func TestConsole_CSRF_Refused(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	newRole(t, cp, "ecsInstanceRole")
	b := newBrowser(t, cp.URL)
	token := b.signIn("", rootPassword(t, cp))
	attach := "/console/iam/roles/ecsInstanceRole/attach"
	tests := []struct {
		name   string
		form   url.Values
		origin string
	}{
		{"no token", url.Values{"arn": {ecsForEC2}}, ""},
		{"wrong token", url.Values{"arn": {ecsForEC2}, "csrf": {"x" + token}}, ""},
		{"cross-site origin", url.Values{"arn": {ecsForEC2}, "csrf": {token}}, "http://evil.example"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, cp.URL+attach, strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			resp, body := b.do(req)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "CSRF") {
				t.Errorf("status %d, want 403 naming the CSRF check\n%s", resp.StatusCode, body)
			}
		})
	}
	if got := attachedTo(t, cp, "ecsInstanceRole"); len(got) != 0 {
		t.Fatalf("a refused form changed the role: attached %v", got)
	}
	t.Run("sign-in without the form cookie", func(t *testing.T) {
		fresh := newBrowser(t, cp.URL)
		resp, _ := fresh.post("/console/signin", url.Values{"csrf": {"made-up"}, "account": {testutil.AccountID}, "kind": {"root"}, "password": {rootPassword(t, cp)}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", resp.StatusCode)
		}
	})
	t.Run("valid token", func(t *testing.T) {
		resp, body := b.post(attach, url.Values{"arn": {ecsForEC2}, "csrf": {token}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d, want 303\n%s", resp.StatusCode, body)
		}
		if got := attachedTo(t, cp, "ecsInstanceRole"); !slices.Equal(got, []string{ecsForEC2}) {
			t.Errorf("attached %v, want %s", got, ecsForEC2)
		}
	})
}

func TestConsole_SignOut_InvalidatesSession(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	b := newBrowser(t, cp.URL)
	token := b.signIn("", rootPassword(t, cp))
	u, _ := url.Parse(cp.URL + "/console/")
	var stolen *http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == console.SessionCookie {
			stolen = c
		}
	}
	resp, _ := b.post("/console/signout", url.Values{"csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/console/signin") {
		t.Fatalf("sign-out: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The copied cookie is worthless: the session is gone server-side.
	req, _ := http.NewRequest(http.MethodGet, cp.URL+"/console/iam/roles", nil)
	req.AddCookie(stolen)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin") {
		t.Errorf("old cookie after sign-out: %d to %q, want 303 to the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestConsole_SignedOut_Redirects(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	b := newBrowser(t, cp.URL)
	resp, _ := b.get("/console/iam/roles?search=ecs")
	if want := "/console/signin?next=" + url.QueryEscape("/console/iam/roles?search=ecs"); resp.Header.Get("Location") != want {
		t.Errorf("GET signed out: Location %q, want %q", resp.Header.Get("Location"), want)
	}
	resp, _ = b.get("/console/api/clusters/default")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("JSON endpoint signed out: %d, want 401", resp.StatusCode)
	}
}

func TestConsole_SecurityHeaders(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	b := newBrowser(t, cp.URL)
	resp, page := b.get("/console/signin")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", resp.Header)
	}
	if regexp.MustCompile(`\son[a-z]+=`).MatchString(page) || strings.Contains(page, "<script>") {
		t.Error("the page has inline script or event handlers")
	}
	for path, ctype := range map[string]string{"/console/static/console.css": "text/css", "/console/static/console.js": "text/javascript"} {
		resp, _ := b.get(path)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if resp, _ := b.get("/console/static/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("static directory listing: %d, want 404", resp.StatusCode)
	}
}

// TestConsole_DeniedAction: a user without iam:AttachRolePolicy sees the
// attach fail with IAM's AccessDenied message, and nothing changes.
func TestConsole_DeniedAction(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	newRole(t, cp, "ecsInstanceRole")
	newUser(t, cp, "reader", false, iamRead)
	b := newBrowser(t, cp.URL)
	token := b.signIn("reader", userPasswd)

	resp, page := b.get("/console/iam/roles/ecsInstanceRole/attach?filter=AmazonEC2ContainerService")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "AmazonEC2ContainerServiceforEC2Role") {
		t.Fatalf("attach page for a reader: %d\n%s", resp.StatusCode, page)
	}
	resp, page = b.post("/console/iam/roles/ecsInstanceRole/attach", url.Values{"csrf": {token}, "arn": {ecsForEC2}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("attach as reader: %d, want 403\n%s", resp.StatusCode, page)
	}
	for _, want := range []string{"AccessDenied", "arn:aws:iam::" + testutil.AccountID + ":user/reader is not authorized to perform: iam:AttachRolePolicy", `id="attach-submit"`} {
		if !strings.Contains(page, want) {
			t.Errorf("denied page lacks %q:\n%s", want, page)
		}
	}
	if got := attachedTo(t, cp, "ecsInstanceRole"); len(got) != 0 {
		t.Errorf("a denied attach changed the role: %v", got)
	}
	// A denied page load is the denied page, not a broken one.
	resp, page = b.post("/console/iam/roles/ecsInstanceRole/detach", url.Values{"csrf": {token}, "arn": {ecsForEC2}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "<h1>Access denied</h1>") || !strings.Contains(page, "iam:DetachRolePolicy") {
		t.Errorf("detach as reader: %d\n%s", resp.StatusCode, page)
	}
}

func TestConsole_TrustPolicy_Validation(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	newRole(t, cp, "ecsInstanceRole")
	b := newBrowser(t, cp.URL)
	token := b.signIn("", rootPassword(t, cp))
	bad := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`
	resp, page := b.post("/console/iam/roles/ecsInstanceRole/trust", url.Values{"csrf": {token}, "document": {bad}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "MalformedPolicyDocument") {
		t.Fatalf("malformed trust policy: %d\n%s", resp.StatusCode, page)
	}
	if !strings.Contains(page, "&#34;Action&#34;:&#34;sts:AssumeRole&#34;") {
		t.Error("the editor did not keep the text the user typed")
	}
	good := `{"Version":"2008-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if resp, page = b.post("/console/iam/roles/ecsInstanceRole/trust", url.Values{"csrf": {token}, "document": {good}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid trust policy: %d\n%s", resp.StatusCode, page)
	}
	if _, page = b.get("/console/iam/roles/ecsInstanceRole?tab=trust"); !strings.Contains(page, "2008-10-17") || !strings.Contains(page, "was updated") {
		t.Errorf("trust tab after update:\n%s", page)
	}
}

func TestConsole_PasswordResetRequired(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	newUser(t, cp, "newbie", true, iamRead)
	b := newBrowser(t, cp.URL)
	_, page := b.get("/console/signin")
	b.post("/console/signin", url.Values{"csrf": {csrf(t, page)}, "account": {testutil.AccountID}, "kind": {"user"}, "username": {"newbie"}, "password": {userPasswd}})
	resp, _ := b.get("/console/iam/roles")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/password" {
		t.Fatalf("before the new password: %d to %q, want the password page", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = b.get("/console/password")
	// ChangePassword is the user's own API call: IAMReadOnlyAccess does not
	// allow it, so IAM refuses it with AccessDenied, shown on the form.
	resp, page = b.post("/console/password", url.Values{"csrf": {csrf(t, page)}, "old": {userPasswd}, "new": {"Another-passw0rd!"}, "confirm": {"Another-passw0rd!"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "iam:ChangePassword") {
		t.Fatalf("change password without iam:ChangePassword: %d\n%s", resp.StatusCode, page)
	}
	// With the permission (as AWS's IAMUserChangePassword grants it) the
	// change goes through and the console opens up.
	allowChangePassword(t, cp, "newbie")
	resp, page = b.post("/console/password", url.Values{"csrf": {csrf(t, page)}, "old": {userPasswd}, "new": {"Another-passw0rd!"}, "confirm": {"Another-passw0rd!"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ = b.get("/console/iam/roles"); resp.StatusCode != http.StatusOK {
		t.Errorf("roles after the new password: %d, want 200", resp.StatusCode)
	}
	newBrowser(t, cp.URL).signIn("newbie", "Another-passw0rd!")
}

func TestConsole_RootPasswordFile(t *testing.T) {
	t.Setenv(console.RootPasswordEnv, "Chosen-root-passw0rd")
	cp := testutil.TestControlPlane(t)
	path := filepath.Join(cp.DataDir, console.RootPasswordFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", path, fi.Mode().Perm())
	}
	if got := rootPassword(t, cp); got != "Chosen-root-passw0rd" {
		t.Errorf("root password file holds %q, want the BERTH_ROOT_PASSWORD value", got)
	}
	newBrowser(t, cp.URL).signIn("", "Chosen-root-passw0rd")
}
