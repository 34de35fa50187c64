package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"sigs.k8s.io/yaml"
)

// State is a declared start-up state (mantle apply, serve --init): what
// the data directory's account holds once it is applied. Applying creates
// what is missing and updates what differs; it never deletes.
type State struct {
	Policies      []PolicySpec `json:"policies,omitempty"`
	Groups        []GroupSpec  `json:"groups,omitempty"`
	Roles         []RoleSpec   `json:"roles,omitempty"`
	Users         []UserSpec   `json:"users,omitempty"`
	OIDCProviders []OIDCSpec   `json:"oidcProviders,omitempty"`
	SAMLProviders []SAMLSpec   `json:"samlProviders,omitempty"`
	Organization  *OrgSpec     `json:"organization,omitempty"`
}

// Document is a policy document, written as a JSON (or YAML) object or as
// a string holding the JSON.
type Document string

// UnmarshalJSON takes an object (kept as compact JSON) or a string.
func (d *Document) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = Document(s)
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return errors.New("a policy document is an object or a string of JSON")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return err
	}
	*d = Document(buf.String())
	return nil
}

// PolicySpec is a customer managed policy of the account.
type PolicySpec struct {
	Name        string            `json:"name"`
	Path        string            `json:"path,omitempty"`
	Description string            `json:"description,omitempty"`
	Document    Document          `json:"document"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// Attached are the policies of a user, group or role: inline by name, and
// managed by the name of a policy of this file or account, or an ARN
// (arn:aws:iam::aws:policy/ReadOnlyAccess).
type Attached struct {
	Policies        map[string]Document `json:"policies,omitempty"`
	ManagedPolicies []string            `json:"managedPolicies,omitempty"`
}

type GroupSpec struct {
	Name string `json:"name"`
	Path string `json:"path,omitempty"`
	Attached
}

type RoleSpec struct {
	Name                string            `json:"name"`
	Path                string            `json:"path,omitempty"`
	Description         string            `json:"description,omitempty"`
	MaxSessionDuration  int               `json:"maxSessionDuration,omitempty"`
	TrustPolicy         Document          `json:"trustPolicy"`
	PermissionsBoundary string            `json:"permissionsBoundary,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
	Attached
}

type UserSpec struct {
	Name                string            `json:"name"`
	Path                string            `json:"path,omitempty"`
	Groups              []string          `json:"groups,omitempty"`
	PermissionsBoundary string            `json:"permissionsBoundary,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
	// AccessKeys are keys with the ID and secret given (CI knows them in
	// advance). Keys mantle should generate are asked for with
	// CreateAccessKey, not declared: they would be new at every apply.
	AccessKeys []KeySpec `json:"accessKeys,omitempty"`
	Attached
}

type KeySpec struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

type OIDCSpec struct {
	URL         string   `json:"url"`
	ClientIDs   []string `json:"clientIds,omitempty"`
	Thumbprints []string `json:"thumbprints,omitempty"`
}

type SAMLSpec struct {
	Name     string `json:"name"`
	Metadata string `json:"metadata"`
}

// OrgSpec is the organization the account manages, its OUs and member
// accounts (found again by email).
type OrgSpec struct {
	FeatureSet string        `json:"featureSet,omitempty"`
	Units      []OUSpec      `json:"units,omitempty"`
	Accounts   []AccountSpec `json:"accounts,omitempty"`
}

type OUSpec struct {
	Name     string        `json:"name"`
	Units    []OUSpec      `json:"units,omitempty"`
	Accounts []AccountSpec `json:"accounts,omitempty"`
}

type AccountSpec struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// maxStateSize bounds a state file: thousands of entities fit in it.
const maxStateSize = 16 << 20

// ParseState reads a state file in YAML or JSON (JSON is YAML). Unknown
// fields are refused, so a misspelt key is an error rather than ignored.
func ParseState(b []byte) (*State, error) {
	if len(b) > maxStateSize {
		return nil, fmt.Errorf("state file of %d bytes: at most %d", len(b), maxStateSize)
	}
	var st State
	if err := yaml.UnmarshalStrict(b, &st); err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	return &st, nil
}
