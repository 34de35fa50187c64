package postgres

import (
	"fmt"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/store/sqlbase"
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

// The list and tag columns are JSON text, encoded as every SQL backend does.
var (
	encJSON    = sqlbase.EncodeList
	decTags    = sqlbase.DecodeTags
	decStrings = sqlbase.DecodeStrings
)

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
