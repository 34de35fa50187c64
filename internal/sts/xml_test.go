package sts

import (
	"encoding/xml"
	"testing"

	"github.com/mantle-iam/mantle/internal/awsproto"
)

func TestAppendXMLMatchesEncodingXML(t *testing.T) {
	size := 7
	cases := []awsproto.XMLAppender{
		&AssumeRoleOutput{
			Credentials:     Credentials{AccessKeyId: "ASIAEXAMPLE", SecretAccessKey: "s/+<&>\"'", SessionToken: "MNT1+/=\n\t\r", Expiration: "2026-11-22T16:00:00Z"},
			AssumedRoleUser: AssumedRoleUser{AssumedRoleId: "AROAEXAMPLE:s1", Arn: "arn:aws:sts::111122223333:assumed-role/r/s1"},
		},
		&AssumeRoleOutput{PackedPolicySize: &size, SourceIdentity: "alice@example.com"},
		&GetSessionTokenOutput{Credentials: Credentials{AccessKeyId: "ASIA", Expiration: "x"}},
		&GetCallerIdentityOutput{UserId: "AIDA", Account: "111122223333", Arn: "arn:aws:iam::111122223333:user/a&b"},
	}
	for _, c := range cases {
		want, err := xml.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		// Strip encoding/xml's outer element, which WriteXML replaces with
		// <ActionResult>.
		inner := want[len("<"+xmlName(c)+">") : len(want)-len("</"+xmlName(c)+">")]
		if got := c.AppendXML(nil); string(got) != string(inner) {
			t.Errorf("%T:\n got  %s\n want %s", c, got, inner)
		}
	}
}

func xmlName(v any) string {
	switch v.(type) {
	case *AssumeRoleOutput:
		return "AssumeRoleOutput"
	case *GetSessionTokenOutput:
		return "GetSessionTokenOutput"
	}
	return "GetCallerIdentityOutput"
}
