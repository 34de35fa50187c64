package api_test

import (
	"context"
	"net/url"
	"testing"

	cloudtrailapi "github.com/mantle-iam/mantle/internal/api/cloudtrail"
	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/awserr"
)

// Whatever the form, every Query operation's decoder answers with its input
// or an AWS error, and a decoded input writes its audit value.
func FuzzDecodeQuery(f *testing.F) {
	for _, q := range []string{
		"UserName=a&Path=%2F&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"Tags.member.1.Key=&Tags.member.3.Value=x&MaxItems=ten",
		"PolicyArns.member.1.arn=x&DurationSeconds=99999999999999999999&TokenCode=%ff",
		"ContextEntries.member.1.ContextKeyValues.member.1=%00&ContextEntries.member.1.ContextKeyType=ip",
		"ThumbprintList=&ClientIDList.member.1=" + string(make([]byte, 300)),
	} {
		f.Add(q)
	}
	var ops []wire.Operation
	ops = append(ops, (&iamapi.Handlers{}).Operations()...)
	ops = append(ops, (&stsapi.Handlers{}).Operations()...)
	f.Fuzz(func(t *testing.T, q string) {
		form, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		for _, op := range ops {
			in, err := op.DecodeQuery(form)
			if err != nil && awserr.As(err) == nil {
				t.Fatalf("%s: non-AWS error %v", op.Name, err)
			}
			in.AppendAudit(nil)
		}
	})
}

// The same for JSON 1.1 bodies; an operation without a handler answers
// NotImplemented.
func FuzzDecodeJSON(f *testing.F) {
	for _, b := range []string{
		`{"AccountName":"dev","Email":"a@b.c","Tags":[{"Key":"k","Value":"v"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"x"}],"StartTime":1.7e9,"MaxResults":51}`,
		`{"QueryParameterValues":{"a":"b"},"Nested":[[{}]]}`,
		`{"MaxResults":"x"}`, `[`, ``, `null`,
	} {
		f.Add([]byte(b))
	}
	var ops []wire.Operation
	ops = append(ops, (&orgsapi.Handlers{}).Operations()...)
	ops = append(ops, (&cloudtrailapi.Handlers{}).Operations()...)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, op := range ops {
			in, err := op.DecodeJSON(body)
			if err != nil && awserr.As(err) == nil {
				t.Fatalf("%s: non-AWS error %v", op.Name, err)
			}
			in.AppendAudit(nil)
			if _, err := op.Call(context.Background(), nil, in); !awserr.HasCode(err, "NotImplemented") {
				t.Fatalf("%s without a handler: %v", op.Name, err)
			}
		}
	})
}
