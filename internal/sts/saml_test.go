package sts

import (
	"crypto/sha1"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/mantle-iam/mantle/internal/federation"
)

func TestNameQualifier(t *testing.T) {
	// The pseudocode of the AssumeRoleWithSAML reference.
	sum := sha1.Sum([]byte("https://example.com/saml" + "123456789012" + "/MySAMLIdP"))
	if got, want := nameQualifier("https://example.com/saml", "123456789012", "MySAMLIdP"), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Fatalf("nameQualifier = %s, want %s", got, want)
	}
}

func TestNamesRole(t *testing.T) {
	const role, prov = "arn:aws:iam::111122223333:role/admin", "arn:aws:iam::111122223333:saml-provider/corp"
	tests := []struct {
		values []string
		want   bool
	}{
		{[]string{role + "," + prov}, true},
		{[]string{prov + "," + role}, true},
		{[]string{" " + role + " , " + prov}, true},
		{[]string{"arn:aws:iam::111122223333:role/other," + prov, prov + "," + role}, true},
		{[]string{role}, false},
		{[]string{role + "," + role}, false},
		{[]string{"arn:aws:iam::111122223333:role/administrator," + prov}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := namesRole(tt.values, role, prov); got != tt.want {
			t.Errorf("namesRole(%q) = %v, want %v", tt.values, got, tt.want)
		}
	}
}

func TestClaimedTags(t *testing.T) {
	tag := func(k, v string) federation.Tag { return federation.Tag{Key: k, Value: v} }
	many := make([]federation.Tag, 51)
	for i := range many {
		many[i] = tag("k"+strings.Repeat("x", i), "v")
	}
	tests := []struct {
		name       string
		tags       []federation.Tag
		transitive []string
		wantErr    string
	}{
		{"none", nil, nil, ""},
		{"ok", []federation.Tag{tag("team", "blue"), tag("cost", "42")}, []string{"Team"}, ""},
		{"transitive without tags", nil, []string{"team"}, "transitive tag key team"},
		{"transitive not a tag", []federation.Tag{tag("team", "blue")}, []string{"cost"}, "transitive tag key cost"},
		{"duplicate keys", []federation.Tag{tag("team", "a"), tag("Team", "b")}, nil, "duplicate"},
		{"bad key", []federation.Tag{tag("bad*key", "v")}, nil, "not a valid tag"},
		{"long value", []federation.Tag{tag("k", strings.Repeat("v", 257))}, nil, "not a valid tag"},
		{"too many", many, nil, "more than 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := claimedTags(tt.tags, tt.transitive)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, "InvalidIdentityToken", tt.wantErr)
		})
	}
}
