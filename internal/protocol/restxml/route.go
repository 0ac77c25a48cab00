// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package restxml

import (
	"cmp"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/shape"
)

// Routing precedence. Among the operations whose method, path template,
// literal query keys (with their value when the template gives one),
// required query parameters and required headers all match a request, the
// winner has
//
//  1. the most literal path segments (/WriteGetObjectResponse over /{Bucket}),
//  2. then the most required query keys and headers: template literals
//     ("?uploads") plus required querystring and header members, so
//     UploadPartCopy (partNumber, uploadId, x-amz-copy-source) beats
//     UploadPart, which beats CopyObject, which beats PutObject, and
//     GET /b?location is GetBucketLocation while GET /b is ListObjects,
//  3. then a non-greedy template over a greedy one,
//  4. then the S3 tie-breaks below; remaining ties go to the smaller name.
//
// S3 special cases, handled explicitly:
//
//   - ListObjectsV2 is GET /{Bucket}?list-type=2: the literal's value must
//     match, so GET /b?list-type=1 or GET /b stay ListObjects.
//   - GET / is ListBuckets; ListDirectoryBuckets (S3 Express, served on the
//     s3express-control endpoint) shares its binding and loses the tie.
//   - GetBucketLifecycle, PutBucketLifecycle, GetBucketNotification and
//     PutBucketNotification are deprecated twins of the *Configuration
//     operations with identical bindings and lose the tie to them.
//   - Virtual-hosted-style requests (Host "bucket.s3.<anything>",
//     "bucket.s3-<region>.<anything>" or "bucket.localhost") address the
//     bucket by host; the path is then the key. This applies only to
//     services whose templates start with /{Bucket}.
//
// Not handled: browser POST uploads (POST /{Bucket} with a multipart form,
// "PostObject"), which the model does not describe.
var tieLosers = map[string]bool{
	"ListDirectoryBuckets":  true,
	"GetBucketLifecycle":    true,
	"PutBucketLifecycle":    true,
	"GetBucketNotification": true,
	"PutBucketNotification": true,
}

// template is an operation's compiled RequestURI.
type template struct {
	op        *awsapi.Operation
	segs      []segment
	greedy    bool
	literals  int        // literal path segments
	query     []queryLit // literal query keys from the template
	reqQuery  []string   // required querystring members
	reqHeader []string   // required header members
	labels    map[string]int
	bound     map[string]bool // query keys bound to literals or members
}

type segment struct {
	text  string // literal text, or the label name
	label bool
}

type queryLit struct {
	key, value string
	hasValue   bool
}

func compile(op *awsapi.Operation) *template {
	path, query, _ := strings.Cut(op.RequestURI, "?")
	t := &template{op: op, labels: map[string]int{}, bound: map[string]bool{}}
	for s := range strings.SplitSeq(strings.Trim(path, "/"), "/") {
		switch {
		case s == "":
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			name := s[1 : len(s)-1]
			if strings.HasSuffix(name, "+") {
				name, t.greedy = strings.TrimSuffix(name, "+"), true
			}
			t.labels[name] = len(t.segs)
			t.segs = append(t.segs, segment{text: name, label: true})
		default:
			t.literals++
			t.segs = append(t.segs, segment{text: s})
		}
	}
	for kv := range strings.SplitSeq(query, "&") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		t.query = append(t.query, queryLit{key: k, value: v, hasValue: ok})
		t.bound[k] = true
	}
	if op.NewInput != nil {
		if in := reflect.TypeOf(op.NewInput()); in != nil {
			for _, m := range shape.Of(in).Members {
				if m.Location == shape.Query && m.Type.Kind != shape.Map {
					t.bound[m.Name] = true
				}
				switch {
				case !m.Required:
				case m.Location == shape.Query:
					t.reqQuery = append(t.reqQuery, m.Name)
				case m.Location == shape.Header:
					t.reqHeader = append(t.reqHeader, m.Name)
				}
			}
		}
	}
	return t
}

