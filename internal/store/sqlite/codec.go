package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// timeLayout is fixed width (no trimmed zeros) so stored times order the
// same as strings and as instants, and keeps every nanosecond.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func encTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func decTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: bad stored time %q: %w", s, err)
	}
	return t, nil
}

func encTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return encTime(*t)
}

func decTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := decTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// encJSON stores nil and empty slices alike as "[]"; decJSON gives back nil
// for an empty list so callers see one representation of "none".
func encJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode: %w", err)
	}
	if string(b) == "null" {
		return "[]", nil
	}
	return string(b), nil
}

func decTags(s string) ([]store.Tag, error) {
	var tags []store.Tag
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("sqlite: bad stored tags: %w", err)
	}
	if len(tags) == 0 {
		return nil, nil
	}
	return tags, nil
}

func decStrings(s string) ([]string, error) {
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("sqlite: bad stored list: %w", err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

func lower(s string) string { return strings.ToLower(s) }

// limitArg turns ListOptions.Limit into a LIMIT value; SQLite reads a
// negative limit as none, which keeps the statement text constant.
func limitArg(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// scanner is what a *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}
