// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
)

// family groups the condition operators by the type they compare.
type family uint8

const (
	famString family = iota + 1
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

// cmpOp is the comparison an operator makes (before negation).
type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpEqFold
	cmpLike
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type qualifier uint8

const (
	qualNone qualifier = iota
	qualForAll
	qualForAny
)

// operator is a parsed condition operator name.
type operator struct {
	family   family
	cmpOp    cmpOp
	negated  bool
	ifExists bool
	qual     qualifier
}

var baseOperators = map[string]operator{
	"StringEquals":              {family: famString, cmpOp: cmpEq},
	"StringNotEquals":           {family: famString, cmpOp: cmpEq, negated: true},
	"StringEqualsIgnoreCase":    {family: famString, cmpOp: cmpEqFold},
	"StringNotEqualsIgnoreCase": {family: famString, cmpOp: cmpEqFold, negated: true},
	"StringLike":                {family: famString, cmpOp: cmpLike},
	"StringNotLike":             {family: famString, cmpOp: cmpLike, negated: true},
	"NumericEquals":             {family: famNumeric, cmpOp: cmpEq},
	"NumericNotEquals":          {family: famNumeric, cmpOp: cmpEq, negated: true},
	"NumericLessThan":           {family: famNumeric, cmpOp: cmpLt},
	"NumericLessThanEquals":     {family: famNumeric, cmpOp: cmpLe},
	"NumericGreaterThan":        {family: famNumeric, cmpOp: cmpGt},
	"NumericGreaterThanEquals":  {family: famNumeric, cmpOp: cmpGe},
	"DateEquals":                {family: famDate, cmpOp: cmpEq},
	"DateNotEquals":             {family: famDate, cmpOp: cmpEq, negated: true},
	"DateLessThan":              {family: famDate, cmpOp: cmpLt},
	"DateLessThanEquals":        {family: famDate, cmpOp: cmpLe},
	"DateGreaterThan":           {family: famDate, cmpOp: cmpGt},
	"DateGreaterThanEquals":     {family: famDate, cmpOp: cmpGe},
	"Bool":                      {family: famBool, cmpOp: cmpEq},
	"BinaryEquals":              {family: famBinary, cmpOp: cmpEq},
	"IpAddress":                 {family: famIP, cmpOp: cmpEq},
	"NotIpAddress":              {family: famIP, cmpOp: cmpEq, negated: true},
	"ArnEquals":                 {family: famArn, cmpOp: cmpLike},
	"ArnLike":                   {family: famArn, cmpOp: cmpLike},
	"ArnNotEquals":              {family: famArn, cmpOp: cmpLike, negated: true},
	"ArnNotLike":                {family: famArn, cmpOp: cmpLike, negated: true},
	"Null":                      {family: famNull},
}

// parseOperator parses "[ForAllValues:|ForAnyValue:]Name[IfExists]".
func parseOperator(name string) (operator, bool) {
	q := qualNone
	if rest, ok := strings.CutPrefix(name, "ForAllValues:"); ok {
		q, name = qualForAll, rest
	} else if rest, ok := strings.CutPrefix(name, "ForAnyValue:"); ok {
		q, name = qualForAny, rest
	}
	ifExists := false
	if rest, ok := strings.CutSuffix(name, "IfExists"); ok {
		ifExists, name = true, rest
	}
	op, ok := baseOperators[name]
	op.qual, op.ifExists = q, ifExists
	return op, ok
}

// cond is a compiled condition: one operator applied to one key.
type cond struct {
	op     operator
	key    string // lower case
	rawKey string // as written
	vals   []cvalue
}

// cvalue is a condition value parsed once at compile time for its family.
type cvalue struct {
	str  pattern // string, bool and binary values (variables resolved at evaluation)
	arn  arnPattern
	num  float64
	date dateTime
	ip   netip.Prefix
	bin  string
	null bool
	ok   bool // false: the value cannot be parsed for the family and never matches
}

func compileCond(c Condition, vars bool) cond {
	op, _ := parseOperator(c.Operator)
	out := cond{op: op, key: strings.ToLower(c.Key), rawKey: c.Key, vals: make([]cvalue, len(c.Values))}
	for i, v := range c.Values {
		cv := &out.vals[i]
		cv.ok = true
		switch op.family {
		case famString:
			cv.str = compilePattern(v, vars, op.cmpOp == cmpLike, op.cmpOp == cmpEqFold)
		case famBool:
			cv.str = compilePattern(v, vars, false, true)
		case famArn:
			cv.arn = compileARN(v, vars)
		case famNumeric:
			n, err := strconv.ParseFloat(v, 64)
			cv.num, cv.ok = n, err == nil
		case famDate:
			cv.date, cv.ok = parseDate(v)
		case famIP:
			cv.ip, cv.ok = parseCIDR(v)
		case famBinary:
			b, err := base64.StdEncoding.DecodeString(v)
			cv.bin, cv.ok = string(b), err == nil
		case famNull:
			switch strings.ToLower(v) {
			case "true":
				cv.null = true
			case "false":
			default:
				cv.ok = false
			}
		}
	}
	return out
}

func parseCIDR(v string) (netip.Prefix, bool) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return p, false
		}
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked(), true
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// condResult is the outcome of one condition.
type condResult uint8

