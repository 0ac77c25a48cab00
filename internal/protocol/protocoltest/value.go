// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package protocoltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"time"
)

// Value converts raw, a vector's params or result decoded by encoding/json
// with UseNumber, into a value of t: numbers become the field's integer,
// float or epoch-seconds timestamp, strings become blobs or readers where
// the type asks for them, objects become structs (by member name) or maps.
// A nil raw is the zero value.
func Value(t reflect.Type, raw any) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	if raw == nil {
		return v, nil
	}
	if err := set(v, raw); err != nil {
		return v, err
	}
	return v, nil
}

func set(v reflect.Value, raw any) error {
	if raw == nil {
		return nil
	}
	t := v.Type()
	switch {
	case t == reflect.TypeFor[io.Reader]():
		v.Set(reflect.ValueOf(bytes.NewReader([]byte(raw.(string)))))
		return nil
	case t == reflect.TypeFor[time.Time]():
		n, err := strconv.ParseFloat(string(raw.(json.Number)), 64)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(time.UnixMilli(int64(n * 1000)).UTC()))
		return nil
	case t == reflect.TypeFor[[]byte]():
		v.SetBytes([]byte(raw.(string)))
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := set(p.Elem(), raw); err != nil {
			return err
		}
		v.Set(p)
	case reflect.Struct:
		obj, ok := raw.(map[string]any)
		if !ok {
			return fmt.Errorf("protocoltest: %v is not an object", raw)
		}
		for k, fv := range obj {
			f := v.FieldByName(GoName(k))
			if !f.IsValid() {
				return fmt.Errorf("protocoltest: no member %q in %s", k, t)
			}
			if err := set(f, fv); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	case reflect.Slice:
		arr := raw.([]any)
		s := reflect.MakeSlice(t, len(arr), len(arr))
		for i, item := range arr {
			if err := set(s.Index(i), item); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Map:
		obj := raw.(map[string]any)
		m := reflect.MakeMap(t)
		for k, item := range obj {
			ev := reflect.New(t.Elem()).Elem()
			if err := set(ev, item); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k), ev)
		}
		v.Set(m)
	case reflect.String:
		v.SetString(raw.(string))
	case reflect.Bool:
		v.SetBool(raw.(bool))
	case reflect.Int32, reflect.Int64:
		n, err := raw.(json.Number).Int64()
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := raw.(json.Number).Float64()
		if err != nil {
			return err
		}
		v.SetFloat(f)
	case reflect.Interface:
		v.Set(reflect.ValueOf(raw))
	default:
		return fmt.Errorf("protocoltest: cannot convert to %s", t)
	}
	return nil
}
