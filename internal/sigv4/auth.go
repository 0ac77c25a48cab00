// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// auth is what a request claims about its signature, parsed from the
// Authorization header or the presigned query. Its strings are substrings
// of request data.
type auth struct {
	presigned             bool
	accessKeyID           string
	date, region, service string
	scope                 string // date/region/service/aws4_request
	signedHeaders         string
	signature             string
	amzDate               string
	t                     time.Time
	expires               time.Duration // presigned X-Amz-Expires; 0 when absent
	token                 string
	contentSHA256         string
}

// Scope is the credential scope a request claims. It is parsed without
// verifying anything, for routing before verification.
type Scope struct {
	AccessKeyID string
	Date        string // YYYYMMDD
	Region      string
	Service     string
}

// ParseScope returns the credential scope of r from its Authorization
// header or its X-Amz-Credential query parameter. It only needs the
// credential to be well formed: the rest of a malformed header is Verify's
// business. The error is a *Error of KindMissingAuthentication when r
// carries no SigV4 authentication at all, KindIncompleteSignature
// otherwise.
func ParseScope(r *http.Request) (Scope, error) {
	var a auth
	var cred string
	authz := first(r.Header["Authorization"])
	switch {
	case authz != "":
		_, params, _ := strings.Cut(authz, " ")
		if i := strings.Index(params, "Credential="); i >= 0 {
			cred = params[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	case hasPresignParams(r.URL.RawQuery):
		a.presigned = true
		cred, _ = queryParam(r.URL.RawQuery, "X-Amz-Credential")
	default:
		return Scope{}, newError(KindMissingAuthentication, msgMissingAuthQuery)
	}
	if cred == "" {
		e := newError(KindIncompleteSignature, "Authorization header requires 'Credential' parameter.")
		e.Presigned = a.presigned
		return Scope{}, e
	}
	if msg := parseCredential(cred, &a); msg != "" {
		e := newError(KindIncompleteSignature, msg)
		e.Presigned = a.presigned
		return Scope{}, e
	}
	return Scope{AccessKeyID: a.accessKeyID, Date: a.date, Region: a.region, Service: a.service}, nil
}

// parseRequest fills a from r. It checks form only, not time or signature.
func parseRequest(r *http.Request, a *auth) *Error {
	authz := first(r.Header["Authorization"])
	presigned := hasPresignParams(r.URL.RawQuery)
	var e *Error
	switch {
	case authz != "" && presigned:
		e = newError(KindIncompleteSignature, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "+
			"Signature query string parameter or the Authorization header should be specified")
	case authz != "":
		e = parseHeaderAuth(r, authz, a)
	case presigned:
		a.presigned = true
		e = parsePresigned(r, a)
	default:
		return newError(KindMissingAuthentication, msgMissingAuthQuery)
	}
	if e != nil {
		e.Presigned = a.presigned
		e.AccessKeyID = a.accessKeyID
	}
	return e
}

func parseHeaderAuth(r *http.Request, authz string, a *auth) *Error {
	alg, params, _ := strings.Cut(authz, " ")
	if alg != algorithmHMAC {
		return newError(KindIncompleteSignature, "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
	}
	var cred string
	var haveCred, haveSigned, haveSig bool
	for params != "" {
		var part string
		part, params, _ = strings.Cut(params, ",")
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return newError(KindIncompleteSignature, "Authorization header requires each component to be of the form key=value: '"+part+"'")
		}
		switch k {
		case "Credential":
			cred, haveCred = v, true
		case "SignedHeaders":
			a.signedHeaders, haveSigned = v, true
		case "Signature":
			a.signature, haveSig = v, true
		}
	}
	var missing []string
	for _, m := range [...]struct {
		ok   bool
		name string
	}{{haveCred, "Credential"}, {haveSig, "Signature"}, {haveSigned, "SignedHeaders"}} {
		if !m.ok {
			missing = append(missing, "Authorization header requires '"+m.name+"' parameter.")
		}
	}
	if missing != nil {
		return newError(KindIncompleteSignature, strings.Join(missing, " "))
	}
	if msg := parseCredential(cred, a); msg != "" {
		return newError(KindIncompleteSignature, msg)
	}
	if e := checkSignedHeaders(a.signedHeaders); e != nil {
		return e
	}
	a.amzDate = first(r.Header[hdrAmzDate])
	if a.amzDate == "" {
		d := first(r.Header["Date"])
		if d == "" {
			return newError(KindIncompleteSignature, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
		}
		t, err := http.ParseTime(d)
		if err != nil {
			return newError(KindIncompleteSignature, "Date must be in RFC 1123 format. Got '"+d+"'.")
		}
		a.amzDate = t.UTC().Format(amzDateLayout)
	}
	a.token = first(r.Header[hdrSecurityToken])
	a.contentSHA256 = first(r.Header[hdrContentSHA256])
	return parseDate(a)
}

func parsePresigned(r *http.Request, a *auth) *Error {
	var alg, cred, expires string
	var haveExpires bool
	for raw := r.URL.RawQuery; raw != ""; {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		if !strings.HasPrefix(k, "X-Amz-") {
			continue
		}
		dst := presignField(a, k, &alg, &cred, &expires)
		if dst == nil || *dst != "" {
			continue // not ours, or a repeated parameter: the first one counts
		}
		if k == "X-Amz-Expires" {
			haveExpires = true
		}
		if strings.ContainsAny(v, "%+") {
			d, err := url.QueryUnescape(v)
			if err != nil {
				return newError(KindIncompleteSignature, "Error parsing the "+k+" parameter.")
			}
			v = d
		}
		*dst = v
	}
	if alg == "" || cred == "" || a.amzDate == "" || a.signedHeaders == "" || a.signature == "" {
		return newError(KindIncompleteSignature, "Query-string authentication version 4 requires the X-Amz-Algorithm, "+
			"X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	}
	if alg != algorithmHMAC {
		return newError(KindIncompleteSignature, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	if msg := parseCredential(cred, a); msg != "" {
		return newError(KindIncompleteSignature, "Error parsing the X-Amz-Credential parameter; "+msg)
	}
	switch n, err := strconv.Atoi(expires); {
	case !haveExpires && a.service == "s3":
		return newError(KindIncompleteSignature, "Query-string authentication version 4 requires the X-Amz-Algorithm, "+
			"X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	case !haveExpires:
	case err != nil:
		return newError(KindIncompleteSignature, "X-Amz-Expires should be a number")
	case n < 0:
		return newError(KindIncompleteSignature, "X-Amz-Expires must be non-negative")
	case n > maxPresignExpires:
		return newError(KindIncompleteSignature, "X-Amz-Expires must be less than a week (in seconds) that is; 604800")
	default:
		a.expires = time.Duration(n) * time.Second
	}
	if e := checkSignedHeaders(a.signedHeaders); e != nil {
		return e
	}
	return parseDate(a)
}

// presignField returns where the presigned query parameter k is stored.
func presignField(a *auth, k string, alg, cred, expires *string) *string {
	switch k {
	case "X-Amz-Algorithm":
		return alg
	case "X-Amz-Credential":
		return cred
	case "X-Amz-Date":
		return &a.amzDate
	case "X-Amz-Expires":
		return expires
	case "X-Amz-SignedHeaders":
		return &a.signedHeaders
	case "X-Amz-Signature":
		return &a.signature
	case "X-Amz-Security-Token":
		return &a.token
	case "X-Amz-Content-Sha256":
		return &a.contentSHA256
	}
	return nil
}

// parseCredential splits AKID/DATE/REGION/SERVICE/aws4_request into a and
// returns "" or what is wrong with it.
func parseCredential(cred string, a *auth) string {
	akid, scope, ok1 := strings.Cut(cred, "/")
	date, rest, ok2 := strings.Cut(scope, "/")
	region, rest, ok3 := strings.Cut(rest, "/")
	service, term, ok4 := strings.Cut(rest, "/")
	switch {
	case !ok1 || !ok2 || !ok3 || !ok4 || strings.Contains(term, "/"):
		return "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
	case akid == "":
		return "a non-empty Access Key (AKID) must be provided in the credential."
	case term != scopeTerminator:
		return "Credential should be scoped with a valid terminator: 'aws4_request', not '" + term + "'."
	case len(date) != 8 || strings.Trim(date, "0123456789") != "":
		return "Invalid credential date \"" + date + "\". This date is not in YYYYMMDD format."
	case region == "":
		return "Credential should be scoped to a valid region."
	case service == "":
		return "Credential should be scoped to a valid service."
	}
	a.accessKeyID, a.date, a.region, a.service, a.scope = akid, date, region, service, scope
	return ""
}

// checkSignedHeaders requires a non-empty list that includes host.
func checkSignedHeaders(list string) *Error {
	for rest := list; rest != ""; {
		var name string
		name, rest, _ = strings.Cut(rest, ";")
		if strings.EqualFold(name, "host") {
			return nil
		}
	}
	return newError(KindIncompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
}

// parseDate parses a.amzDate and checks it against the scope date.
func parseDate(a *auth) *Error {
	t, ok := parseAmzDate(a.amzDate)
	if !ok {
		return newError(KindIncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '"+a.amzDate+
			"'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	if a.amzDate[:8] != a.date {
		return newError(KindIncompleteSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+
			a.date+"' != '"+a.amzDate[:8]+"', from '"+a.amzDate+"'.")
	}
	a.t = t
	return nil
}

// hasPresignParams reports whether the raw query carries any of the SigV4
// presigning parameters.
func hasPresignParams(raw string) bool {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(pair, "=")
		switch k {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature":
			return true
		}
	}
	return false
}

// queryParam returns the decoded value of the first parameter named k.
func queryParam(raw, k string) (string, bool) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		key, v, _ := strings.Cut(pair, "=")
		if key == k {
			d, err := url.QueryUnescape(v)
			return d, err == nil
		}
	}
	return "", false
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// parseAmzDate strictly parses the ISO 8601 basic format YYYYMMDDTHHMMSSZ.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != len(amzDateLayout) || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	var f [6]int
	for i, r := range [6][2]int{{0, 4}, {4, 6}, {6, 8}, {9, 11}, {11, 13}, {13, 15}} {
		for j := r[0]; j < r[1]; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			f[i] = f[i]*10 + int(c-'0')
		}
	}
	t := time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], 0, time.UTC)
	if f[1] < 1 || f[1] > 12 || t.Day() != f[2] || f[3] > 23 || f[4] > 59 || f[5] > 59 {
		return time.Time{}, false
	}
	return t, true
}
