package postgres

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// timeLayout is fixed width (no trimmed zeros) so stored times order the
// same as text and as instants, and keeps every nanosecond, which
// timestamptz (microseconds) would not.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func encTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func decTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("postgres: bad stored time %q: %w", s, err)
	}
	return t, nil
}

// encTimePtr maps nil to SQL NULL.
func encTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := encTime(*t)
	return &s
}

func decTimePtr(s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := decTime(*s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// encJSON stores nil and empty slices alike as "[]"; the decoders give back
// nil for an empty list so callers see one representation of "none". pgx
// passes a string to a jsonb parameter as JSON text.
func encJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("postgres: encode: %w", err)
	}
	if string(b) == "null" {
		return "[]", nil
	}
	return string(b), nil
}

func decTags(s string) ([]store.Tag, error) {
	var tags []store.Tag
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("postgres: bad stored tags: %w", err)
	}
	if len(tags) == 0 {
		return nil, nil
	}
	return tags, nil
}

func decStrings(s string) ([]string, error) {
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("postgres: bad stored list: %w", err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

func lower(s string) string { return strings.ToLower(s) }

// limitArg turns ListOptions.Limit into a LIMIT value: NULL is no limit in
// PostgreSQL, which keeps the statement text constant.
func limitArg(n int) any {
	if n <= 0 {
		return nil
	}
	return n
}

// pathPrefix normalizes ListOptions.PathPrefix: "/" matches every path, so
// it is treated as no filter.
func pathPrefix(p string) string {
	if p == "/" {
		return ""
	}
	return p
}

// blob keeps a nil slice from being bound as NULL in a NOT NULL column.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// scanner is what pgx.Row and pgx.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}
