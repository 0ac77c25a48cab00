// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// staticFS serves assets/static under /console/static/.
var staticFS = func() fs.FS {
	f, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err)
	}
	return f
}()

const flashCookie = "berth_console_flash"

// view is what every page template gets.
type view struct {
	Session *Session
	Title   string
	// Nav is the active navigation section: iam-roles, iam-policies,
	// iam-users, ecs-clusters, ecs-taskdefs, ecs-first-run.
	Nav   string
	CSRF  string
	Flash string
	Error *apiError
	// Form is the state of the page's form (to redisplay after an error).
	Form any
	// Data is the page's content.
	Data any
}

func (c *Console) newView(rq *request, title string) *view {
	return &view{Session: rq.sess, Title: title, CSRF: rq.sess.CSRF}
}

// pages are the parsed templates, one set per page: the layout plus the
// page's own "content".
type pages struct{ m map[string]*template.Template }

func parsePages() (*pages, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "assets/templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	files, err := fs.Glob(assets, "assets/templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{m: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(assets, f)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		p.m[name] = t
	}
	return p, nil
}

// render writes page name with v and status. A pending flash message is
// shown once.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	t := c.pages.m[name]
	if t == nil {
		c.log.Error("console: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if ck, err := r.Cookie(flashCookie); err == nil {
		if b, err := base64.RawURLEncoding.DecodeString(ck.Value); err == nil && v.Flash == "" {
			v.Flash = string(b)
		}
		clearCookie(w, r, flashCookie, Prefix)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.log.Error("console: rendering failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// redirect sends the browser to target after a successful POST, with a
// message the next page shows once.
func redirect(w http.ResponseWriter, r *http.Request, target, flash string) {
	if flash != "" {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(flash)),
			Path: Prefix, MaxAge: 60, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// fail renders a failed page or action: AWS's AccessDenied as the denied
// page with its message, other API errors with their code and message.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	e := asAPIError(err)
	status := statusOf(err)
	if e.Code == "InternalError" {
		c.log.Error("console: request failed", "path", r.URL.Path, "err", err)
	}
	if isAPI(r) {
		writeJSON(w, status, map[string]string{"code": e.Code, "message": e.Message})
		return
	}
	title := "Request failed"
	switch {
	case e.Denied():
		title = "Access denied"
	case e.Unavailable():
		title = "Not available on this server yet"
	}
	v := c.newView(rq, title)
	v.Error = e
	v.Form = backURL(r)
	c.render(w, r, status, "error", v)
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	v := &view{Title: "Page not found", Error: &apiError{Code: "NotFound", Message: "There is no console page at " + r.URL.Path + "."}}
	if s := c.session(r); s != nil {
		v.Session, v.CSRF = s, s.CSRF
	}
	c.render(w, r, http.StatusNotFound, "error", v)
}

// backURL is where the error page's back link goes: the console page the
// browser came from, or "" when that is not known.
func backURL(r *http.Request) string {
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || !strings.HasPrefix(ref.Path, Prefix) {
		return ""
	}
	return ref.RequestURI()
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, Prefix+"api/") }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// funcs are the template helpers.
var funcs = template.FuncMap{
	"str":     func(p *string) string { return deref(p) },
	"i32":     func(p *int32) int32 { return deref(p) },
	"bool":    func(p *bool) bool { return deref(p) },
	"iso":     isoTime,
	"utc":     utcTime,
	"last":    lastSegment,
	"path":    url.PathEscape,
	"query":   url.QueryEscape,
	"pretty":  prettyJSON,
	"unquote": unescapePolicy,
	"add":     func(a, b int) int { return a + b },
	"join":    strings.Join,
	"lower":   strings.ToLower,
	"taskdef": taskDefRef,
	"taskdefURL": func(arn string) string {
		fam, rev, _ := strings.Cut(taskDefRef(arn), ":")
		return Prefix + "ecs/task-definitions/" + url.PathEscape(fam) + "/" + url.PathEscape(rev)
	},
}

// taskDefRef is "family:revision" of a task definition ARN.
func taskDefRef(arn string) string {
	return arn[strings.LastIndexByte(arn, '/')+1:]
}

// isoTime is a time for <time datetime>: RFC 3339 in UTC, localized in the
// browser.
func isoTime(t any) string {
	switch v := t.(type) {
	case time.Time:
		if !v.IsZero() {
			return v.UTC().Format(time.RFC3339)
		}
	case *time.Time:
		if v != nil && !v.IsZero() {
			return v.UTC().Format(time.RFC3339)
		}
	}
	return ""
}

// utcTime is the text of a <time> element before the script localizes it.
func utcTime(t any) string {
	s := isoTime(t)
	if s == "" {
		return "—"
	}
	tt, _ := time.Parse(time.RFC3339, s)
	return tt.Format("2006-01-02 15:04:05 UTC")
}

// lastSegment is the name at the end of an ARN.
func lastSegment(s string) string {
	if i := strings.LastIndexAny(s, "/:"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// prettyJSON indents a JSON document; text that is not JSON is returned
// as is.
func prettyJSON(s string) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(s), "", "  "); err != nil {
		return s
	}
	return buf.String()
}

// unescapePolicy decodes a policy document as IAM returns it
// (URL-encoded).
func unescapePolicy(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
