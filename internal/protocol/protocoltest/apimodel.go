// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package protocoltest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/berthdev/berth/internal/awsapi"
)

// apiModel is the part of an api-2.json file the codecs care about.
type apiModel struct {
	Metadata struct {
		Protocol       string `json:"protocol"`
		APIVersion     string `json:"apiVersion"`
		JSONVersion    string `json:"jsonVersion"`
		TargetPrefix   string `json:"targetPrefix"`
		XMLNamespace   string `json:"xmlNamespace"`
		ServiceID      string `json:"serviceId"`
		SigningName    string `json:"signingName"`
		EndpointPrefix string `json:"endpointPrefix"`
	} `json:"metadata"`
	Operations map[string]struct {
		Name string `json:"name"`
		HTTP struct {
			Method       string `json:"method"`
			RequestURI   string `json:"requestUri"`
			ResponseCode int    `json:"responseCode"`
		} `json:"http"`
		Input  *Ref `json:"input"`
		Output *Ref `json:"output"`
		Errors []struct {
			Shape string `json:"shape"`
		} `json:"errors"`
	} `json:"operations"`
	Shapes map[string]*Shape `json:"shapes"`
}

// LoadModel builds the awsapi.Service of models/apis/<name>/*/api-2.json
// with input and output types made by Builder: the descriptor the
// generator will emit, minus Invoke, for tests that need every operation
// of a real service (routing, whole-model smoke tests).
func LoadModel(t testing.TB, name string) *awsapi.Service {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(ModuleRoot(t), "models", "apis", name, "*", "api-2.json"))
	if err != nil || len(paths) != 1 {
		t.Fatalf("protocoltest: model %s: %v %v", name, paths, err)
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	var m apiModel
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	md := m.Metadata
	svc := &awsapi.Service{
		Name:           name,
		ServiceID:      md.ServiceID,
		Protocol:       awsapi.Protocol(md.Protocol),
		APIVersion:     md.APIVersion,
		TargetPrefix:   md.TargetPrefix,
		JSONVersion:    md.JSONVersion,
		XMLNamespace:   md.XMLNamespace,
		SigningName:    md.SigningName,
		EndpointPrefix: md.EndpointPrefix,
		Operations:     map[string]*awsapi.Operation{},
	}
	b := &Builder{Shapes: m.Shapes}
	for _, o := range m.Operations {
		var in, out reflect.Type = b.Struct("", nil), b.Struct("", nil)
		wrapper := ""
		if o.Input != nil {
			in = b.Struct(o.Input.Shape, o.Input)
		}
		if o.Output != nil {
			out = b.Struct(o.Output.Shape, o.Output)
			wrapper = o.Output.ResultWrapper
		}
		op := &awsapi.Operation{
			Name:          o.Name,
			HTTPMethod:    o.HTTP.Method,
			RequestURI:    o.HTTP.RequestURI,
			ResponseCode:  o.HTTP.ResponseCode,
			ResultWrapper: wrapper,
			NewInput:      func() any { return reflect.New(in).Interface() },
			NewOutput:     func() any { return reflect.New(out).Interface() },
		}
		for _, e := range o.Errors {
			op.Errors = append(op.Errors, e.Shape)
		}
		svc.Operations[o.Name] = op
	}
	return svc
}
