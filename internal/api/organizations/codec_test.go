package orgsapi

import (
	"strings"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/awserr"
)

func TestJSONRoundTrip(t *testing.T) {
	var in CreateAccountInput
	if err := in.DecodeJSON([]byte(`{"AccountName":"dev","Email":"dev@example.com","Tags":[{"Key":"team","Value":"a"}],"Unknown":{"x":[1,2]}}`)); err != nil {
		t.Fatal(err)
	}
	if in.AccountName != "dev" || in.Email != "dev@example.com" || len(in.Tags) != 1 || in.Tags[0].Key != "team" {
		t.Fatalf("decoded %+v", in)
	}
	// Organizations' account names and emails are sensitive in the model:
	// CloudTrail hides them.
	if got, _ := in.AppendAudit(nil); string(got) != `{"email":"HIDDEN_DUE_TO_SECURITY_REASONS","accountName":"HIDDEN_DUE_TO_SECURITY_REASONS","tags":[{"key":"team","value":"a"}]}` &&
		string(got) != `{"accountName":"HIDDEN_DUE_TO_SECURITY_REASONS","email":"HIDDEN_DUE_TO_SECURITY_REASONS","tags":[{"key":"team","value":"a"}]}` {
		t.Errorf("audit %s", got)
	}
	when := time.Unix(1700000000, 0).UTC()
	out := DescribeAccountOutput{Account: &Account{Id: "111122223333", Name: "dev", JoinedTimestamp: when}}
	if got, want := string(out.AppendJSON(nil)), `{"Account":{"Id":"111122223333","Name":"dev","JoinedTimestamp":1700000000}}`; got != want {
		t.Errorf("JSON\ngot  %s\nwant %s", got, want)
	}
}

// Organizations reports a violated constraint as InvalidInputException
// naming the kind of the first violation ("You provided a value that does
// not match the required pattern.", recorded in github.com/openshift/osdctl
// pull request #204), not IAM's ValidationError list; malformed JSON is a
// SerializationException.
func TestJSONErrors(t *testing.T) {
	for _, tc := range []struct{ body, code, msg string }{
		{`{"AccountName":`, "SerializationException", ""},
		{`{"AccountName":1}`, "SerializationException", ""},
		{`{} {}`, "SerializationException", ""},
		{`{} x`, "SerializationException", ""},
		{`{"Tags":[{"Key":"k","Value":"v"}],"Unknown":[1,{"a":null}]`, "SerializationException", ""},
		{``, "InvalidInputException", "You must include a value for all required parameters."},
		{`{"Email":"a@b.c","AccountName":""}`, "InvalidInputException", "You provided a string parameter that is shorter than allowed."},
		{`{"Email":"not-an-email","AccountName":"x"}`, "InvalidInputException", "You provided a value that does not match the required pattern."},
		{`{"Email":"ab@c.de","AccountName":"` + strings.Repeat("x", 51) + `"}`, "InvalidInputException", "You provided a string parameter that is longer than allowed."},
		{`{"Email":"ab@c.de","AccountName":"x","IamUserAccessToBilling":"MAYBE"}`, "InvalidInputException", "You specified an invalid value."},
	} {
		var in CreateAccountInput
		e := awserr.As(in.DecodeJSON([]byte(tc.body)))
		if e == nil || e.Code != tc.code || tc.msg != "" && e.Message != tc.msg {
			t.Errorf("%q: got %v, want %s %s", tc.body, e, tc.code, tc.msg)
		}
	}
	var in ListAccountsInput
	if e := awserr.As(in.DecodeJSON([]byte(`{"MaxResults":21}`))); e == nil || e.Message != "You provided a numeric parameter that has a larger value than allowed." {
		t.Errorf("MaxResults 21: %v", e)
	}
}
