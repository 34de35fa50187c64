package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// JSON reads an AWS JSON 1.1 request body token by token for the generated
// decoders. The first error sticks: every later read returns zero values,
// and Err reports it as AWS's SerializationException.
type JSON struct {
	dec *json.Decoder
	err error
}

// NewJSON reads body.
func NewJSON(body []byte) *JSON {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	return &JSON{dec: d}
}

// Empty reports a body with nothing but white space, which the SDKs send
// for an input without members.
func Empty(body []byte) bool { return len(bytes.TrimSpace(body)) == 0 }

var errShape = errors.New("unexpected JSON")

func (j *JSON) token() json.Token {
	if j.err != nil {
		return nil
	}
	t, err := j.dec.Token()
	if err != nil {
		j.err = err
		return nil
	}
	return t
}

// Object starts reading an object: false for null (an absent value) or an
// error.
func (j *JSON) Object() bool {
	t := j.token()
	if d, ok := t.(json.Delim); ok && d == '{' {
		return true
	}
	if t != nil {
		j.err = errShape
	}
	return false
}

// Array starts reading an array: false for null or an error.
func (j *JSON) Array() bool {
	t := j.token()
	if d, ok := t.(json.Delim); ok && d == '[' {
		return true
	}
	if t != nil {
		j.err = errShape
	}
	return false
}

// More reports whether the object or array being read has another member
// or element; at its end it consumes the closing delimiter.
func (j *JSON) More() bool {
	if j.err != nil {
		return false
	}
	if j.dec.More() {
		return true
	}
	j.token() // '}' or ']'
	return false
}

// Key reads an object's next member name.
func (j *JSON) Key() string {
	s, _ := j.token().(string)
	return s
}

// Skip reads and discards a value of any shape.
func (j *JSON) Skip() {
	depth := 0
	for {
		t := j.token()
		if j.err != nil {
			return
		}
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return
		}
	}
}

// String reads a string; false for null.
func (j *JSON) String() (string, bool) {
	switch t := j.token().(type) {
	case string:
		return t, true
	case nil:
		return "", false
	}
	j.err = errShape
	return "", false
}

func (j *JSON) number() (json.Number, bool) {
	switch t := j.token().(type) {
	case json.Number:
		return t, true
	case nil:
		return "", false
	}
	j.err = errShape
	return "", false
}

// Int reads an integer.
func (j *JSON) Int() *int {
	n, ok := j.number()
	if !ok {
		return nil
	}
	i, err := strconv.Atoi(string(n))
	if err != nil {
		j.err = err
		return nil
	}
	return &i
}

// Int64 reads a long.
func (j *JSON) Int64() *int64 {
	n, ok := j.number()
	if !ok {
		return nil
	}
	i, err := n.Int64()
	if err != nil {
		j.err = err
		return nil
	}
	return &i
}

// Float reads a double or float.
func (j *JSON) Float() *float64 {
	n, ok := j.number()
	if !ok {
		return nil
	}
	f, err := n.Float64()
	if err != nil {
		j.err = err
		return nil
	}
	return &f
}

// Bool reads a boolean.
func (j *JSON) Bool() *bool {
	switch t := j.token().(type) {
	case bool:
		return &t
	case nil:
		return nil
	}
	j.err = errShape
	return nil
}

// Time reads a timestamp: seconds since the epoch, fractions allowed.
func (j *JSON) Time() (time.Time, bool) {
	n, ok := j.number()
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		j.err = err
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// Blob reads a base64 string.
func (j *JSON) Blob() []byte {
	s, ok := j.String()
	if !ok {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		j.err = err
		return nil
	}
	return b
}

// Err is the decoding error as AWS reports it, nil when the body was read
// to its end without one.
func (j *JSON) Err() error {
	if j.err == nil {
		if _, err := j.dec.Token(); err != io.EOF {
			j.err = errShape // trailing data
		}
	}
	if j.err != nil {
		return awserr.New("SerializationException", http.StatusBadRequest, "Start of structure or map found where not expected.")
	}
	return nil
}
