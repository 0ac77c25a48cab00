// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package shape_test

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/protocol/shape"
)

func TestAppendTime(t *testing.T) {
	ts := time.Date(2014, 4, 29, 18, 30, 38, 0, time.UTC)
	frac := ts.Add(123456789 * time.Nanosecond)
	tests := []struct {
		name string
		t    time.Time
		f    shape.TimeFormat
		want string
	}{
		{"iso", ts, shape.ISO8601, "2014-04-29T18:30:38Z"},
		{"iso default", ts, shape.TimeDefault, "2014-04-29T18:30:38Z"},
		{"iso millis", frac, shape.ISO8601, "2014-04-29T18:30:38.123Z"},
		{"iso other zone", ts.In(time.FixedZone("x", 3600)), shape.ISO8601, "2014-04-29T18:30:38Z"},
		{"unix", ts, shape.UnixTimestamp, "1398796238"},
		{"unix fraction", frac, shape.UnixTimestamp, "1398796238.123"},
		{"rfc822", ts, shape.RFC822, "Tue, 29 Apr 2014 18:30:38 GMT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(shape.AppendTime(nil, tc.t, tc.f)); got != tc.want {
				t.Errorf("AppendTime = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	ts := time.Date(2014, 4, 29, 18, 30, 38, 0, time.UTC)
	tests := []struct {
		in   string
		f    shape.TimeFormat
		want time.Time
		err  bool
	}{
		{"2014-04-29T18:30:38Z", shape.ISO8601, ts, false},
		{"2014-04-29T18:30:38.5Z", shape.ISO8601, ts.Add(500 * time.Millisecond), false},
		{"2014-04-29T20:30:38+02:00", shape.TimeDefault, ts, false},
		{"1398796238", shape.UnixTimestamp, ts, false},
		{"1398796238.25", shape.UnixTimestamp, ts.Add(250 * time.Millisecond), false},
		{"1.398796238E9", shape.UnixTimestamp, ts, false},
		{"Tue, 29 Apr 2014 18:30:38 GMT", shape.RFC822, ts, false},
		{"Tue, 9 Sep 2014 18:30:38 GMT", shape.RFC822, time.Date(2014, 9, 9, 18, 30, 38, 0, time.UTC), false},
		{"yesterday", shape.ISO8601, time.Time{}, true},
		{"12a", shape.UnixTimestamp, time.Time{}, true},
		{"", shape.UnixTimestamp, time.Time{}, true},
		{"2014-04-29", shape.RFC822, time.Time{}, true},
	}
	for _, tc := range tests {
		got, err := shape.ParseTime(tc.in, tc.f)
		if (err != nil) != tc.err || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q, %d) = %v, %v; want %v (err %t)", tc.in, tc.f, got, err, tc.want, tc.err)
		}
	}
}

func TestSetText(t *testing.T) {
	var (
		i32 int32
		f64 float64
		b   bool
		bs  []byte
		tm  time.Time
	)
	tests := []struct {
		name string
		dst  any
		kind shape.Kind
		in   string
		want any
		err  bool
	}{
		{"int", &i32, shape.Integer, "42", int32(42), false},
		{"int overflow", &i32, shape.Integer, "4294967296", nil, true},
		{"int junk", &i32, shape.Integer, "4x", nil, true},
		{"float", &f64, shape.Float, "1.5", 1.5, false},
		{"float inf", &f64, shape.Float, "-Infinity", math.Inf(-1), false},
		{"bool", &b, shape.Boolean, "true", true, false},
		{"bool junk", &b, shape.Boolean, "yes", nil, true},
		{"blob", &bs, shape.Blob, "aGk=", []byte("hi"), false},
		{"blob unpadded", &bs, shape.Blob, "aGk", []byte("hi"), false},
		{"blob junk", &bs, shape.Blob, "!!", nil, true},
		{"time", &tm, shape.Timestamp, "2014-04-29T18:30:38Z", time.Date(2014, 4, 29, 18, 30, 38, 0, time.UTC), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := reflect.ValueOf(tc.dst).Elem()
			err := shape.SetText(v, tc.kind, tc.in, shape.TimeDefault)
			if tc.err {
				if !errors.Is(err, shape.ErrText) {
					t.Fatalf("err = %v, want ErrText", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(v.Interface(), tc.want) {
				t.Errorf("got %v, %v; want %v", v.Interface(), err, tc.want)
			}
		})
	}
}

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{1.2, "1.2"}, {100, "100"}, {1e21, "1e+21"}, {1e-7, "1e-07"}, {0, "0"},
		{math.NaN(), "NaN"}, {math.Inf(1), "Infinity"},
	}
	for _, tc := range tests {
		if got := string(shape.AppendFloat(nil, tc.f, 64)); got != tc.want {
			t.Errorf("AppendFloat(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}
