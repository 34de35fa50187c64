package iamapi

import (
	"net/url"
	"strings"
	"testing"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// One case per kind of constraint, decoded from a Query form as a client
// sends it. The messages follow AWS's recorded answers:
//   - pattern on a listed member: "Value '…' at 'tags.6.member.value' failed to satisfy
//     constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*"
//     (IAM CreateUser, recorded in github.com/SWO-GS/auto-tag issue #90);
//   - pattern on a top-level member, the value echoed as sent: "Value '{:name=>\"my-instance\"}' at
//     'instanceProfileName' failed to satisfy constraint: Member must satisfy regular expression
//     pattern: [\w+=,.@-]+" (IAM, recorded in github.com/aws/aws-sdk-ruby issue #1025);
//   - length: "Value '…' at 'statementId' failed to satisfy constraint: Member must have
//     length less than or equal to 100" (github.com/matt-filion/serverless-external-s3-event #51);
//   - a list's size names no value ("Value at 'tags'"), as issue 10 records from AWS;
//   - absent required members: "Value null at 'userName' failed to satisfy constraint:
//     Member must not be null" (integration/testdata/golden/CreateUser-missing.xml).
func TestValidationMessages(t *testing.T) {
	tags51 := url.Values{"UserName": {"u"}}
	for i := 1; i <= 51; i++ {
		n := itoa(i)
		tags51["Tags.member."+n+".Key"] = []string{"k" + n}
		tags51["Tags.member."+n+".Value"] = []string{"v"}
	}
	for _, tc := range []struct {
		name string
		in   interface{ DecodeQuery(url.Values) error }
		form url.Values
		want string // "" for valid
	}{
		{"valid", &CreateUserInput{}, url.Values{"UserName": {"alice"}, "Path": {"/a/"}}, ""},
		{"required", &CreateUserInput{}, url.Values{},
			"1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
		{"required without length", &UpdateRoleDescriptionInput{}, url.Values{"RoleName": {"r"}},
			"1 validation error detected: Value null at 'description' failed to satisfy constraint: Member must not be null"},
		{"min length", &CreateUserInput{}, url.Values{"UserName": {""}},
			"1 validation error detected: Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"max length", &CreateUserInput{}, url.Values{"UserName": {strings.Repeat("a", 65)}},
			"1 validation error detected: Value '" + strings.Repeat("a", 65) + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"pattern", &CreateUserInput{}, url.Values{"UserName": {"a b"}},
			`1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"enum", &UpdateAccessKeyInput{}, url.Values{"AccessKeyId": {"AKIAIOSFODNN7EXAMPLE"}, "Status": {"On"}},
			"1 validation error detected: Value 'On' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"},
		{"range", &ListUsersInput{}, url.Values{"MaxItems": {"1001"}},
			"1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		{"not a number", &ListUsersInput{}, url.Values{"MaxItems": {"ten"}},
			"1 validation error detected: Value 'ten' at 'maxItems' failed to satisfy constraint: Member must be a number"},
		{"list size", &CreateUserInput{}, tags51,
			"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"listed member", &CreateUserInput{}, url.Values{"UserName": {"u"}, "Tags.member.1.Key": {"k"}, "Tags.member.1.Value": {"a;b"}},
			`1 validation error detected: Value 'a;b' at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`},
		{"listed required member", &CreateUserInput{}, url.Values{"UserName": {"u"}, "Tags.member.1.Key": {"k"}},
			"1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"},
		{"listed string", &UntagRoleInput{}, url.Values{"RoleName": {"r"}, "TagKeys.member.1": {"ok"}, "TagKeys.member.2": {strings.Repeat("k", 129)}},
			"1 validation error detected: Value '" + strings.Repeat("k", 129) + "' at 'tagKeys.2.member' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"every violation", &CreateUserInput{}, url.Values{"UserName": {"a b"}, "Path": {"x"}, "PermissionsBoundary": {"arn"}},
			`3 validation errors detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+; ` +
				`Value 'x' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F); ` +
				`Value 'arn' at 'permissionsBoundary' failed to satisfy constraint: Member must have length greater than or equal to 20`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.DecodeQuery(tc.form)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			e := awserr.As(err)
			if e == nil || e.Code != "ValidationError" || e.Message != tc.want {
				t.Fatalf("got  %v\nwant ValidationError: %s", err, tc.want)
			}
		})
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// A valid input decodes and validates without allocating beyond its own
// values.
func TestDecodeQueryAllocations(t *testing.T) {
	form := url.Values{"UserName": {"alice"}, "Path": {"/a/"}}
	n := testing.AllocsPerRun(100, func() {
		var in CreateUserInput
		if err := in.DecodeQuery(form); err != nil {
			t.Fatal(err)
		}
	})
	if n > 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

func TestRoundTrip(t *testing.T) {
	var in CreateUserInput
	form := url.Values{"UserName": {"alice"}, "Path": {"/a/"}, "Tags.member.1.Key": {"team"}, "Tags.member.1.Value": {"a+b@c"}}
	if err := in.DecodeQuery(form); err != nil {
		t.Fatal(err)
	}
	if in.UserName != "alice" || in.Path != "/a/" || len(in.Tags) != 1 || in.Tags[0].Value != "a+b@c" {
		t.Fatalf("decoded %+v", in)
	}
	out := CreateUserOutput{User: &User{Path: in.Path, UserName: in.UserName, UserId: "AIDA", Arn: "arn:aws:iam::1:user/a/alice", Tags: in.Tags}}
	want := `<User><Path>/a/</Path><UserName>alice</UserName><UserId>AIDA</UserId><Arn>arn:aws:iam::1:user/a/alice</Arn>` +
		`<Tags><member><Key>team</Key><Value>a+b@c</Value></member></Tags></User>`
	if got := string(out.AppendXML(nil)); got != want {
		t.Errorf("XML\ngot  %s\nwant %s", got, want)
	}
	audit, ok := in.AppendAudit(nil)
	if want := `{"userName":"alice","path":"/a/","tags":[{"key":"team","value":"a+b@c"}]}`; !ok || string(audit) != want {
		t.Errorf("audit\ngot  %s\nwant %s", audit, want)
	}
	if in.StringField("UserName") != "alice" || out.StructField("User").StringField("Arn") == "" || out.StructField("Nope") != nil {
		t.Error("field access")
	}
	pw := CreateLoginProfileInput{UserName: "alice", Password: "secret"}
	if got, _ := pw.AppendAudit(nil); string(got) != `{"userName":"alice","password":"HIDDEN_DUE_TO_SECURITY_REASONS"}` {
		t.Errorf("password recorded as %s", got)
	}
}
