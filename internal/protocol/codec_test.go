// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package protocol_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/protocol"
	"github.com/berthdev/berth/internal/protocol/awsjson"
	"github.com/berthdev/berth/internal/protocol/awsquery"
	"github.com/berthdev/berth/internal/protocol/protocoltest"
	"github.com/berthdev/berth/internal/protocol/restxml"
	"github.com/berthdev/berth/internal/protocol/shape"
)

func TestFor(t *testing.T) {
	tests := []struct {
		protocol awsapi.Protocol
		want     protocol.Codec
	}{
		{awsapi.ProtocolJSON, (*awsjson.Codec)(nil)},
		{awsapi.ProtocolQuery, (*awsquery.Codec)(nil)},
		{awsapi.ProtocolRestXML, (*restxml.Codec)(nil)},
	}
	for _, tc := range tests {
		got := protocol.For(&awsapi.Service{Protocol: tc.protocol})
		if reflect.TypeOf(got) != reflect.TypeOf(tc.want) {
			t.Errorf("For(%s) = %T, want %T", tc.protocol, got, tc.want)
		}
		if _, ok := got.(protocol.Resolver); !ok {
			t.Errorf("For(%s) is not a Resolver", tc.protocol)
		}
	}
	if got := protocol.For(&awsapi.Service{Protocol: awsapi.ProtocolRestJSON}); got != nil {
		t.Errorf("For(rest-json) = %T, want nil", got)
	}
}

// TestModels_EveryOperation builds every operation of the pinned models
// (the types tools/awsgen will emit, made at run time from api-2.json) and
// checks the codecs describe every member and encode every output.
func TestModels_EveryOperation(t *testing.T) {
	for _, name := range []string{"iam", "sts", "ecs", "ecr", "logs", "s3"} {
		t.Run(name, func(t *testing.T) {
			svc := protocoltest.LoadModel(t, name)
			codec := protocol.For(svc)
			for _, op := range svc.Operations {
				for _, v := range []any{op.NewInput(), op.NewOutput()} {
					if bad := invalidMember(reflect.TypeOf(v), map[reflect.Type]bool{}); bad != "" {
						t.Errorf("%s: member %s has no wire kind", op.Name, bad)
					}
				}
				rec := httptest.NewRecorder()
				if err := codec.EncodeOutput(rec, op, op.NewOutput(), "id"); err != nil {
					t.Errorf("%s: EncodeOutput: %v", op.Name, err)
					continue
				}
				checkWellFormed(t, op.Name, rec.Header().Get("Content-Type"), rec.Body.Bytes())
			}
		})
	}
}

func invalidMember(t reflect.Type, seen map[reflect.Type]bool) string {
	d := shape.Of(t)
	if d.Kind != shape.Structure || seen[d.Base] {
		return ""
	}
	seen[d.Base] = true
	for _, m := range d.Members {
		k := m.Type
		for k.Kind == shape.List || k.Kind == shape.Map {
			k = k.Elem
		}
		if k.Kind == shape.Invalid {
			return m.Field
		}
		if bad := invalidMember(k.Go, seen); bad != "" {
			return m.Field + "." + bad
		}
	}
	return ""
}

func checkWellFormed(t *testing.T, op, contentType string, body []byte) {
	t.Helper()
	switch {
	case len(body) == 0:
	case strings.Contains(contentType, "json"):
		if !json.Valid(body) {
			t.Errorf("%s: invalid JSON %s", op, body)
		}
	default:
		d := xml.NewDecoder(bytes.NewReader(body))
		for {
			_, err := d.Token()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Errorf("%s: invalid XML %v: %s", op, err, body)
				return
			}
		}
	}
}
