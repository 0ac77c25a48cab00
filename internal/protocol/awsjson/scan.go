// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsjson

import (
	"bytes"
	"encoding/json"
)

// peek skips white space and returns the next byte, or 0 at the end.
func (d *decoder) peek() byte {
	for d.pos < len(d.data) {
		switch c := d.data[d.pos]; c {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return c
		}
	}
	return 0
}

func (d *decoder) literal(lit string) error {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(lit)) {
		return d.syntax("invalid literal")
	}
	d.pos += len(lit)
	return nil
}

// rawString consumes the string at the cursor and returns its contents,
// unescaped. Without escapes the result aliases the input.
func (d *decoder) rawString() ([]byte, error) {
	start := d.pos
	d.pos++ // opening quote
	escaped := false
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			if !escaped {
				return d.data[start+1 : d.pos-1], nil
			}
			var s string
			if err := json.Unmarshal(d.data[start:d.pos], &s); err != nil {
				return nil, d.syntax("invalid string escape")
			}
			return []byte(s), nil
		case c == '\\':
			escaped = true
			d.pos += 2
		case c < 0x20:
			return nil, d.syntax("control character in string")
		default:
			d.pos++
		}
	}
	return nil, d.syntax("unterminated string")
}

func (d *decoder) str() (string, error) {
	b, err := d.rawString()
	return string(b), err
}

// number consumes a JSON number and returns its text.
func (d *decoder) number() (string, error) {
	start := d.pos
	p := d.pos
	if p < len(d.data) && d.data[p] == '-' {
		p++
	}
	switch {
	case p < len(d.data) && d.data[p] == '0':
		p++
	case p < len(d.data) && d.data[p] >= '1' && d.data[p] <= '9':
		p = digits(d.data, p)
	default:
		return "", d.mismatch("number")
	}
	if p < len(d.data) && d.data[p] == '.' {
		q := digits(d.data, p+1)
		if q == p+1 {
			return "", d.syntax("invalid number")
		}
		p = q
	}
	if p < len(d.data) && (d.data[p] == 'e' || d.data[p] == 'E') {
		p++
		if p < len(d.data) && (d.data[p] == '+' || d.data[p] == '-') {
			p++
		}
		q := digits(d.data, p)
		if q == p {
			return "", d.syntax("invalid number")
		}
		p = q
	}
	d.pos = p
	return string(d.data[start:p]), nil
}

func digits(b []byte, p int) int {
	for p < len(b) && b[p] >= '0' && b[p] <= '9' {
		p++
	}
	return p
}

// skip consumes one value of any type, validating its syntax.
func (d *decoder) skip() error {
	switch c := d.peek(); {
	case c == '{':
		return d.object(func([]byte) error { return d.skip() })
	case c == '[':
		d.pos++
		if err := d.enter(); err != nil {
			return err
		}
		if d.peek() == ']' {
			d.pos++
			d.depth--
			return nil
		}
		for {
			if err := d.skip(); err != nil {
				return err
			}
			done, err := d.next(']')
			if err != nil {
				return err
			}
			if done {
				d.depth--
				return nil
			}
		}
	case c == '"':
		_, err := d.rawString()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.number()
		return err
	}
	return d.syntax("expected a value")
}
