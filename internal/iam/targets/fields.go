// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package targets

import (
	"reflect"
	"sort"
)

// str returns the string field name of the generated input struct in, or
// "" when it has none or it is unset. Inputs are generated structs with
// pointer fields (internal/awsapi/doc.go), so a field lookup by name is a
// faithful, generic way to read them.
func str(in any, name string) string {
	v := field(in, name)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.String {
		return ""
	}
	return v.Elem().String()
}

// strs returns a []string field, or nil.
func strs(in any, name string) []string {
	v := field(in, name)
	if !v.IsValid() || v.Kind() != reflect.Slice || v.Type().Elem().Kind() != reflect.String {
		return nil
	}
	return v.Interface().([]string)
}

// tags returns the Key/Value pairs of a Tags-like field ([]Tag with Key and
// Value string pointers, or a map[string]string), in key order.
func tags(in any, name string) [][2]string {
	v := field(in, name)
	if !v.IsValid() {
		return nil
	}
	var out [][2]string
	switch v.Kind() {
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			e := v.Index(i).Addr().Interface()
			k := firstNonEmpty(str(e, "Key"), str(e, "key"))
			val := firstNonEmpty(str(e, "Value"), str(e, "value"))
			if k != "" {
				out = append(out, [2]string{k, val})
			}
		}
	case reflect.Map:
		if v.Type().Key().Kind() == reflect.String && v.Type().Elem().Kind() == reflect.String {
			for _, k := range v.MapKeys() {
				out = append(out, [2]string{k.String(), v.MapIndex(k).String()})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func field(in any, name string) reflect.Value {
	v := reflect.ValueOf(in)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	return v.FieldByName(name)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// tagContext adds aws:RequestTag/KEY and aws:TagKeys for the tags a
// request carries.
func tagContext(ctx map[string][]string, pairs [][2]string, keys []string) map[string][]string {
	if len(pairs) == 0 && len(keys) == 0 {
		return ctx
	}
	if ctx == nil {
		ctx = map[string][]string{}
	}
	for _, p := range pairs {
		ctx["aws:RequestTag/"+p[0]] = []string{p[1]}
		keys = append(keys, p[0])
	}
	ctx["aws:TagKeys"] = keys
	return ctx
}
