package policy

import (
	"sort"
	"strings"
)

// ContextKeys lists the condition context keys the policies reference, in
// Condition blocks and as policy variables, each once (compared without
// case), sorted. It answers GetContextKeysForCustomPolicy and
// GetContextKeysForPrincipalPolicy.
func ContextKeys(pols ...*Policy) []string {
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if lk := strings.ToLower(k); !seen[lk] {
			seen[lk] = true
			out = append(out, k)
		}
	}
	addToks := func(toks []token) {
		for _, t := range toks {
			if t.kind == tVar {
				add(t.text)
			}
		}
	}
	addARN := func(a *arnPattern) {
		addToks(a.whole)
		for _, s := range a.segs {
			addToks(s)
		}
	}
	for _, p := range pols {
		if p == nil {
			continue
		}
		for i := range p.statements {
			st := &p.statements[i]
			for j := range st.resources {
				addARN(&st.resources[j])
			}
			for j := range st.conditions {
				c := &st.conditions[j]
				add(c.key)
				for k := range c.values {
					addToks(c.values[k].toks)
					addARN(&c.values[k].arn)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
