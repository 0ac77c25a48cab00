// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package shape

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// TimeFormat is one of the AWS timestamp wire formats.
type TimeFormat uint8

// The timestamp formats of the models' timestampFormat trait. TimeDefault
// means "the default of the place the value is bound to", see Or.
const (
	TimeDefault   TimeFormat = iota
	ISO8601                  // 2014-04-29T18:30:38Z
	UnixTimestamp            // 1398796238 or 1398796238.123
	RFC822                   // Tue, 29 Apr 2014 18:30:38 GMT
)

var timeFormats = map[string]TimeFormat{
	"iso8601": ISO8601, "unixTimestamp": UnixTimestamp, "rfc822": RFC822,
}

// Or returns f, or def when f is TimeDefault. The protocol defaults are
// UnixTimestamp in JSON bodies, RFC822 in headers and ISO8601 everywhere
// else (query strings, URI labels, XML, awsQuery).
func (f TimeFormat) Or(def TimeFormat) TimeFormat {
	if f == TimeDefault {
		return def
	}
	return f
}

const (
	isoLayout    = "2006-01-02T15:04:05.999Z"
	rfc822Layout = "Mon, 02 Jan 2006 15:04:05 GMT"
)

// AppendTime appends t in format f, in UTC with millisecond precision (the
// precision AWS services answer with). ISO 8601 omits a zero fraction:
// 2024-01-02T03:04:05Z, as IAM prints it.
func AppendTime(dst []byte, t time.Time, f TimeFormat) []byte {
	t = t.UTC().Truncate(time.Millisecond)
	switch f {
	case UnixTimestamp:
		ms := t.UnixMilli()
		if ms%1000 == 0 {
			return strconv.AppendInt(dst, ms/1000, 10)
		}
		return strconv.AppendFloat(dst, float64(ms)/1000, 'f', -1, 64)
	case RFC822:
		return t.AppendFormat(dst, rfc822Layout)
	default:
		return t.AppendFormat(dst, isoLayout)
	}
}

var errTime = errors.New("shape: malformed timestamp")

// ParseTime parses s in format f (TimeDefault is treated as ISO8601). The
// result is in UTC.
func ParseTime(s string, f TimeFormat) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch f {
	case UnixTimestamp:
		return ParseEpoch(s)
	case RFC822:
		for _, layout := range []string{rfc822Layout, "Mon, 2 Jan 2006 15:04:05 GMT",
			time.RFC1123, time.RFC1123Z, time.RFC850, time.ANSIC} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, errTime
	default:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, errTime
		}
		return t.UTC(), nil
	}
}

// ParseEpoch parses epoch seconds with an optional fraction or exponent
// ("1398796238", "1398796238.123", "1.398796238123E9").
func ParseEpoch(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errTime
	}
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return time.Time{}, errTime
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC(), nil
	}
	ip, fp, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(ip, 10, 64)
	if err != nil {
		return time.Time{}, errTime
	}
	var nsec int64
	if fp != "" {
		if len(fp) > 9 {
			fp = fp[:9]
		}
		n, err := strconv.ParseUint(fp, 10, 32)
		if err != nil {
			return time.Time{}, errTime
		}
		nsec = int64(n)
		for range 9 - len(fp) {
			nsec *= 10
		}
		if strings.HasPrefix(ip, "-") {
			nsec = -nsec
		}
	}
	return time.Unix(sec, nsec).UTC(), nil
}
