// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import "time"

// dateTime is an instant as seconds and nanoseconds since the Unix epoch. It
// avoids time.Time so parsing values with a zone offset allocates nothing.
type dateTime struct {
	sec  int64
	nsec int32
}

func compareDates(c cmpOp, a, b dateTime) bool {
	d := 0
	switch {
	case a.sec < b.sec || a.sec == b.sec && a.nsec < b.nsec:
		d = -1
	case a.sec > b.sec || a.nsec > b.nsec:
		d = 1
	}
	switch c {
	case cmpLt:
		return d < 0
	case cmpLe:
		return d <= 0
	case cmpGt:
		return d > 0
	case cmpGe:
		return d >= 0
	}
	return d == 0
}

// parseDate parses the date forms the Date operators accept: epoch seconds
// (aws:EpochTime) or one of the W3C profiles of ISO 8601: YYYY, YYYY-MM,
// YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.s...]](Z|±hh:mm), the zone defaulting to
// UTC. Lower-case t and z are accepted as IAM accepts them.
func parseDate(s string) (dateTime, bool) {
	if s == "" {
		return dateTime{}, false
	}
	digitsOnly := true
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			digitsOnly = false
			break
		}
	}
	if digitsOnly {
		n, ok := parseEpoch(s)
		return dateTime{sec: n}, ok
	}
	p := 0
	num := func(width int) (int, bool) {
		if len(s)-p < width {
			return 0, false
		}
		n := 0
		for i := 0; i < width; i++ {
			c := s[p+i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		p += width
		return n, true
	}
	sep := func(c byte) bool {
		if p < len(s) && (s[p] == c || c == 'T' && s[p] == 't') {
			p++
			return true
		}
		return false
	}
	year, ok := num(4)
	if !ok {
		return dateTime{}, false
	}
	month, day := 1, 1
	hour, minute, second, nsec := 0, 0, 0, 0
	offset := 0
	if sep('-') {
		if month, ok = num(2); !ok || month < 1 || month > 12 {
			return dateTime{}, false
		}
		if sep('-') {
			if day, ok = num(2); !ok || day < 1 || day > 31 {
				return dateTime{}, false
			}
			if sep('T') {
				if hour, ok = num(2); !ok || hour > 23 || !sep(':') {
					return dateTime{}, false
				}
				if minute, ok = num(2); !ok || minute > 59 {
					return dateTime{}, false
				}
				if sep(':') {
					if second, ok = num(2); !ok || second > 60 {
						return dateTime{}, false
					}
					if sep('.') {
						start, scale := p, 100000000
						for p < len(s) && s[p] >= '0' && s[p] <= '9' {
							nsec += int(s[p]-'0') * scale
							scale /= 10
							p++
						}
						if p == start {
							return dateTime{}, false
						}
					}
				}
				switch {
				case p < len(s) && (s[p] == 'Z' || s[p] == 'z'):
					p++
				case p < len(s) && (s[p] == '+' || s[p] == '-'):
					sign := 1
					if s[p] == '-' {
						sign = -1
					}
					p++
					oh, ok1 := num(2)
					if !ok1 || oh > 23 {
						return dateTime{}, false
					}
					om := 0
					if sep(':') {
						if om, ok = num(2); !ok || om > 59 {
							return dateTime{}, false
						}
					}
					offset = sign * (oh*3600 + om*60)
				}
			}
		}
	}
	if p != len(s) {
		return dateTime{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nsec, time.UTC)
	return dateTime{sec: t.Unix() - int64(offset), nsec: int32(t.Nanosecond())}, true
}
