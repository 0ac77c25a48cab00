// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import "strings"

// String returns the expression in canonical form: one space around
// operators, lists as [a, b], every and/or parenthesised, values quoted
// only when they must be. Parsing it yields an equal Query.
func (q *Query) String() string {
	var b strings.Builder
	writeNode(&b, q.root)
	return b.String()
}

func writeNode(b *strings.Builder, n *node) {
	switch n.kind {
	case nodeAnd, nodeOr:
		b.WriteByte('(')
		writeNode(b, n.l)
		if n.kind == nodeAnd {
			b.WriteString(" and ")
		} else {
			b.WriteString(" or ")
		}
		writeNode(b, n.r)
		b.WriteByte(')')
	case nodeNot:
		b.WriteString("not(")
		writeNode(b, n.l)
		b.WriteByte(')')
	default:
		b.WriteString(n.subject)
		b.WriteByte(' ')
		b.WriteString(opSymbols[n.op])
		switch n.op {
		case opExists, opNotExists:
		case opIn, opNotIn:
			b.WriteString(" [")
			for i, a := range n.args {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(quoteValue(a))
			}
			b.WriteByte(']')
		default:
			b.WriteByte(' ')
			b.WriteString(quoteValue(n.args[0]))
		}
	}
}

// quoteValue quotes v unless it lexes as one word.
func quoteValue(v string) string {
	plain := v != ""
	for _, r := range v {
		if !isWordRune(r) {
			plain = false
			break
		}
	}
	switch {
	case plain:
		return v
	case !strings.ContainsRune(v, '\''):
		return "'" + v + "'"
	}
	return `"` + v + `"`
}
