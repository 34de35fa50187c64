package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
)

// GetHumanReadableSummary describes a managed policy's default version in
// plain English, statement by statement: what it allows or denies, on
// what, and under which conditions. AWS writes its summaries with a
// language model; mantle's is deterministic and says only what the
// document says. Summaries exist for managed policies in English; another
// entity is NOT_SUPPORTED.
func (s *Service) GetHumanReadableSummary(ctx context.Context, c *auth.Caller, in *iamapi.GetHumanReadableSummaryInput) (*iamapi.GetHumanReadableSummaryOutput, error) {
	locale := in.Locale
	if locale == "" {
		locale = "en-US"
	}
	if !strings.HasPrefix(strings.ToLower(locale), "en") {
		return nil, awserr.InvalidInput("Locale %s is not supported.", locale)
	}
	if _, _, _, ok := parsePolicyARN(in.EntityArn); !ok {
		if err := s.authorize(ctx, c, "GetHumanReadableSummary", in.EntityArn); err != nil {
			return nil, err
		}
		return &iamapi.GetHumanReadableSummaryOutput{Locale: locale, SummaryState: "NOT_SUPPORTED"}, nil
	}
	p, err := s.policyTarget(ctx, c, "GetHumanReadableSummary", in.EntityArn)
	if err != nil {
		return nil, err
	}
	v, err := s.store.Policies().GetVersion(ctx, p.ID, p.DefaultVersionID)
	if err != nil {
		return nil, err
	}
	text, err := summarize(v.Document)
	if err != nil {
		return &iamapi.GetHumanReadableSummaryOutput{Locale: locale, SummaryState: "FAILED"}, nil
	}
	return &iamapi.GetHumanReadableSummaryOutput{Locale: locale, SummaryState: "AVAILABLE", SummaryContent: text}, nil
}

// summarize writes one sentence per statement.
func summarize(doc string) (string, error) {
	var d struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return "", err
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(d.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(d.Statement, &one); err != nil {
			return "", err
		}
		stmts = append(stmts, one)
	}
	var b strings.Builder
	for i, st := range stmts {
		var effect string
		_ = json.Unmarshal(st["Effect"], &effect)
		verb := "Allows"
		if effect == "Deny" {
			verb = "Denies"
		}
		if i > 0 {
			b.WriteString("\n")
		}
		actions, notActions := strs(st["Action"]), strs(st["NotAction"])
		switch {
		case len(notActions) > 0:
			fmt.Fprintf(&b, "%s every action except %s", verb, list(notActions))
		case len(actions) == 1 && actions[0] == "*":
			fmt.Fprintf(&b, "%s every action", verb)
		default:
			fmt.Fprintf(&b, "%s %s", verb, list(actions))
		}
		resources, notResources := strs(st["Resource"]), strs(st["NotResource"])
		switch {
		case len(notResources) > 0:
			fmt.Fprintf(&b, " on every resource except %s", list(notResources))
		case len(resources) == 1 && resources[0] == "*":
			b.WriteString(" on every resource")
		case len(resources) > 0:
			fmt.Fprintf(&b, " on %s", list(resources))
		}
		if c := st["Condition"]; len(c) > 0 {
			var ops map[string]map[string]json.RawMessage
			if json.Unmarshal(c, &ops) == nil && len(ops) > 0 {
				var parts []string
				for op, keys := range ops {
					for k, v := range keys {
						parts = append(parts, fmt.Sprintf("%s %s %s", k, op, list(strs(v))))
					}
				}
				sort.Strings(parts)
				fmt.Fprintf(&b, " when %s", strings.Join(parts, " and "))
			}
		}
		b.WriteString(".")
	}
	return b.String(), nil
}

// strs reads a string, number or boolean, or a list of them.
func strs(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var many []any
	if json.Unmarshal(raw, &many) != nil {
		var one any
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		many = []any{one}
	}
	out := make([]string, 0, len(many))
	for _, v := range many {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

func list(items []string) string {
	switch len(items) {
	case 0:
		return "nothing"
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
