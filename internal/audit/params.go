package audit

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/store"
)

// hidden is what CloudTrail writes in place of a password.
const hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

// Parameters that never reach a record. Passwords show as hidden, as
// CloudTrail shows them; secrets, one-time codes and identity assertions
// are left out entirely.
var (
	hiddenFields  = map[string]bool{"Password": true, "OldPassword": true, "NewPassword": true}
	omittedFields = map[string]bool{
		"SecretAccessKey": true, "SessionToken": true, "TokenCode": true,
		"AuthenticationCode1": true, "AuthenticationCode2": true,
		"SAMLAssertion": true, "WebIdentityToken": true,
		"Base32StringSeed": true, "QRCodePNG": true, "PrivateKey": true,
		"ServicePassword": true, "ServiceCredentialSecret": true,
	}
)

// awsTime is the form CloudTrail gives times inside requestParameters and
// responseElements ("Jul 18, 2023, 4:07:39 PM"), unlike eventTime.
const awsTime = "Jan 2, 2006, 3:04:05 PM"

var timeType = reflect.TypeFor[time.Time]()

// Params turns a request input or an action output into the JSON value
// CloudTrail records: AWS's parameter names in camelCase, empty values
// left out, secrets redacted. nil when nothing is left, as CloudTrail has
// null for a call without parameters.
//
// It writes JSON directly from cached per-type field plans: building maps
// and marshalling them cost more than the AssumeRole call being recorded.
func Params(v any) any {
	if v == nil {
		return nil
	}
	if a, ok := v.(wire.Auditable); ok {
		b, ok := a.AppendAudit(nil)
		if !ok {
			return nil
		}
		return json.RawMessage(b)
	}
	b, ok := appendValue(nil, reflect.ValueOf(v), "")
	if !ok {
		return nil
	}
	return json.RawMessage(b)
}

// fieldPlan is how one struct field is recorded.
type fieldPlan struct {
	index  int
	name   string // AWS's name, which decides redaction and time parsing
	key    []byte // `"camelName":`
	hidden bool
}

var plans sync.Map // reflect.Type → []fieldPlan

func structPlan(t reflect.Type) []fieldPlan {
	if p, ok := plans.Load(t); ok {
		return p.([]fieldPlan)
	}
	var fields []fieldPlan
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := fieldName(f)
		if name == "" || omittedFields[name] {
			continue
		}
		key := appendString(nil, lowerFirst(name))
		fields = append(fields, fieldPlan{index: i, name: name, key: append(key, ':'), hidden: hiddenFields[name]})
	}
	plans.Store(t, fields)
	return fields
}

// appendValue appends v's JSON to b; false (and b unchanged) when v records
// as nothing: nil, zero times, empty structs and lists, byte blobs, maps.
func appendValue(b []byte, v reflect.Value, name string) ([]byte, bool) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return b, false
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct && v.Type().ConvertibleTo(timeType) {
		t := v.Convert(timeType).Interface().(time.Time)
		if t.IsZero() {
			return b, false
		}
		return appendString(b, t.UTC().Format(awsTime)), true
	}
	switch v.Kind() {
	case reflect.Struct:
		start := len(b)
		b = append(b, '{')
		n := 0
		for _, f := range structPlan(v.Type()) {
			fv := v.Field(f.index)
			if fv.IsZero() {
				continue
			}
			mark := len(b)
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, f.key...)
			if f.hidden {
				b = appendString(b, hidden)
			} else {
				var ok bool
				if b, ok = appendValue(b, fv, f.name); !ok {
					b = b[:mark]
					continue
				}
			}
			n++
		}
		if n == 0 {
			return b[:start], false
		}
		return append(b, '}'), true
	case reflect.Slice, reflect.Array:
		// Binary blobs (QR codes, seeds) are never recorded.
		if v.Len() == 0 || v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return b, false
		}
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendValue(b, v.Index(i), name); !ok {
				b = append(b, "null"...)
			}
		}
		return append(b, ']'), true
	case reflect.String:
		s := v.String()
		if name == "Expiration" {
			// STS results carry the expiry as ISO 8601 text.
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				s = t.UTC().Format(awsTime)
			}
		}
		return appendString(b, s), true
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), true
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, v.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return strconv.AppendFloat(b, v.Float(), 'g', -1, 64), true
	}
	return b, false
}

// appendString appends s as a JSON string: plain ASCII directly, anything
// else through encoding/json, which escapes as the rest of the record is.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// fieldName is AWS's name for a field: its XML element name when it has
// one ("Users>member" → "Users"), else the Go name (which input structs
// use as the parameter name).
func fieldName(f reflect.StructField) string {
	if tag, ok := f.Tag.Lookup("xml"); ok {
		tag, _, _ = strings.Cut(tag, ",")
		tag, _, _ = strings.Cut(tag, ">")
		if tag == "-" {
			return ""
		}
		if tag != "" {
			return tag
		}
	}
	if tag, ok := f.Tag.Lookup("json"); ok {
		tag, _, _ = strings.Cut(tag, ",")
		if tag == "-" {
			return ""
		}
		if tag != "" {
			return tag
		}
	}
	return f.Name
}

// lowerFirst is CloudTrail's camelCase of a parameter name: only the first
// letter changes ("RoleArn" → "roleArn", "SAMLProviderArn" → "sAMLProviderArn").
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// field returns the named field of the struct v points to, if any.
func field(v any, name string) (reflect.Value, bool) {
	if v == nil {
		return reflect.Value{}, false
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return reflect.Value{}, false
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	idx := fieldIndex(rv.Type(), name)
	if idx == nil {
		return reflect.Value{}, false
	}
	f := rv.FieldByIndex(idx)
	for f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return reflect.Value{}, false
		}
		f = f.Elem()
	}
	return f, true
}

type typeField struct {
	t    reflect.Type
	name string
}

// fieldIndexes caches field lookups by name: every event looks for the
// same dozen names in the same few hundred input and output types.
var fieldIndexes sync.Map // typeField → []int (nil when absent)

func fieldIndex(t reflect.Type, name string) []int {
	k := typeField{t, name}
	if v, ok := fieldIndexes.Load(k); ok {
		return v.([]int)
	}
	var idx []int
	if f, ok := t.FieldByName(name); ok {
		idx = f.Index
	}
	fieldIndexes.Store(k, idx)
	return idx
}

func stringField(v any, name string) string {
	if f, ok := v.(wire.Fields); ok {
		return f.StringField(name)
	}
	f, ok := field(v, name)
	if !ok || f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}

func structField(v any, name string) any {
	if f, ok := v.(wire.Fields); ok {
		if s := f.StructField(name); s != nil {
			return s
		}
		return nil
	}
	f, ok := field(v, name)
	if !ok || f.Kind() != reflect.Struct || !f.CanInterface() {
		return nil
	}
	return f.Interface()
}

// issuesCredentials reports a result holding temporary credentials.
func issuesCredentials(out any) bool {
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
func Resources(in, out any) []store.EventResource {
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
