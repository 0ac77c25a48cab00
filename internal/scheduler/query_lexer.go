// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a cluster query language token.
type tokKind uint8

const (
	tkEOF    tokKind = iota
	tkWord           // subject, keyword or unquoted value
	tkString         // quoted value
	tkLParen
	tkRParen
	tkLBrack
	tkRBrack
	tkComma
	tkOp  // comparison operator spelled with symbols; op says which
	tkAnd // &&
	tkOr  // ||
	tkNot // !
)

// token is one lexeme; pos is its byte offset in the expression.
type token struct {
	kind tokKind
	text string
	op   cmpOp
	pos  int
}

// lexer splits an expression into tokens. Words are maximal runs of
// characters other than space and ()[],'"=!<>&|, so that unquoted values
// such as us-east-1a, t2.*, 1.14.5 and 2018-06-18T22:28:28+00:00 are one
// token; a value holding any of those characters must be quoted with ' or ".
type lexer struct {
	src string
	pos int
}

func isWordRune(r rune) bool {
	if unicode.IsSpace(r) {
		return false
	}
	return !strings.ContainsRune("()[],'\"=!<>&|", r)
}

// next returns the next token or a *InvalidParameterError.
func (lx *lexer) next() (token, error) {
	for lx.pos < len(lx.src) {
		r, n := utf8.DecodeRuneInString(lx.src[lx.pos:])
		if !unicode.IsSpace(r) {
			break
		}
		lx.pos += n
	}
	start := lx.pos
	if start >= len(lx.src) {
		return token{kind: tkEOF, pos: start}, nil
	}
	rest := lx.src[start:]
	sym := func(k tokKind, n int, op cmpOp) (token, error) {
		lx.pos += n
		return token{kind: k, text: rest[:n], op: op, pos: start}, nil
	}
	switch c := rest[0]; c {
	case '(':
		return sym(tkLParen, 1, 0)
	case ')':
		return sym(tkRParen, 1, 0)
	case '[':
		return sym(tkLBrack, 1, 0)
	case ']':
		return sym(tkRBrack, 1, 0)
	case ',':
		return sym(tkComma, 1, 0)
	case '\'', '"':
		end := strings.IndexByte(rest[1:], c)
		if end < 0 {
			return token{}, queryError(lx.src, start, "unterminated quoted value")
		}
		lx.pos += end + 2
		return token{kind: tkString, text: rest[1 : end+1], pos: start}, nil
	case '=':
		switch {
		case strings.HasPrefix(rest, "=="):
			return sym(tkOp, 2, opEq)
		case strings.HasPrefix(rest, "=~"):
			return sym(tkOp, 2, opMatch)
		}
	case '!':
		switch {
		case strings.HasPrefix(rest, "!="):
			return sym(tkOp, 2, opNe)
		case strings.HasPrefix(rest, "!~"):
			return sym(tkOp, 2, opNotMatch)
		case keywordAt(rest[1:], "exists"):
			return sym(tkOp, 7, opNotExists)
		case keywordAt(rest[1:], "in"):
			return sym(tkOp, 3, opNotIn)
		}
		return sym(tkNot, 1, 0)
	case '>':
		if strings.HasPrefix(rest, ">=") {
			return sym(tkOp, 2, opGe)
		}
		return sym(tkOp, 1, opGt)
	case '<':
		if strings.HasPrefix(rest, "<=") {
			return sym(tkOp, 2, opLe)
		}
		return sym(tkOp, 1, opLt)
	case '&':
		if strings.HasPrefix(rest, "&&") {
			return sym(tkAnd, 2, 0)
		}
	case '|':
		if strings.HasPrefix(rest, "||") {
			return sym(tkOr, 2, 0)
		}
	}
	for lx.pos < len(lx.src) {
		r, n := utf8.DecodeRuneInString(lx.src[lx.pos:])
		if !isWordRune(r) {
			break
		}
		lx.pos += n
	}
	if lx.pos == start {
		return token{}, queryError(lx.src, start, "unexpected character "+quoteRune(rest))
	}
	return token{kind: tkWord, text: lx.src[start:lx.pos], pos: start}, nil
}

// keywordAt reports whether s starts with the word kw followed by a
// non-word character or the end.
func keywordAt(s, kw string) bool {
	if len(s) < len(kw) || !strings.EqualFold(s[:len(kw)], kw) {
		return false
	}
	if len(s) == len(kw) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[len(kw):])
	return !isWordRune(r)
}

func quoteRune(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	return "'" + string(r) + "'"
}
