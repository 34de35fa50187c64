package iam

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/policy"
)

// checkDocument is the one place a caller's document is checked:
// policy.Validate, IAM's checks for where the document goes (the same
// function `mantle policy validate` runs), with its *policy.Error turned
// into the AWS error the caller sees.
func checkDocument(doc string, use policy.Use) error {
	_, err := policy.Validate(doc, use)
	return policyErr(err)
}

// policyErr maps the policy package's errors (code and IAM's message) to
// awserr; other errors pass through.
func policyErr(err error) error {
	var pe *policy.Error
	if !errors.As(err, &pe) {
		return err
	}
	status := http.StatusBadRequest
	if pe.Code == policy.CodeLimitExceeded {
		status = http.StatusConflict
	}
	return awserr.New(pe.Code, status, "%s", pe.Message)
}

// awsPrincipals returns the values of every "Principal": {"AWS": …} in a
// validated trust policy, so CreateRole can refuse ARNs of entities that do
// not exist. The policy package compiles principals for matching but does
// not list them, so they are read from the JSON here.
func awsPrincipals(doc string) []string {
	var d struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return nil
	}
	var stmts []map[string]json.RawMessage
	var one map[string]json.RawMessage
	if json.Unmarshal(d.Statement, &one) == nil {
		stmts = append(stmts, one)
	} else if json.Unmarshal(d.Statement, &stmts) != nil {
		return nil
	}
	var out []string
	for _, st := range stmts {
		var p map[string]json.RawMessage
		if json.Unmarshal(st["Principal"], &p) != nil {
			continue
		}
		v := p["AWS"]
		var s string
		var many []string
		switch {
		case v == nil:
		case json.Unmarshal(v, &s) == nil:
			out = append(out, s)
		case json.Unmarshal(v, &many) == nil:
			out = append(out, many...)
		}
	}
	return out
}

// Quotas from "IAM and AWS STS quotas" (defaults) that are not about
// document sizes; those live in the policy package.
const (
	quotaAttachedPolicies  = 10
	quotaGroupsPerUser     = 10
	quotaAccessKeysPerUser = 2
	quotaPolicyVersions    = 5
	quotaUsers             = 5000
	quotaGroups            = 300
	quotaRoles             = 1000
	quotaPolicies          = 1500
	quotaInstanceProfiles  = 1000
	quotaMFADevicesPerUser = 8
)

const policyKindIdentity = policy.KindIdentity
