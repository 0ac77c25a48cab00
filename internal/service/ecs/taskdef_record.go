// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

// taskDefRec is a task definition revision, keyed tdID(family, revision).
// Def is the revision as DescribeTaskDefinition returns it; it is decoded
// once by each replica's cache and then shared read-only (agent payloads,
// Describe), so nobody may modify it.
type taskDefRec struct {
	Family   string
	Revision int
	Status   string
	Tags     []tagRec
	Def      *ecsapi.TaskDefinition
}

// taskDefJSON is taskDefRec's stored form. The definition is encoded
// without its null members: the generated shapes have no omitempty tags and
// a container definition has some fifty optional fields.
type taskDefJSON struct {
	Family   string          `json:"family"`
	Revision int             `json:"rev"`
	Status   string          `json:"status"`
	Tags     []tagRec        `json:"tags,omitempty"`
	Def      json.RawMessage `json:"def"`
}

// MarshalJSON implements json.Marshaler.
func (r *taskDefRec) MarshalJSON() ([]byte, error) {
	def, err := compactJSON(r.Def)
	if err != nil {
		return nil, err
	}
	return json.Marshal(taskDefJSON{Family: r.Family, Revision: r.Revision, Status: r.Status, Tags: r.Tags, Def: def})
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *taskDefRec) UnmarshalJSON(b []byte) error {
	var j taskDefJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	def := new(ecsapi.TaskDefinition)
	if len(j.Def) > 0 {
		if err := json.Unmarshal(j.Def, def); err != nil {
			return fmt.Errorf("ecs: decode task definition: %w", err)
		}
	}
	*r = taskDefRec{Family: j.Family, Revision: j.Revision, Status: j.Status, Tags: j.Tags, Def: def}
	return nil
}

// Clone returns a copy whose Def is a deep copy.
func (r *taskDefRec) Clone() *taskDefRec {
	b, err := r.MarshalJSON()
	if err != nil {
		c := *r
		return &c
	}
	c := new(taskDefRec)
	if err := c.UnmarshalJSON(b); err != nil {
		cp := *r
		return &cp
	}
	return c
}

// compactJSON encodes v as JSON without null object members.
func compactJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var tree any
	if err := d.Decode(&tree); err != nil {
		return nil, err
	}
	return json.Marshal(dropNulls(tree))
}

func dropNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
				continue
			}
			t[k] = dropNulls(e)
		}
	case []any:
		for i, e := range t {
			t[i] = dropNulls(e)
		}
	}
	return v
}
