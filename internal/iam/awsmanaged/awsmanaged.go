package awsmanaged

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

//go:embed policies.json.gz
var compressed []byte

// Policy is one AWS managed policy as AWS lists it.
type Policy struct {
	Name             string
	Path             string // "/", "/service-role/", "/aws-service-role/", "/job-function/" or "/root-task/"
	ID               string // ANPA…: AWS's own, or DerivedID(Name) where AWS's is not known
	DefaultVersionID string // "v1", "v2", …
	CreateDate       time.Time
	UpdateDate       time.Time
	// Document is the default version's document, compact JSON with its
	// keys in the data's order.
	Document string
}

// ARN is the policy's ARN, arn:aws:iam::aws:policy PATH NAME.
func (p *Policy) ARN() string { return "arn:aws:iam::aws:policy" + p.Path + p.Name }

// Digest identifies the embedded set: it changes whenever the data does, so
// a store that recorded it knows it holds this set already.
var Digest = sync.OnceValue(func() string {
	sum := sha256.Sum256(compressed)
	return hex.EncodeToString(sum[:])
})

// All returns every policy in name order (as the data lists them). The set
// is decoded on first use only: a start that finds it loaded never pays for
// it. Callers must not modify the result.
var All = sync.OnceValues(func() ([]Policy, error) { return decode(compressed) })

type record struct {
	ARN              string          `json:"arn"`
	Name             string          `json:"name"`
	Path             string          `json:"path"`
	ID               *string         `json:"id"`
	DefaultVersionID string          `json:"defaultVersionId"`
	CreateDate       string          `json:"createDate"`
	UpdateDate       string          `json:"updateDate"`
	Document         json.RawMessage `json:"document"`
}

func decode(gz []byte) ([]Policy, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("awsmanaged: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("awsmanaged: %w", err)
	}
	var recs []record
	if err := json.Unmarshal(raw, &recs); err != nil {
		return nil, fmt.Errorf("awsmanaged: %w", err)
	}
	out := make([]Policy, 0, len(recs))
	seen := make(map[string]bool, len(recs))
	var doc bytes.Buffer
	for _, r := range recs {
		p := Policy{Name: r.Name, Path: r.Path, DefaultVersionID: r.DefaultVersionID}
		if r.ID != nil && *r.ID != "" {
			p.ID = *r.ID
		} else {
			p.ID = DerivedID(r.Name)
		}
		if p.CreateDate, err = parseDate(r.CreateDate); err != nil {
			return nil, fmt.Errorf("awsmanaged: %s: %w", r.Name, err)
		}
		if p.UpdateDate, err = parseDate(r.UpdateDate); err != nil {
			return nil, fmt.Errorf("awsmanaged: %s: %w", r.Name, err)
		}
		doc.Reset()
		if err := json.Compact(&doc, r.Document); err != nil {
			return nil, fmt.Errorf("awsmanaged: %s: document: %w", r.Name, err)
		}
		p.Document = doc.String()
		switch {
		case r.Name == "" || !strings.HasPrefix(p.Path, "/") || !strings.HasSuffix(p.Path, "/"):
			return nil, fmt.Errorf("awsmanaged: bad name or path %q %q", r.Path, r.Name)
		case p.ARN() != r.ARN:
			return nil, fmt.Errorf("awsmanaged: %s: ARN %s does not match its path and name", r.Name, r.ARN)
		case seen[strings.ToLower(r.Name)] || seen[p.ID]:
			// Names are unique in any case among AWS managed policies, and
			// the store keys them so.
			return nil, fmt.Errorf("awsmanaged: %s: name or ID %s twice", r.Name, p.ID)
		}
		seen[strings.ToLower(r.Name)], seen[p.ID] = true, true
		out = append(out, p)
	}
	return out, nil
}

// parseDate reads the data's dates: RFC 3339 with an offset or a Z.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	return t.UTC(), err
}

// DerivedID is the ID mantle gives an AWS managed policy whose AWS ID is not
// known: ANPA and the first 17 base32 characters of a hash of the name,
// which is also the ID mantle gave the policies it shipped before the full
// set.
func DerivedID(name string) string {
	sum := sha256.Sum256([]byte("aws-managed-policy:" + name))
	return "ANPA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// descriptions are AWS's descriptions of the policies mantle shipped before
// the full set; the data set has none.
var descriptions = map[string]string{
	"AdministratorAccess":                     "Provides full access to AWS services and resources.",
	"PowerUserAccess":                         "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
	"ReadOnlyAccess":                          "Provides read-only access to AWS services and resources.",
	"IAMFullAccess":                           "Provides full access to IAM via the AWS Management Console.",
	"IAMReadOnlyAccess":                       "Provides read only access to IAM via the AWS Management Console.",
	"IAMUserChangePassword":                   "Provides the ability for an IAM user to change their own password.",
	"IAMSelfManageServiceSpecificCredentials": "Allows an IAM user to manage their own Service Specific Credentials",
	"AWSOrganizationsFullAccess":              "Provides full access to AWS Organizations.",
	"AWSOrganizationsReadOnlyAccess":          "Provides read-only access to AWS Organizations.",
	"ViewOnlyAccess":                          "This policy grants permissions to view resources and basic metadata across all AWS services.",
}

// Description is AWS's description of the policy where mantle has it, "" otherwise.
func Description(name string) string { return descriptions[name] }