// fits reports whether the escaped path segments fit the template; it
// does not allocate.
func (t *template) fits(segs []string) bool {
	segs = t.trim(segs)
	n := len(t.segs)
	if t.greedy {
		// A greedy label takes the rest of the path and must not be empty.
		if len(segs) < n || len(segs) == n && segs[n-1] == "" {
			return false
		}
		n--
	} else if len(segs) != n {
		return false
	}
	for i, s := range t.segs[:n] {
		switch {
		case segs[i] == "":
			return false
		case s.label:
		case !strings.Contains(segs[i], "%"):
			if segs[i] != s.text {
				return false
			}
		default:
			if v, err := url.PathUnescape(segs[i]); err != nil || v != s.text {
				return false
			}
		}
	}
	return true
}

// match returns the URL-decoded label values of segments that fit the
// template, indexed like t.segs, or false if an escape is malformed.
func (t *template) match(segs []string) ([]string, bool) {
	if !t.fits(segs) {
		return nil, false
	}
	segs = t.trim(segs)
	vals := make([]string, len(t.segs))
	for i, s := range t.segs {
		raw := segs[i]
		if t.greedy && i == len(t.segs)-1 {
			raw = strings.Join(segs[i:], "/")
		}
		if !s.label {
			continue
		}
		v, err := url.PathUnescape(raw)
		if err != nil {
			return nil, false
		}
		vals[i] = v
	}
	return vals, true
}

// trim drops the one trailing slash a non-greedy template tolerates.
func (t *template) trim(segs []string) []string {
	if n := len(segs); !t.greedy && n == len(t.segs)+1 && segs[n-1] == "" {
		return segs[:n-1]
	}
	return segs
}

// accepts reports whether the query string and headers satisfy t.
func (t *template) accepts(q url.Values, h http.Header) bool {
	for _, l := range t.query {
		vs, ok := q[l.key]
		if !ok || l.hasValue && (len(vs) == 0 || vs[0] != l.value) {
			return false
		}
	}
	for _, k := range t.reqQuery {
		if _, ok := q[k]; !ok {
			return false
		}
	}
	for _, k := range t.reqHeader {
		if len(h.Values(k)) == 0 {
			return false
		}
	}
	return true
}

// better reports whether t takes precedence over u.
func (t *template) better(u *template) bool {
	if c := cmp.Compare(t.literals, u.literals); c != 0 {
		return c > 0
	}
	tq := len(t.query) + len(t.reqQuery) + len(t.reqHeader)
	uq := len(u.query) + len(u.reqQuery) + len(u.reqHeader)
	if tq != uq {
		return tq > uq
	}
	if t.greedy != u.greedy {
		return !t.greedy
	}
	if tl, ul := tieLosers[t.op.Name], tieLosers[u.op.Name]; tl != ul {
		return ul
	}
	return t.op.Name < u.op.Name
}

// route finds the operation for r and its matched label values.
func (c *Codec) route(r *http.Request) (*template, []string, *awserr.Error) {
	segs := c.segments(r)
	q := r.URL.Query()
	var best *template
	for _, t := range c.byMethod[r.Method] {
		if t.fits(segs) && t.accepts(q, r.Header) && (best == nil || t.better(best)) {
			best = t
		}
	}
	if best != nil {
		if vals, ok := best.match(segs); ok {
			return best, vals, nil
		}
		return nil, nil, awserr.New("InvalidURI", http.StatusBadRequest, "Couldn't parse the specified URI.")
	}
	for _, t := range c.templates {
		if t.fits(segs) {
			return nil, nil, awserr.New("MethodNotAllowed", http.StatusMethodNotAllowed,
				"The specified method is not allowed against this resource.")
		}
	}
	return nil, nil, awserr.New("InvalidURI", http.StatusBadRequest, "Couldn't parse the specified URI.")
}

// segments returns the escaped path segments of r, with the bucket of a
// virtual-hosted-style request prepended.
func (c *Codec) segments(r *http.Request) []string {
	p := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	var segs []string
	if p != "" {
		segs = strings.Split(p, "/")
	}
	if !c.bucketHosts {
		return segs
	}
	if b := hostBucket(r.Host); b != "" {
		segs = append([]string{url.PathEscape(b)}, segs...)
	}
	return segs
}

// hostBucket returns the bucket a virtual-hosted-style Host names, or "".
func hostBucket(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	if i := strings.Index(host, ".s3."); i > 0 {
		return host[:i]
	}
	if i := strings.Index(host, ".s3-"); i > 0 {
		return host[:i]
	}
	if b, ok := strings.CutSuffix(host, ".localhost"); ok && b != "s3" && b != "" {
		return b
	}
	return ""
}
