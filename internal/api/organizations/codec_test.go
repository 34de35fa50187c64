package orgsapi

import (
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

func TestJSONErrors(t *testing.T) {
	for _, tc := range []struct{ body, code string }{
		{`{"AccountName":`, "SerializationException"},
		{`{"AccountName":1}`, "SerializationException"},
		{`{} {}`, "SerializationException"},
		{``, "ValidationError"}, // required members absent
		{`{"Email":"a@b.c","AccountName":""}`, "ValidationError"},
	} {
		var in CreateAccountInput
		if e := awserr.As(in.DecodeJSON([]byte(tc.body))); e == nil || e.Code != tc.code {
			t.Errorf("%q: got %v, want %s", tc.body, e, tc.code)
		}
	}
}