const (
	condFalse condResult = iota
	condTrue
	// condInvalid: a policy variable could not be resolved, which makes the
	// whole statement inapplicable.
	condInvalid
)

// eval evaluates the condition. AWS's rules: a key missing from the context
// makes a positive operator false and a negated one true; ...IfExists makes
// a missing key true; ForAllValues over no values is true and ForAnyValue
// false; within one key the policy values are ORed; the request values are
// ORed unless a qualifier says otherwise. rec records the keys absent from
// the context (for Simulate's MissingContextValues).
func (c *cond) eval(ctx *Context, rec *Input) condResult {
	vals, present := ctx.Lookup(c.key)
	if c.op.family == famNull {
		present = present && len(vals) > 0
		for i := range c.vals {
			if c.vals[i].ok && c.vals[i].null != present {
				return condTrue
			}
		}
		return condFalse
	}
	if !present {
		rec.noteMissing(c.rawKey)
		switch {
		case c.op.ifExists, c.op.qual == qualForAll:
			return condTrue
		case c.op.qual == qualForAny:
			return condFalse
		}
		return boolResult(c.op.negated)
	}
	switch c.op.qual {
	case qualForAll:
		for _, v := range vals {
			m, inv := c.matchAny(v, ctx, rec)
			if inv {
				return condInvalid
			}
			if m == c.op.negated {
				return condFalse
			}
		}
		return condTrue
	case qualForAny:
		for _, v := range vals {
			m, inv := c.matchAny(v, ctx, rec)
			if inv {
				return condInvalid
			}
			if m != c.op.negated {
				return condTrue
			}
		}
		return condFalse
	}
	any := false
	for _, v := range vals {
		m, inv := c.matchAny(v, ctx, rec)
		if inv {
			return condInvalid
		}
		if m {
			any = true
			break
		}
	}
	return boolResult(any != c.op.negated)
}

func boolResult(b bool) condResult {
	if b {
		return condTrue
	}
	return condFalse
}

// matchAny reports whether the request value v matches any policy value
// under the operator's positive comparison.
func (c *cond) matchAny(v string, ctx *Context, rec *Input) (matched, invalid bool) {
	switch c.op.family {
	case famNumeric:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false, false
		}
		for i := range c.vals {
			if c.vals[i].ok && compare(c.op.cmpOp, n, c.vals[i].num) {
				return true, false
			}
		}
		return false, false
	case famDate:
		d, ok := parseDate(v)
		if !ok {
			return false, false
		}
		for i := range c.vals {
			if c.vals[i].ok && compareDates(c.op.cmpOp, d, c.vals[i].date) {
				return true, false
			}
		}
		return false, false
	case famIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false, false
		}
		a = a.Unmap().WithZone("")
		for i := range c.vals {
			if c.vals[i].ok && c.vals[i].ip.Contains(a) {
				return true, false
			}
		}
		return false, false
	case famBinary:
		for i := range c.vals {
			if c.vals[i].ok && c.vals[i].bin == v {
				return true, false
			}
		}
		return false, false
	case famArn:
		for i := range c.vals {
			ok, miss := c.vals[i].arn.match(v, ctx)
			if miss != "" {
				rec.noteMissing(miss)
				return false, true
			}
			if ok {
				return true, false
			}
		}
		return false, false
	}
	// famString and famBool.
	fold := c.op.family == famBool || c.op.cmpOp == cmpEqFold
	for i := range c.vals {
		p := &c.vals[i].str
		var ok bool
		var miss string
		if fold && p.shape == shapeExact {
			ok = strings.EqualFold(v, p.text) // Unicode folding for IgnoreCase
		} else {
			ok, miss = p.match(v, ctx, fold)
		}
		if miss != "" {
			rec.noteMissing(miss)
			return false, true
		}
		if ok {
			return true, false
		}
	}
	return false, false
}

func compare(c cmpOp, a, b float64) bool {
	switch c {
	case cmpLt:
		return a < b
	case cmpLe:
		return a <= b
	case cmpGt:
		return a > b
	case cmpGe:
		return a >= b
	}
	return a == b
}
