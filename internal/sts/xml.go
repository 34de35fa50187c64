package sts

import (
	"strconv"

	"github.com/mantle-iam/mantle/internal/awsproto"
)

// The results every workload refreshing credentials asks for encode
// themselves: encoding/xml's reflection was a third of AssumeRole's time.
// TestAppendXMLMatchesEncodingXML keeps them byte-identical to encoding/xml.

func (c *Credentials) appendXML(b []byte) []byte {
	b = append(b, "<Credentials>"...)
	b = awsproto.AppendElement(b, "AccessKeyId", c.AccessKeyId)
	b = awsproto.AppendElement(b, "SecretAccessKey", c.SecretAccessKey)
	b = awsproto.AppendElement(b, "SessionToken", c.SessionToken)
	b = awsproto.AppendElement(b, "Expiration", c.Expiration)
	return append(b, "</Credentials>"...)
}

func (o *AssumeRoleOutput) AppendXML(b []byte) []byte {
	b = o.Credentials.appendXML(b)
	b = append(b, "<AssumedRoleUser>"...)
	b = awsproto.AppendElement(b, "AssumedRoleId", o.AssumedRoleUser.AssumedRoleId)
	b = awsproto.AppendElement(b, "Arn", o.AssumedRoleUser.Arn)
	b = append(b, "</AssumedRoleUser>"...)
	if o.PackedPolicySize != nil {
		b = awsproto.AppendElement(b, "PackedPolicySize", strconv.Itoa(*o.PackedPolicySize))
	}
	if o.SourceIdentity != "" {
		b = awsproto.AppendElement(b, "SourceIdentity", o.SourceIdentity)
	}
	return b
}

func (o *GetSessionTokenOutput) AppendXML(b []byte) []byte {
	return o.Credentials.appendXML(b)
}

func (o *GetCallerIdentityOutput) AppendXML(b []byte) []byte {
	b = awsproto.AppendElement(b, "UserId", o.UserId)
	b = awsproto.AppendElement(b, "Account", o.Account)
	return awsproto.AppendElement(b, "Arn", o.Arn)
}
