// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package actionmap

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed data/actions/*.json data/resourceTypes/*.json data/conditionKeys/*.json
var data embed.FS

// Action is one IAM action.
type Action struct {
	// Name is the action's name as AWS spells it, e.g. "RegisterContainerInstance".
	Name          string         `json:"name"`
	AccessLevel   string         `json:"accessLevel"`
	ResourceTypes []ResourceType `json:"resourceTypes"`
	// ConditionKeys are the action's own condition keys (beyond the
	// resource types' keys).
	ConditionKeys    []string `json:"conditionKeys"`
	DependentActions []string `json:"dependentActions"`
}

// ResourceType is a resource type an action applies to.
type ResourceType struct {
	Name          string   `json:"name"`
	Required      bool     `json:"required"`
	ConditionKeys []string `json:"conditionKeys"`
}

// Resource is a resource type's definition.
type Resource struct {
	Key string `json:"key"`
	// ARN is the template, e.g. "arn:${Partition}:ecs:${Region}:${Account}:cluster/${ClusterName}".
	ARN           string   `json:"arn"`
	ConditionKeys []string `json:"conditionKeys"`
}

// ConditionKey is a condition key's definition.
type ConditionKey struct {
	Key  string `json:"key"`
	Type string `json:"type"`
}

type service struct {
	actions   map[string]*Action       // lower-case action name
	resources map[string]*Resource     // resource type key
	keys      map[string]*ConditionKey // lower-case key
}

var (
	loadOnce sync.Once
	services map[string]*service
	loadErr  error
)

func load() {
	services = map[string]*service{}
	entries, err := data.ReadDir("data/actions")
	if err != nil {
		loadErr = err
		return
	}
	for _, e := range entries {
		prefix := strings.TrimSuffix(e.Name(), ".json")
		s := &service{}
		for _, part := range []struct {
			dir string
			dst any
		}{{"actions", &s.actions}, {"resourceTypes", &s.resources}, {"conditionKeys", &s.keys}} {
			b, err := data.ReadFile(path.Join("data", part.dir, e.Name()))
			if err != nil {
				loadErr = err
				return
			}
			if err := json.Unmarshal(b, part.dst); err != nil {
				loadErr = fmt.Errorf("actionmap: %s/%s: %w", part.dir, e.Name(), err)
				return
			}
		}
		services[prefix] = s
	}
}

func get(prefix string) *service {
	loadOnce.Do(load)
	if loadErr != nil {
		panic(loadErr) // embedded data is fixed at build time; tests catch this
	}
	return services[strings.ToLower(prefix)]
}

// Lookup returns the action prefix:name (case-insensitive).
func Lookup(prefix, name string) (*Action, bool) {
	s := get(prefix)
	if s == nil {
		return nil, false
	}
	a, ok := s.actions[strings.ToLower(name)]
	return a, ok
}

// ResourceARN returns the ARN template of a resource type of service prefix.
func ResourceARN(prefix, resourceType string) (string, bool) {
	s := get(prefix)
	if s == nil {
		return "", false
	}
	r, ok := s.resources[resourceType]
	if !ok {
		return "", false
	}
	return r.ARN, true
}

// KeyType returns the type of a service condition key ("String", "ARN",
// "Bool", "Numeric", "Date", "ArrayOfString"...).
func KeyType(key string) (string, bool) {
	prefix, _, ok := strings.Cut(key, ":")
	if !ok {
		return "", false
	}
	s := get(prefix)
	if s == nil {
		return "", false
	}
	k, ok := s.keys[strings.ToLower(key)]
	if !ok {
		return "", false
	}
	return k.Type, true
}

// ForOperation returns the IAM action ("prefix:Name") that authorizes
// operation op of the service with IAM prefix, and whether one is known.
// Most operations are authorized by the action of the same name; the
// exceptions (mostly S3) are listed in operationActions.
func ForOperation(prefix, op string) (string, bool) {
	if a, ok := operationActions[prefix+":"+op]; ok {
		return a, true
	}
	a, ok := Lookup(prefix, op)
	if !ok {
		return "", false
	}
	return prefix + ":" + a.Name, true
}

// Fill expands an ARN template's ${Var} placeholders from vars; it reports
// false when a placeholder has no value.
func Fill(template string, vars map[string]string) (string, bool) {
	var b strings.Builder
	for {
		i := strings.Index(template, "${")
		if i < 0 {
			b.WriteString(template)
			return b.String(), true
		}
		j := strings.IndexByte(template[i:], '}')
		if j < 0 {
			return "", false
		}
		v, ok := vars[template[i+2:i+j]]
		if !ok {
			return "", false
		}
		b.WriteString(template[:i])
		b.WriteString(v)
		template = template[i+j+1:]
	}
}

// Actions returns the names of every action of service prefix, sorted.
func Actions(prefix string) []string {
	s := get(prefix)
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.actions))
	for _, a := range s.actions {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	return out
}
