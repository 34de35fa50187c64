package orgs

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"time"

	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
)

// DescribeEffectivePolicy merges the management policies of one type
// attached from the root down to an account, with the inheritance
// operators of "Understanding management policy inheritance": a child's
// @@assign replaces, @@append adds to and @@remove takes from what its
// parents set, and plain objects merge key by key. SCPs and RCPs have no
// effective policy (they are evaluated level by level).
func (s *Service) DescribeEffectivePolicy(ctx context.Context, c *auth.Caller, in *orgsapi.DescribeEffectivePolicyInput) (*orgsapi.DescribeEffectivePolicyOutput, error) {
	_, o, err := s.callerOrg(ctx, c)
	if err != nil {
		return nil, err
	}
	target := in.TargetId
	if target == "" {
		target = c.AccountID
	}
	// A member account may see its own (its identity policies decide: the
	// account's ARN is the organization's, in the management account, but
	// reading one's own is no cross-account request); the management
	// account any.
	if o.ManagementAccountID == c.AccountID {
		if err := s.authorize(ctx, c, "DescribeEffectivePolicy", targetARN(o, target)); err != nil {
			return nil, err
		}
	} else if target != c.AccountID {
		if err := s.authorizeOn(ctx, c, o, "DescribeEffectivePolicy", targetARN(o, target)); err != nil {
			return nil, err
		}
	} else if err := s.authorize(ctx, c, "DescribeEffectivePolicy", "*"); err != nil {
		return nil, err
	}
	if in.PolicyType == typeSCP || in.PolicyType == typeRCP {
		return nil, awserr.New("InvalidInputException", http.StatusBadRequest,
			"You specified a policy type that isn't supported for this operation: %s has no effective policy.", in.PolicyType)
	}
	p, err := loadPolicies(ctx, s.store, o, s.now())
	if err != nil {
		return nil, err
	}
	if p.member(target) == nil {
		return nil, targetNotFound()
	}
	merged := map[string]any{}
	var last time.Time
	found := false
	if p.enabled[in.PolicyType] {
		for _, level := range p.levels(target) {
			for _, id := range p.attachedOfType(level, in.PolicyType) {
				var doc map[string]any
				if err := json.Unmarshal([]byte(p.content(id)), &doc); err != nil {
					continue // validated when stored
				}
				mergePolicy(merged, doc)
				found = true
				if pol := p.own[id]; pol != nil && pol.CreatedAt.After(last) {
					last = pol.CreatedAt
				}
			}
		}
	}
	if !found {
		return nil, awserr.New("EffectivePolicyNotFoundException", http.StatusBadRequest,
			"We can't find an effective policy of that type for the specified target.")
	}
	b, err := json.Marshal(merged)
	if err != nil {
		return nil, err
	}
	return &orgsapi.DescribeEffectivePolicyOutput{EffectivePolicy: &orgsapi.EffectivePolicy{
		PolicyContent: string(b), PolicyType: in.PolicyType, TargetId: target, LastUpdatedTimestamp: last,
	}}, nil
}

// mergePolicy applies a child policy to what its parents set.
func mergePolicy(dst, src map[string]any) {
	for k, v := range src {
		if len(k) > 2 && k[:2] == "@@" {
			continue // operators that govern children, not values
		}
		obj, ok := v.(map[string]any)
		if !ok {
			dst[k] = v
			continue
		}
		if val, ok := obj["@@assign"]; ok {
			dst[k] = val
			continue
		}
		if val, ok := obj["@@append"]; ok {
			dst[k] = append(asList(dst[k]), asList(val)...)
			continue
		}
		if val, ok := obj["@@remove"]; ok {
			dst[k] = removeValues(asList(dst[k]), asList(val))
			continue
		}
		child, ok := dst[k].(map[string]any)
		if !ok {
			child = map[string]any{}
		}
		mergePolicy(child, obj)
		dst[k] = child
	}
}

func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

func removeValues(from, remove []any) []any {
	out := []any{}
	for _, v := range from {
		drop := false
		for _, r := range remove {
			drop = drop || reflect.DeepEqual(v, r)
		}
		if !drop {
			out = append(out, v)
		}
	}
	return out
}
