package awsproto

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// Namespaces of the Query services mantle serves.
const (
	IAMNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	STSNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// NewRequestID returns a random UUID, the form of AWS's request IDs.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return FormatUUID(b)
}

// FormatUUID writes b in the canonical 8-4-4-4-12 hex form.
func FormatUUID(b [16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// WriteXML writes a Query protocol response:
//
//	<ActionResponse xmlns="ns"><ActionResult>…</ActionResult>
//	<ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></ActionResponse>
//
// result (a generated output, internal/api) appends itself inside
// ActionResult; a nil result writes no Result element, as AWS does for
// actions that return nothing.
func WriteXML(w http.ResponseWriter, ns, action, requestID string, result XMLAppender) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	buf.WriteString(`<` + action + `Response xmlns="` + ns + `">`)
	if result != nil {
		buf.WriteString(`<` + action + `Result>`)
		buf.Write(result.AppendXML(buf.AvailableBuffer()))
		buf.WriteString(`</` + action + `Result>`)
	}
	buf.WriteString(`<ResponseMetadata><RequestId>` + requestID + `</RequestId></ResponseMetadata></` + action + `Response>`)
	writeBody(w, "text/xml", requestID, http.StatusOK, buf.Bytes())
}

// XMLAppender is a result that encodes itself: every generated output of a
// Query operation.
type XMLAppender interface {
	AppendXML(dst []byte) []byte
}

// JSONAppender is implemented by the generated outputs of JSON 1.1
// operations.
type JSONAppender interface {
	AppendJSON(dst []byte) []byte
}

// AppendElement appends <name>escaped text</name>.
func AppendElement(dst []byte, name, text string) []byte {
	dst = append(dst, '<')
	dst = append(dst, name...)
	dst = append(dst, '>')
	dst = AppendEscaped(dst, text)
	dst = append(dst, '<', '/')
	dst = append(dst, name...)
	return append(dst, '>')
}

// AppendEscaped appends s escaped as encoding/xml escapes character data
// (quotes and whitespace as character references; see appendXMLText).
func AppendEscaped(dst []byte, s string) []byte { return appendXMLText(dst, s, true) }

// appendXMLText escapes s as XML 1.0 character data. Characters XML 1.0
// cannot carry at all (C0 controls other than tab, newline and return,
// U+FFFE, U+FFFF) and invalid UTF-8 become U+FFFD, as encoding/xml writes
// them: a character reference such as &#1; is no better, XML parsers refuse
// it too (S3 echoes them, and botocore cannot parse its answer,
// boto/botocore#3496). Error messages echo the caller's input ("Value
// 'a\x01b' at 'userName' …"), so every response must survive this. attr
// also escapes quotes, tab, newline and return as encoding/xml does;
// without it only &, < and > are escaped so messages keep their quotes as
// AWS writes them.
func appendXMLText(dst []byte, s string, attr bool) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		width := 1
		switch {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case attr && c == '"':
			esc = "&#34;"
		case attr && c == '\'':
			esc = "&#39;"
		case attr && c == '\t':
			esc = "&#x9;"
		case attr && c == '\n':
			esc = "&#xA;"
		case attr && c == '\r':
			esc = "&#xD;"
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			esc = "\uFFFD"
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			width = n
			if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
				esc = "\uFFFD"
			} else {
				i += n
				continue
			}
		default:
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, esc...)
		i += width
		start = i
	}
	return append(dst, s[start:]...)
}

// WriteXMLError writes AWS's Query error document. Any error that is not an
// *awserr.Error is reported as InternalFailure; the caller logs the cause.
func WriteXMLError(w http.ResponseWriter, ns, requestID string, err error) {
	e := awserr.As(err)
	if e == nil {
		e = awserr.InternalFailure()
	}
	typ := "Sender"
	if e.Receiver {
		typ = "Receiver"
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	buf.WriteString(`<ErrorResponse xmlns="` + ns + `"><Error><Type>` + typ + `</Type><Code>`)
	buf.Write(appendText(buf.AvailableBuffer(), e.Code))
	buf.WriteString(`</Code><Message>`)
	buf.Write(appendText(buf.AvailableBuffer(), e.Message))
	buf.WriteString(`</Message></Error><RequestId>` + requestID + `</RequestId></ErrorResponse>`)
	writeBody(w, "text/xml", requestID, status(e), buf.Bytes())
}

// WriteRESTXMLError writes the error document of REST-XML services (S3):
// a bare <Error> root.
func WriteRESTXMLError(w http.ResponseWriter, requestID string, err error) {
	writeXMLErrorIn(w, requestID, err, `<Error>`, `<RequestId>`+requestID+`</RequestId></Error>`)
}

// WriteEC2Error writes the error document of the EC2 protocol:
// <Response><Errors><Error>…</Error></Errors><RequestID>…</RequestID>.
func WriteEC2Error(w http.ResponseWriter, requestID string, err error) {
	writeXMLErrorIn(w, requestID, err, `<Response><Errors><Error>`,
		`</Error></Errors><RequestID>`+requestID+`</RequestID></Response>`)
}

func writeXMLErrorIn(w http.ResponseWriter, requestID string, err error, open, close string) {
	e := awserr.As(err)
	if e == nil {
		e = awserr.InternalFailure()
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	buf.WriteString(open + `<Code>`)
	buf.Write(appendText(buf.AvailableBuffer(), e.Code))
	buf.WriteString(`</Code><Message>`)
	buf.Write(appendText(buf.AvailableBuffer(), e.Message))
	buf.WriteString(`</Message>`)
	buf.WriteString(close)
	writeBody(w, "text/xml", requestID, status(e), buf.Bytes())
}

// appendText escapes only what XML requires in character data, so messages
// keep their quotes as AWS writes them ("Value null at 'userName' …").
func appendText(dst []byte, s string) []byte { return appendXMLText(dst, s, false) }

// WriteJSON writes an AWS JSON 1.1 protocol response: the generated
// output's JSON, or {} for an operation without output.
func WriteJSON(w http.ResponseWriter, requestID string, result JSONAppender) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	if result != nil {
		buf.Write(result.AppendJSON(buf.AvailableBuffer()))
	} else {
		buf.WriteString("{}")
	}
	writeBody(w, "application/x-amz-json-1.1", requestID, http.StatusOK, buf.Bytes())
}

// WriteJSONError writes AWS's JSON 1.1 error shape. JSON services name their
// codes with an "Exception" suffix where the Query services do not.
func WriteJSONError(w http.ResponseWriter, requestID string, err error) {
	e := awserr.As(err)
	if e == nil {
		e = awserr.InternalFailure()
	}
	// Both spellings of the message: some services model it as "message"
	// (Organizations), others as "Message" (CloudTrail), and the newer
	// SDKs' schema-based decoders match the member name exactly.
	body, _ := json.Marshal(struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
		Reason   string `json:"Reason,omitempty"`
	}{jsonCode(e.Code), e.Message, e.Message, e.Reason})
	w.Header().Set("X-Amzn-Errortype", jsonCode(e.Code))
	writeBody(w, "application/x-amz-json-1.1", requestID, status(e), body)
}

func status(e *awserr.Error) int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

func writeBody(w http.ResponseWriter, contentType, requestID string, code int, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["X-Amzn-Requestid"] = []string{requestID}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
