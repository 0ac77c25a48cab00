// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// jsonKind is the type of a parsed JSON value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// jsonValue is a JSON value that remembers where it started and ended in the
// document, so statements can report IAM's StartPosition/EndPosition. The
// standard library's decoder neither reports positions nor rejects duplicate
// keys, which the policy grammar forbids, hence this small parser.
type jsonValue struct {
	kind   jsonKind
	str    string // string value, or the literal text of a number or bool
	bool   bool
	items  []*jsonValue // array elements
	keys   []string     // object keys in document order
	vals   []*jsonValue // object values, parallel to keys
	start  Position     // position of the first character
	end    Position     // position of the last character
	offset int          // byte offset of the first character
}

// field returns the object member named key, or nil.
func (v *jsonValue) field(key string) *jsonValue {
	for i, k := range v.keys {
		if k == key {
			return v.vals[i]
		}
	}
	return nil
}

var errJSON = errors.New("policy: invalid json")

type jsonParser struct {
	src  string
	pos  int
	line int
	col  int // column of src[pos], 1-based, counted in characters
	// depth bounds recursion so hostile documents cannot exhaust the stack.
	depth int
}

const maxJSONDepth = 64

// parseJSON parses a complete JSON document.
func parseJSON(src string) (*jsonValue, error) {
	p := &jsonParser{src: src, line: 1, col: 1}
	p.skipSpace()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, errJSON
	}
	return v, nil
}

func (p *jsonParser) here() Position { return Position{Line: p.line, Column: p.col} }

// advance consumes one character (a full UTF-8 sequence).
func (p *jsonParser) advance() {
	c := p.src[p.pos]
	if c < utf8.RuneSelf {
		p.pos++
	} else {
		_, n := utf8.DecodeRuneInString(p.src[p.pos:])
		p.pos += n
	}
	if c == '\n' {
		p.line++
		p.col = 1
	} else {
		p.col++
	}
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.advance()
		default:
			return
		}
	}
}

func (p *jsonParser) value() (*jsonValue, error) {
	if p.pos >= len(p.src) {
		return nil, errJSON
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxJSONDepth {
		return nil, errJSON
	}
	v := &jsonValue{start: p.here(), offset: p.pos}
	switch c := p.src[p.pos]; {
	case c == '{':
		v.kind = jsonObject
		if err := p.object(v); err != nil {
			return nil, err
		}
	case c == '[':
		v.kind = jsonArray
		if err := p.array(v); err != nil {
			return nil, err
		}
	case c == '"':
		v.kind = jsonString
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		v.str = s
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(p.src)-p.pos >= len(lit) && p.src[p.pos:p.pos+len(lit)] == lit {
				for range lit[:len(lit)-1] {
					p.advance()
				}
				v.end = p.here()
				p.advance()
				switch lit {
				case "null":
					v.kind = jsonNull
				default:
					v.kind, v.bool, v.str = jsonBool, lit == "true", lit
				}
				return v, nil
			}
		}
		return nil, errJSON
	case c == '-' || (c >= '0' && c <= '9'):
		v.kind = jsonNumber
		if err := p.number(v); err != nil {
			return nil, err
		}
	default:
		return nil, errJSON
	}
	return v, nil
}

func (p *jsonParser) object(v *jsonValue) error {
	p.advance() // {
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		v.end = p.here()
		p.advance()
		return nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return errJSON
		}
		k, err := p.string()
		if err != nil {
			return err
		}
		for _, seen := range v.keys {
			if seen == k {
				return errJSON // the grammar forbids repeated keys
			}
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return errJSON
		}
		p.advance()
		p.skipSpace()
		val, err := p.value()
		if err != nil {
			return err
		}
		v.keys = append(v.keys, k)
		v.vals = append(v.vals, val)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return errJSON
		}
		switch p.src[p.pos] {
		case ',':
			p.advance()
		case '}':
			v.end = p.here()
			p.advance()
			return nil
		default:
			return errJSON
		}
	}
}

func (p *jsonParser) array(v *jsonValue) error {
	p.advance() // [
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		v.end = p.here()
		p.advance()
		return nil
	}
	for {
		p.skipSpace()
		item, err := p.value()
		if err != nil {
			return err
		}
		v.items = append(v.items, item)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return errJSON
		}
		switch p.src[p.pos] {
		case ',':
			p.advance()
		case ']':
			v.end = p.here()
			p.advance()
			return nil
		default:
			return errJSON
		}
	}
}

func (p *jsonParser) number(v *jsonValue) error {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.advance()
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.advance()
			n++
		}
		return n
	}
	if p.pos < len(p.src) && p.src[p.pos] == '0' {
		p.advance()
	} else if digits() == 0 {
		return errJSON
	}
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		p.advance()
		if digits() == 0 {
			return errJSON
		}
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		p.advance()
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.advance()
		}
		if digits() == 0 {
			return errJSON
		}
	}
	v.str = p.src[start:p.pos]
	v.end = Position{Line: p.line, Column: p.col - 1}
	return nil
}

// string parses a quoted string at p.pos and returns its unescaped value.
func (p *jsonParser) string() (string, error) {
	p.advance() // opening quote
	start := p.pos
	var buf []byte // only allocated when the string holds escapes
	for {
		if p.pos >= len(p.src) {
			return "", errJSON
		}
		c := p.src[p.pos]
		switch {
		case c == '"':
			var s string
			if buf == nil {
				s = p.src[start:p.pos]
			} else {
				s = string(buf)
			}
			p.advance()
			return s, nil
		case c < 0x20:
			return "", errJSON
		case c == '\\':
			if buf == nil {
				buf = append([]byte(nil), p.src[start:p.pos]...)
			}
			p.advance()
			if p.pos >= len(p.src) {
				return "", errJSON
			}
			e := p.src[p.pos]
			p.advance()
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", errJSON
				}
				if r >= 0xD800 && r < 0xDC00 && p.pos+1 < len(p.src) && p.src[p.pos] == '\\' && p.src[p.pos+1] == 'u' {
					p.advance()
					p.advance()
					r2, ok := p.hex4()
					if !ok {
						return "", errJSON
					}
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", errJSON
			}
		default:
			if buf != nil {
				if c < utf8.RuneSelf {
					buf = append(buf, c)
				} else {
					r, n := utf8.DecodeRuneInString(p.src[p.pos:])
					buf = append(buf, p.src[p.pos:p.pos+n]...)
					_ = r
				}
			}
			p.advance()
		}
	}
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.src)-p.pos < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 32)
	if err != nil {
		return 0, false
	}
	for range 4 {
		p.advance()
	}
	return rune(n), true
}
