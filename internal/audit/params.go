package audit

import (
	"encoding/json"
	"strings"

	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/store"
)

// Params is the JSON value CloudTrail records for a request input or an
// action output: the generated type's audit encoding (AWS's parameter
// names in camelCase, empty values left out, secrets hidden or left out,
// internal/api). nil when nothing is left, as CloudTrail has null for a
// call without parameters.
func Params(v wire.Auditable) any {
	if v == nil {
		return nil
	}
	b, ok := v.AppendAudit(nil)
	if !ok {
		return nil
	}
	return json.RawMessage(b)
}

// stringField is the named string member of v, "" when v is nil or has
// none.
func stringField(v wire.Fields, name string) string {
	if v == nil {
		return ""
	}
	return v.StringField(name)
}

// structField is the named structure member of v, nil when absent.
func structField(v wire.Fields, name string) wire.Fields {
	if v == nil {
		return nil
	}
	return v.StructField(name)
}

// issuesCredentials reports a result holding temporary credentials.
func issuesCredentials(out wire.Fields) bool {
	return stringField(structField(out, "Credentials"), "AccessKeyId") != ""
}

// resourceParams are the request parameters that name a resource, with
// CloudTrail's resource type for each.
var resourceParams = []struct{ param, typ string }{
	{"UserName", "AWS::IAM::User"},
	{"NewUserName", "AWS::IAM::User"},
	{"GroupName", "AWS::IAM::Group"},
	{"NewGroupName", "AWS::IAM::Group"},
	{"RoleName", "AWS::IAM::Role"},
	{"RoleArn", "AWS::IAM::Role"},
	{"PolicyArn", "AWS::IAM::Policy"},
	{"InstanceProfileName", "AWS::IAM::InstanceProfile"},
	{"AccessKeyId", "AWS::IAM::AccessKey"},
	{"OpenIDConnectProviderArn", "AWS::IAM::OIDCProvider"},
	{"SAMLProviderArn", "AWS::IAM::SAMLProvider"},
}

// Resources are the resources an event names, for LookupEvents'
// ResourceName and ResourceType: those the request names, and what the
// call created — the access key of new credentials above all, so that
// looking up a temporary key's ID as a resource finds the call that
// issued it.
func Resources(in, out wire.Fields) []store.EventResource {
	var rs []store.EventResource
	add := func(typ, name string) {
		if name == "" {
			return
		}
		for _, r := range rs {
			if r.Type == typ && r.Name == name {
				return
			}
		}
		rs = append(rs, store.EventResource{Type: typ, Name: name})
	}
	for _, p := range resourceParams {
		add(p.typ, stringField(in, p.param))
	}
	add("AWS::IAM::AccessKey", stringField(structField(out, "Credentials"), "AccessKeyId"))
	add("AWS::IAM::AccessKey", stringField(structField(out, "AccessKey"), "AccessKeyId"))
	if arn := stringField(structField(out, "AssumedRoleUser"), "Arn"); arn != "" {
		add("AWS::STS::AssumedRole", arn[strings.LastIndexByte(arn, '/')+1:])
	}
	if arn := stringField(structField(out, "FederatedUser"), "Arn"); arn != "" {
		add("AWS::STS::FederatedUser", arn[strings.LastIndexByte(arn, '/')+1:])
	}
	return rs
}
