// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/testutil"
)

// TestGateway_EveryModelledOperationAnswers sends every operation of every
// pinned model, with an empty input, signed by the root, through the whole
// stack. Each must answer within a deadline with a client error, a success,
// or 501 NotImplemented naming the operation — never a 500 or a hang.
func TestGateway_EveryModelledOperationAnswers(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	id, secret := cp.RootCredentials()
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	h := cp.Handler()
	for _, def := range []*awsapi.Service{iamapi.Definition, stsapi.Definition, ecsapi.Definition, ecrapi.Definition, logsapi.Definition, s3api.Definition} {
		names := make([]string, 0, len(def.Operations))
		for n := range def.Operations {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			op := def.Operations[name]
			t.Run(def.Name+"/"+name, func(t *testing.T) {
				req := emptyRequest(t, cp.URL, def, op)
				body := requestBody(def, op)
				sum := sha256.Sum256([]byte(body))
				if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), def.SigningName, testutil.Region, time.Now()); err != nil {
					t.Fatal(err)
				}
				if def.Protocol == awsapi.ProtocolRestXML {
					req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				req = req.WithContext(ctx)
				req.RemoteAddr = "127.0.0.1:40000"
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if ctx.Err() != nil {
					t.Fatalf("%s did not answer within the deadline", name)
				}
				if w.Code >= 500 && w.Code != http.StatusNotImplemented {
					t.Fatalf("%s answered %d: %s", name, w.Code, w.Body.String())
				}
				if w.Code == http.StatusNotImplemented {
					code, msg := errorOf(def, w)
					if code == "NotImplemented" && !strings.Contains(msg, name) && sameRoute(def, op, msg) {
						return // S3's ListDirectoryBuckets shares GET / with ListBuckets; AWS tells them apart by endpoint host
					}
					if code != "NotImplemented" || !strings.Contains(msg, name) {
						t.Fatalf("%s: 501 with code %q message %q, want NotImplemented naming the operation", name, code, msg)
					}
				}
			})
		}
	}
}

// sameRoute reports whether msg names another operation of def with op's
// method and URI, which no router can tell apart.
func sameRoute(def *awsapi.Service, op *awsapi.Operation, msg string) bool {
	for _, other := range def.Operations {
		if other != op && other.HTTPMethod == op.HTTPMethod && other.RequestURI == op.RequestURI && strings.Contains(msg, "."+other.Name+" ") {
			return true
		}
	}
	return false
}

func requestBody(def *awsapi.Service, op *awsapi.Operation) string {
	switch def.Protocol {
	case awsapi.ProtocolJSON:
		return "{}"
	case awsapi.ProtocolQuery, awsapi.ProtocolEC2:
		return url.Values{"Action": {op.Name}, "Version": {def.APIVersion}}.Encode()
	}
	return ""
}

var uriLabel = regexp.MustCompile(`\{([^}+]+)\+?\}`)

// emptyRequest builds op's request with an empty input: for REST, the URI
// template with every label filled in and every query key given a value.
func emptyRequest(t *testing.T, base string, def *awsapi.Service, op *awsapi.Operation) *http.Request {
	t.Helper()
	body := requestBody(def, op)
	switch def.Protocol {
	case awsapi.ProtocolJSON:
		r, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-amz-json-"+def.JSONVersion)
		r.Header.Set("X-Amz-Target", def.TargetPrefix+"."+op.Name)
		return r
	case awsapi.ProtocolQuery, awsapi.ProtocolEC2:
		r, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return r
	}
	path, query, _ := strings.Cut(op.RequestURI, "?")
	path = uriLabel.ReplaceAllStringFunc(path, func(l string) string {
		if strings.Contains(l, "Bucket") {
			return "berth-every-op"
		}
		return "k"
	})
	q := url.Values{}
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			v = ""
			if k == "partNumber" || k == "uploadId" || k == "versionId" || k == "id" {
				v = "1"
			}
		}
		q.Set(k, v)
	}
	// Required query and header members tell REST operations apart
	// (GetBucketAnalyticsConfiguration needs id=, UploadPartCopy needs
	// x-amz-copy-source): give each a value.
	hdr := http.Header{}
	in := reflect.TypeOf(op.NewInput()).Elem()
	for i := 0; i < in.NumField(); i++ {
		tag := in.Field(i).Tag
		if tag.Get("required") != "true" {
			continue
		}
		switch tag.Get("location") {
		case "querystring":
			q.Set(tag.Get("locationName"), "1")
		case "header":
			hdr.Set(tag.Get("locationName"), "berth-every-op/k")
		}
	}
	u := base + path
	if enc := q.Encode(); enc != "" {
		u += "?" + enc
	}
	r, err := http.NewRequest(op.HTTPMethod, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		r.Header[k] = v
	}
	return r
}

// errorOf extracts the error code and message from a response body of
// def's protocol.
func errorOf(def *awsapi.Service, w *httptest.ResponseRecorder) (code, msg string) {
	switch def.Protocol {
	case awsapi.ProtocolJSON:
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &e)
		return e.Type, e.Message
	case awsapi.ProtocolQuery:
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = xml.Unmarshal(w.Body.Bytes(), &e)
		return e.Error.Code, e.Error.Message
	case awsapi.ProtocolEC2:
		var e struct {
			Errors struct {
				Error struct{ Code, Message string }
			}
		}
		_ = xml.Unmarshal(w.Body.Bytes(), &e)
		return e.Errors.Error.Code, e.Errors.Error.Message
	}
	var e struct{ Code, Message string }
	_ = xml.Unmarshal(w.Body.Bytes(), &e)
	return e.Code, e.Message
}
