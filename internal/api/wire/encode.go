package wire

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/mantle-iam/mantle/internal/awsproto"
)

// XML text and elements are escaped by awsproto, the one place that knows
// what AWS escapes.

// AppendXMLString appends <name>text</name>.
func AppendXMLString(b []byte, name, s string) []byte { return awsproto.AppendElement(b, name, s) }

// AppendXMLInt appends <name>n</name>.
func AppendXMLInt(b []byte, name string, n int64) []byte {
	b = append(append(append(b, '<'), name...), '>')
	b = strconv.AppendInt(b, n, 10)
	return append(append(append(b, '<', '/'), name...), '>')
}

// AppendXMLFloat appends <name>f</name>.
func AppendXMLFloat(b []byte, name string, f float64) []byte {
	return appendXMLRaw(b, name, strconv.FormatFloat(f, 'g', -1, 64))
}

// AppendXMLBool appends <name>true|false</name>.
func AppendXMLBool(b []byte, name string, v bool) []byte {
	return appendXMLRaw(b, name, strconv.FormatBool(v))
}

// AppendXMLTime appends a timestamp as the Query protocol writes it
// (ISO 8601, UTC: "2026-01-02T15:04:05Z").
func AppendXMLTime(b []byte, name string, t time.Time) []byte {
	b = append(append(append(b, '<'), name...), '>')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(append(append(b, '<', '/'), name...), '>')
}

// AppendXMLBlob appends a blob, base64-encoded.
func AppendXMLBlob(b []byte, name string, v []byte) []byte {
	return appendXMLRaw(b, name, base64Std(v))
}

func appendXMLRaw(b []byte, name, text string) []byte {
	b = append(append(append(b, '<'), name...), '>')
	b = append(b, text...)
	return append(append(append(b, '<', '/'), name...), '>')
}

// Open appends <name>; Close appends </name>.
func Open(b []byte, name string) []byte  { return append(append(append(b, '<'), name...), '>') }
func Close(b []byte, name string) []byte { return append(append(append(b, '<', '/'), name...), '>') }

// SortedKeys returns a map's keys in order, so maps encode the same way
// every time.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AppendJSONString appends s as a JSON string: plain ASCII directly,
// anything else through encoding/json, which escapes as the rest of
// mantle's JSON is escaped.
func AppendJSONString(b []byte, s string) []byte {
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

// AppendJSONKey appends `,"name":` (without the comma for the first member).
func AppendJSONKey(b []byte, first bool, name string) []byte {
	if !first {
		b = append(b, ',')
	}
	b = AppendJSONString(b, name)
	return append(b, ':')
}

// AppendJSONTime appends a timestamp as the JSON protocols write it:
// seconds since the epoch.
func AppendJSONTime(b []byte, t time.Time) []byte { return strconv.AppendInt(b, t.Unix(), 10) }

// AppendJSONFloat appends a number.
func AppendJSONFloat(b []byte, f float64) []byte { return strconv.AppendFloat(b, f, 'g', -1, 64) }

// AppendJSONBlob appends a blob as a base64 string.
func AppendJSONBlob(b []byte, v []byte) []byte { return AppendJSONString(b, base64Std(v)) }
