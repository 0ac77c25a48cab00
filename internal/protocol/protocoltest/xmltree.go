// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package protocoltest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/protocol/shape"
)

// Node is an XML element in canonical form: names resolved to their
// namespace, namespace declarations dropped, attributes sorted,
// whitespace-only text between elements dropped, and children sorted by
// name (stably, so repeated elements such as list items keep their order).
type Node struct {
	Name     xml.Name
	Attrs    []xml.Attr
	Text     string
	Children []*Node
}

// ParseXML parses a document into its canonical root element.
func ParseXML(data []byte) (*Node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*Node
	var root *Node
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &Node{Name: tok.Name}
			for _, a := range tok.Attr {
				if a.Name.Space != "xmlns" && a.Name.Local != "xmlns" {
					n.Attrs = append(n.Attrs, a)
				}
			}
			slices.SortFunc(n.Attrs, func(a, b xml.Attr) int {
				return strings.Compare(a.Name.Space+" "+a.Name.Local, b.Name.Space+" "+b.Name.Local)
			})
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(n.Children) > 0 && strings.TrimSpace(n.Text) == "" {
				n.Text = ""
			}
			slices.SortStableFunc(n.Children, func(a, b *Node) int {
				return strings.Compare(a.Name.Space+" "+a.Name.Local, b.Name.Space+" "+b.Name.Local)
			})
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(tok)
			}
		}
	}
	if root == nil {
		return nil, errors.New("protocoltest: no root element")
	}
	return root, nil
}

// Remove drops the root's children with the given local name and returns
// the first one dropped, or nil.
func (n *Node) Remove(local string) *Node {
	var found *Node
	n.Children = slices.DeleteFunc(n.Children, func(c *Node) bool {
		if c.Name.Local == local {
			if found == nil {
				found = c
			}
			return true
		}
		return false
	})
	return found
}

// Child returns the first child with the given local name, or nil.
func (n *Node) Child(local string) *Node {
	for _, c := range n.Children {
		if c.Name.Local == local {
			return c
		}
	}
	return nil
}

// String renders the canonical tree, one element per line, for diffs.
func (n *Node) String() string {
	var b strings.Builder
	n.write(&b, 0)
	return b.String()
}

func (n *Node) write(b *strings.Builder, depth int) {
	b.WriteString(strings.Repeat("  ", depth))
	b.WriteString("<")
	if n.Name.Space != "" {
		b.WriteString("{" + n.Name.Space + "}")
	}
	b.WriteString(n.Name.Local)
	for _, a := range n.Attrs {
		b.WriteString(" ")
		if a.Name.Space != "" {
			b.WriteString("{" + a.Name.Space + "}")
		}
		b.WriteString(a.Name.Local + "=" + `"` + a.Value + `"`)
	}
	b.WriteString(">")
	if len(n.Children) == 0 {
		b.WriteString(n.Text + "\n")
		return
	}
	b.WriteString("\n")
	for _, c := range n.Children {
		c.write(b, depth+1)
	}
}

// SortMaps reorders map entries under n, the element of a value of type t,
// by key, so documents listing a map in different orders compare equal.
// Only maps are reordered; list items keep their order.
func SortMaps(n *Node, t reflect.Type) {
	sortMaps(n, shape.Of(t))
}

func sortMaps(n *Node, t *shape.Type) {
	switch t.Kind {
	case shape.Structure:
		for _, m := range t.Members {
			if m.Location != shape.Body || m.XMLAttribute {
				continue
			}
			sortMember(n, m)
		}
	case shape.List:
		for _, c := range n.Children {
			sortMaps(c, t.Elem)
		}
	case shape.Map:
		sortEntries(n.Children, "key", "value", t.Elem)
	}
}

func sortMember(n *Node, m *shape.Member) {
	var run []*Node
	for _, c := range n.Children {
		if c.Name.Local == m.ElemName() {
			run = append(run, c)
		}
	}
	switch k := m.Type.Kind; {
	case k == shape.Map && m.Flattened:
		sortEntries(run, m.Key, m.Value, m.Type.Elem)
	case k == shape.Map:
		for _, c := range run {
			sortEntries(c.Children, m.Key, m.Value, m.Type.Elem)
		}
	case k == shape.List && m.Flattened:
		for _, c := range run {
			sortMaps(c, m.Type.Elem)
		}
	case k == shape.List || k == shape.Structure:
		for _, c := range run {
			sortMaps(c, m.Type)
		}
	}
}

// sortEntries sorts entries (a run of siblings, in place) by key text and
// normalizes their values.
func sortEntries(entries []*Node, key, value string, elem *shape.Type) {
	keyOf := func(e *Node) string {
		if k := e.Child(key); k != nil {
			return k.Text
		}
		return ""
	}
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b *Node) int { return strings.Compare(keyOf(a), keyOf(b)) })
	vals := make([]Node, len(sorted))
	for i, e := range sorted {
		vals[i] = *e
	}
	for i := range entries {
		*entries[i] = vals[i] // the run's nodes sit in their parent's Children
	}
	for _, e := range entries {
		if v := e.Child(value); v != nil {
			sortMaps(v, elem)
		}
	}
}
