// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import "strings"

// levelKind is one strategy of a chain in the form selection uses.
type levelKind uint8

const (
	lvBinpackCPU levelKind = iota + 1
	lvBinpackMemory
	lvSpreadInstance
	lvSpreadAttr
	lvRandom
)

// level is one compiled strategy; slot numbers the attribute spreads.
type level struct {
	kind levelKind
	slot int
}

// chain is a compiled strategy list. Levels after the first random are
// dropped: random never ties, so they could not matter.
type chain struct {
	levels []level
	attrs  []string // attribute name of each spread slot
}

func (ch *chain) hasSpread() bool {
	for _, l := range ch.levels {
		if l.kind == lvSpreadInstance || l.kind == lvSpreadAttr {
			return true
		}
	}
	return false
}

// ranked reports whether some level orders the instances themselves
// (binpack, spread on instanceId); if none does, every instance that ties on
// the attribute spreads is equally good and one is drawn uniformly.
func (ch *chain) ranked() bool {
	for _, l := range ch.levels {
		if l.kind != lvSpreadAttr && l.kind != lvRandom {
			return true
		}
	}
	return false
}

func compileChain(ss []Strategy) (chain, error) {
	var ch chain
	if len(ss) > MaxStrategies {
		return ch, invalidParam("You can specify up to %d placement strategies.", MaxStrategies)
	}
	done := false
	for _, s := range ss {
		var l level
		switch s.Type {
		case StrategyRandom:
			l.kind = lvRandom
		case StrategyBinpack:
			switch s.Field {
			case FieldCPU:
				l.kind = lvBinpackCPU
			case FieldMemory:
				l.kind = lvBinpackMemory
			default:
				return ch, invalidParam("Invalid field %q for the binpack placement strategy: use cpu or memory.", s.Field)
			}
		case StrategySpread:
			switch name, isAttr := strings.CutPrefix(s.Field, FieldAttributePrefix); {
			case s.Field == FieldInstanceID || s.Field == FieldHost:
				l.kind = lvSpreadInstance
			case isAttr && name != "":
				l.kind, l.slot = lvSpreadAttr, len(ch.attrs)
				if !done {
					ch.attrs = append(ch.attrs, name)
				}
			default:
				return ch, invalidParam("Invalid field %q for the spread placement strategy: use instanceId, host or attribute:<name>.", s.Field)
			}
		default:
			return ch, invalidParam("Invalid placement strategy type %q.", s.Type)
		}
		if !done {
			ch.levels = append(ch.levels, l)
			done = l.kind == lvRandom
		}
	}
	return ch, nil
}
