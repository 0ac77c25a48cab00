// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package shape

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
)

// Alloc returns the value v points to, allocating it first when v is a nil
// pointer; a non-pointer v is returned as is. v must be settable.
func Alloc(v reflect.Value) reflect.Value {
	if v.Kind() != reflect.Pointer {
		return v
	}
	if v.IsNil() {
		v.Set(reflect.New(v.Type().Elem()))
	}
	return v.Elem()
}

// Present returns the value behind v and whether there is one: nil
// pointers, slices, maps and interfaces are absent members.
func Present(v reflect.Value) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v, false
		}
		return v.Elem(), true
	case reflect.Slice, reflect.Map, reflect.Interface:
		return v, !v.IsNil()
	}
	return v, true
}

// TimeOf returns the time.Time held by v without boxing when v is
// addressable.
func TimeOf(v reflect.Value) time.Time {
	if v.CanAddr() {
		return *(v.Addr().Interface().(*time.Time))
	}
	return v.Interface().(time.Time)
}

// AppendText appends the text form of the scalar v (of kind k, pointer
// already removed) as query strings, headers, URI labels and XML carry it:
// blobs in base64, timestamps in format tf.
func AppendText(dst []byte, v reflect.Value, k Kind, tf TimeFormat) []byte {
	switch k {
	case String:
		return append(dst, v.String()...)
	case Integer:
		return strconv.AppendInt(dst, v.Int(), 10)
	case Boolean:
		return strconv.AppendBool(dst, v.Bool())
	case Float:
		return AppendFloat(dst, v.Float(), v.Type().Bits())
	case Timestamp:
		return AppendTime(dst, TimeOf(v), tf.Or(ISO8601))
	case Blob:
		return base64.StdEncoding.AppendEncode(dst, v.Bytes())
	}
	return dst
}

// AppendFloat appends f the way AWS protocols print numbers: the shortest
// decimal that round-trips, exponent form only for very large or small
// magnitudes, and "NaN", "Infinity" or "-Infinity" for the special values.
func AppendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(dst, f, format, -1, bits)
}

// ErrText is wrapped by every error SetText returns.
var ErrText = errors.New("shape: malformed value")

// SetText parses s, the text form of a scalar of kind k, into the settable
// non-pointer v. Errors wrap ErrText and name the expected kind.
func SetText(v reflect.Value, k Kind, s string, tf TimeFormat) error {
	switch k {
	case String:
		v.SetString(s)
	case Integer:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v.OverflowInt(n) {
			return fmt.Errorf("%w: %q is not a valid integer", ErrText, s)
		}
		v.SetInt(n)
	case Boolean:
		switch s {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return fmt.Errorf("%w: %q is not a valid boolean", ErrText, s)
		}
	case Float:
		f, err := ParseFloat(s)
		if err != nil {
			return err
		}
		v.SetFloat(f)
	case Timestamp:
		t, err := ParseTime(s, tf.Or(ISO8601))
		if err != nil {
			return fmt.Errorf("%w: %q is not a valid timestamp", ErrText, s)
		}
		v.Set(reflect.ValueOf(t))
	case Blob:
		b, err := DecodeBase64(s)
		if err != nil {
			return err
		}
		v.SetBytes(b)
	default:
		return fmt.Errorf("%w: a %s is not a scalar", ErrText, k)
	}
	return nil
}

// ParseFloat parses a number, accepting AWS's "NaN" and "Infinity" forms.
func ParseFloat(s string) (float64, error) {
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%w: %q is not a valid number", ErrText, s)
	}
	return f, nil
}

// DecodeBase64 decodes standard base64, padded or not.
func DecodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("%w: invalid base64 data", ErrText)
		}
	}
	return b, nil
}
