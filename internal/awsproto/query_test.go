package awsproto

import (
	"encoding/xml"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mantle-iam/mantle/internal/awserr"
)

type tag struct {
	Key   string `aws:"required,min=1,max=128"`
	Value string `aws:"required,max=256"`
}

type createUserInput struct {
	UserName            string `aws:"required,min=1,max=64" pattern:"[\\w+=,.@-]+"`
	Path                string `aws:"min=1,max=512"`
	PermissionsBoundary *string
	Tags                []tag `aws:"max=50"`
	MaxItems            *int  `aws:"min=1,max=1000"`
	Force               bool
	Names               []string
	Status              string `enum:"Active|Inactive"`
}

func decode(t *testing.T, q string) (*createUserInput, error) {
	t.Helper()
	form, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	var in createUserInput
	return &in, DecodeQuery(form, &in)
}

// The message shapes follow what IAM returns, e.g. "1 validation error
// detected: Value '…' at 'tags.6.member.value' failed to satisfy constraint:
// Member must satisfy regular expression pattern: …".
func TestDecodeQueryValidation(t *testing.T) {
	tests := []struct {
		query, want string
	}{
		{"Path=/", "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
		{"UserName=bad%20name", `1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"UserName=" + strings.Repeat("a", 65), "1 validation error detected: Value '" + strings.Repeat("a", 65) + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"UserName=a&MaxItems=0", "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"UserName=a&Tags.member.1.Value=v", "1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null"},
		{"UserName=a&Status=On", "1 validation error detected: Value 'On' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"},
		{"UserName=a+b&MaxItems=2000", "2 validation errors detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; Value '2000' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		{"UserName=a&MaxItems=x", "1 validation error detected: Value 'x' at 'maxItems' failed to satisfy constraint: Member must be a number"},
	}
	for _, tt := range tests {
		_, err := decode(t, tt.query)
		e := awserr.As(err)
		if e == nil || e.Code != "ValidationError" || e.Message != tt.want {
			t.Errorf("%s:\n got %v\nwant %s", tt.query, err, tt.want)
		}
	}
}

func TestDecodeQueryValues(t *testing.T) {
	in, err := decode(t, "UserName=alice&Path=%2Fdev%2F&PermissionsBoundary=&Tags.member.1.Key=team&Tags.member.1.Value=x&Tags.member.2.Key=env&Tags.member.2.Value=&MaxItems=5&Force=true&Names.member.1=a&Names.member.2=b&Unknown=1")
	if err != nil {
		t.Fatal(err)
	}
	if in.UserName != "alice" || in.Path != "/dev/" || in.PermissionsBoundary == nil || *in.PermissionsBoundary != "" ||
		len(in.Tags) != 2 || in.Tags[1] != (tag{"env", ""}) || *in.MaxItems != 5 || !in.Force ||
		strings.Join(in.Names, ",") != "a,b" {
		t.Fatalf("decoded %+v", in)
	}
	in, err = decode(t, "UserName=bob&Tags=")
	if err != nil || in.Tags == nil || len(in.Tags) != 0 || in.MaxItems != nil {
		t.Fatalf("empty list: %+v %v", in, err)
	}
}

type listResult struct {
	Users       []string `xml:"Users>member"`
	IsTruncated bool
}

func TestWriteXML(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := WriteXML(rec, IAMNamespace, "ListUsers", "req-1", &listResult{Users: []string{"a&b"}}); err != nil {
		t.Fatal(err)
	}
	want := `<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><Users><member>a&amp;b</member></Users><IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListUsersResponse>`
	if got := rec.Body.String(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if rec.Header().Get("x-amzn-RequestId") != "req-1" || rec.Header().Get("Content-Type") != "text/xml" {
		t.Fatalf("headers %v", rec.Header())
	}
	var v struct{ XMLName xml.Name }
	if err := xml.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
}

func TestWriteXMLError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteXMLError(rec, IAMNamespace, "req-2", awserr.NoSuchEntity("The user with name <bob> cannot be found."))
	want := `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name &lt;bob&gt; cannot be found.</Message></Error><RequestId>req-2</RequestId></ErrorResponse>`
	if rec.Code != 404 || rec.Body.String() != want {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	WriteXMLError(rec, STSNamespace, "req-3", errorString("db is on fire"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "fire") || !strings.Contains(rec.Body.String(), "<Type>Receiver</Type><Code>InternalFailure</Code>") {
		t.Fatalf("internal error leaked or misshaped: %d %s", rec.Code, rec.Body.String())
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestNewRequestID(t *testing.T) {
	id := NewRequestID()
	if len(id) != 36 || id[8] != '-' || id[14] != '4' || id == NewRequestID() {
		t.Fatalf("bad id %s", id)
	}
}

func FuzzDecodeQuery(f *testing.F) {
	f.Add("UserName=a&Tags.member.1.Key=k&Tags.member.1.Value=v&MaxItems=3")
	f.Add("Tags.member.1.Key=&Names.member.1=%ff&Force=maybe")
	f.Fuzz(func(t *testing.T, q string) {
		form, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		var in createUserInput
		if err := DecodeQuery(form, &in); err != nil && awserr.As(err) == nil {
			t.Fatalf("non-AWS error %v", err)
		}
	})
}

func TestJavaPatterns(t *testing.T) {
	type in struct {
		Path string `pattern:"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"`
	}
	if err := Prepare(&in{}); err != nil {
		t.Fatal(err)
	}
	for q, ok := range map[string]bool{"Path=%2Fa%2F": true, "Path=%2F": true, "Path=a": false} {
		form, _ := url.ParseQuery(q)
		var v in
		if err := DecodeQuery(form, &v); (err == nil) != ok {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestWireNameOverride(t *testing.T) {
	type arnType struct {
		Arn string `query:"arn" aws:"min=20"`
	}
	type in struct{ PolicyArns []arnType }
	form, _ := url.ParseQuery("PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess&PolicyArns.member.2.arn=short")
	var v in
	err := DecodeQuery(form, &v)
	if len(v.PolicyArns) != 2 || v.PolicyArns[0].Arn != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Fatalf("decoded %+v", v)
	}
	if e := awserr.As(err); e == nil || !strings.Contains(e.Message, "at 'policyArns.2.member.arn'") {
		t.Fatalf("err %v", err)
	}
}

func TestListOmitsEmpty(t *testing.T) {
	type out struct {
		Tags  List[tag] `xml:"Tags,omitempty"`
		Names List[string]
	}
	b, err := xml.Marshal(out{Names: List[string]{}})
	if err != nil || string(b) != "<out><Names></Names></out>" {
		t.Fatalf("%s %v", b, err)
	}
	b, _ = xml.Marshal(out{Tags: List[tag]{{"k", "v"}}, Names: List[string]{"a"}})
	if string(b) != "<out><Tags><member><Key>k</Key><Value>v</Value></member></Tags><Names><member>a</member></Names></out>" {
		t.Fatalf("%s", b)
	}
}

// "UserName=" is present and empty: AWS reports its length, not null.
func TestEmptyVersusAbsent(t *testing.T) {
	_, err := decode(t, "UserName=")
	want := "1 validation error detected: Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1"
	if e := awserr.As(err); e == nil || e.Message != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
