package sqlite

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/store/sqlbase"
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

// The list and tag columns are JSON text, encoded as every SQL backend does.
var (
	encJSON    = sqlbase.EncodeList
	decTags    = sqlbase.DecodeTags
	decStrings = sqlbase.DecodeStrings
)

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
