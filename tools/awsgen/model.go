// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
)

// model is the subset of an AWS api-2.json service model that the
// generator reads.
type model struct {
	Metadata   metadata             `json:"metadata"`
	Operations map[string]operation `json:"operations"`
	Shapes     map[string]*shape    `json:"shapes"`
}

type metadata struct {
	APIVersion     string `json:"apiVersion"`
	EndpointPrefix string `json:"endpointPrefix"`
	JSONVersion    string `json:"jsonVersion"`
	Protocol       string `json:"protocol"`
	ServiceID      string `json:"serviceId"`
	SigningName    string `json:"signingName"`
	TargetPrefix   string `json:"targetPrefix"`
	XMLNamespace   string `json:"xmlNamespace"`
}

type operation struct {
	Name string `json:"name"`
	HTTP struct {
		Method       string `json:"method"`
		RequestURI   string `json:"requestUri"`
		ResponseCode int    `json:"responseCode"`
	} `json:"http"`
	Input  *opRef `json:"input"`
	Output *opRef `json:"output"`
	Errors []struct {
		Shape string `json:"shape"`
	} `json:"errors"`
}

type opRef struct {
	Shape         string        `json:"shape"`
	ResultWrapper string        `json:"resultWrapper"`
	LocationName  string        `json:"locationName"`
	XMLNamespace  *xmlNamespace `json:"xmlNamespace"`
}

type xmlNamespace struct {
	Prefix string `json:"prefix"`
	URI    string `json:"uri"`
}

type shape struct {
	Type            string        `json:"type"`
	Members         members       `json:"members"`
	Member          *ref          `json:"member"`
	Key             *ref          `json:"key"`
	Value           *ref          `json:"value"`
	Required        []string      `json:"required"`
	Enum            []string      `json:"enum"`
	Exception       bool          `json:"exception"`
	Fault           bool          `json:"fault"`
	Error           *errorTrait   `json:"error"`
	Payload         string        `json:"payload"`
	Flattened       bool          `json:"flattened"`
	TimestampFormat string        `json:"timestampFormat"`
	LocationName    string        `json:"locationName"`
	XMLNamespace    *xmlNamespace `json:"xmlNamespace"`
	Streaming       bool          `json:"streaming"`
	Document        bool          `json:"document"`
	EventStream     bool          `json:"eventstream"`
	Event           bool          `json:"event"`
}

type errorTrait struct {
	Code           string `json:"code"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	SenderFault    bool   `json:"senderFault"`
}

type ref struct {
	Shape            string        `json:"shape"`
	Location         string        `json:"location"`
	LocationName     string        `json:"locationName"`
	QueryName        string        `json:"queryName"`
	Flattened        bool          `json:"flattened"`
	XMLNamespace     *xmlNamespace `json:"xmlNamespace"`
	XMLAttribute     bool          `json:"xmlAttribute"`
	Streaming        bool          `json:"streaming"`
	IdempotencyToken bool          `json:"idempotencyToken"`
	HostLabel        bool          `json:"hostLabel"`
	TimestampFormat  string        `json:"timestampFormat"`
	JSONValue        bool          `json:"jsonvalue"`
	EventPayload     bool          `json:"eventpayload"`
}

// members keeps a structure's members in model order, so generated
// structs and serialized XML follow the order AWS documents.
type members struct {
	names []string
	refs  map[string]*ref
}

func (m *members) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		return err
	}
	m.refs = map[string]*ref{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		name, ok := t.(string)
		if !ok {
			return fmt.Errorf("awsgen: member name is %T", t)
		}
		r := new(ref)
		if err := dec.Decode(r); err != nil {
			return fmt.Errorf("awsgen: member %s: %w", name, err)
		}
		m.names = append(m.names, name)
		m.refs[name] = r
	}
	return nil
}

func loadModel(path string) (*model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := new(model)
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("awsgen: %s: %w", path, err)
	}
	return m, nil
}

// patch is an overlay from models/patches/<service>.json: facts the
// official model lacks, such as the root element names S3 gives its XML
// responses, and the choice of what to generate for a very large model.
type patch struct {
	// ShapeLocationNames sets a structure's XML root element name.
	ShapeLocationNames map[string]string `json:"shapeLocationNames"`
	// Operations, when not empty, is the allow-list of operations
	// generated with typed inputs and outputs (plus the closure of their
	// shapes and enums). Every other operation of the model is still in
	// the operation table, with an empty input, and answers 501
	// NotImplemented, so it is recognised but costs one line.
	Operations []string `json:"operations"`
	// Errors adds error codes the model does not declare (EC2 models none)
	// as error shapes: wire code → HTTP status.
	Errors map[string]int `json:"errors"`
	// Members adds members the public model lacks to its structures:
	// shape name → member name → member reference, appended after the
	// model's members in name order. The ECS agent sends such agent-only
	// members (RegisterContainerInstance's clientToken,
	// DiscoverPollEndpoint's zoneId).
	Members map[string]map[string]*ref `json:"members"`
}

func loadPatch(path string) (*patch, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return &patch{}, nil
	}
	if err != nil {
		return nil, err
	}
	p := new(patch)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, fmt.Errorf("awsgen: %s: %w", path, err)
	}
	return p, nil
}

// apply adds the patch's error codes to m as error shapes and checks that
// the allow-list names operations of m.
func (p *patch) apply(m *model) error {
	for _, op := range p.Operations {
		if _, ok := m.Operations[op]; !ok {
			return fmt.Errorf("awsgen: patch lists operation %s, which the model lacks", op)
		}
	}
	for code, status := range p.Errors {
		if _, ok := m.Shapes[code]; ok {
			return fmt.Errorf("awsgen: patch error %s names an existing shape", code)
		}
		m.Shapes[code] = &shape{Type: "structure", Exception: true, Error: &errorTrait{Code: code, HTTPStatusCode: status, SenderFault: status < 500}}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Members)) {
		sh, ok := m.Shapes[name]
		if !ok || sh.Type != "structure" {
			return fmt.Errorf("awsgen: patch adds members to %s, which is not a structure of the model", name)
		}
		add := p.Members[name]
		for _, member := range slices.Sorted(maps.Keys(add)) {
			r := add[member]
			if _, ok := sh.Members.refs[member]; ok {
				return fmt.Errorf("awsgen: patch member %s.%s exists in the model", name, member)
			}
			if r == nil || m.Shapes[r.Shape] == nil {
				return fmt.Errorf("awsgen: patch member %s.%s names no shape of the model", name, member)
			}
			if sh.Members.refs == nil {
				sh.Members.refs = map[string]*ref{}
			}
			sh.Members.names = append(sh.Members.names, member)
			sh.Members.refs[member] = r
		}
	}
	return nil
}
