package awsproto

import (
	"encoding/xml"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// listResult encodes itself, as the generated outputs do.
type listResult struct{ users []string }

func (l *listResult) AppendXML(b []byte) []byte {
	b = append(b, "<Users>"...)
	for _, u := range l.users {
		b = AppendElement(b, "member", u)
	}
	return append(b, "</Users><IsTruncated>false</IsTruncated>"...)
}

func TestWriteXML(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteXML(rec, IAMNamespace, "ListUsers", "req-1", &listResult{users: []string{"a&b"}})
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
