package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// Querier runs statements. Each backend adapts its driver (database/sql for
// SQLite, pgx for PostgreSQL) to it, once for reads and writes outside a
// transaction and once for a transaction's statements. Statements use $N
// placeholders, which both drivers bind by number.
type Querier interface {
	// Exec runs a write and reports how many rows it touched.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow reports its error, no row included, through Scan.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Row is one result row: *sql.Row, pgx.Row.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result set: pgx.Rows, or *sql.Rows behind a Close without result.
type Rows interface {
	Row
	Next() bool
	Err() error
	Close()
}

// Dialect is what the repositories need to know of a database beyond its
// SQL, which both backends share: the store error a driver error means.
type Dialect struct {
	// Name prefixes error messages ("sqlite", "postgres").
	Name string
	// Classify returns store.ErrNotFound for "no row",
	// store.ErrAlreadyExists for a unique violation, store.ErrConflict for a
	// foreign-key violation, and nil for any other error.
	Classify func(err error) error
}

// Wrap maps driver errors onto the store errors, keeping the driver error
// in the chain for logs and for the backend's retry decisions.
func (d *Dialect) Wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: %s: %w", d.Name, what, err)
	}
	if se := d.Classify(err); se != nil {
		return fmt.Errorf("%s: %s: %w: %w", d.Name, what, se, err)
	}
	return fmt.Errorf("%s: %s: %w", d.Name, what, err)
}

// Repos implements every repository of store.Repos except Events, which
// each backend stores its own way, over one Querier; a Store's Repos and a
// transaction's differ only in the Querier (and in how atomic gets a
// transaction), so every repository has a single code path.
type Repos struct {
	q      conn
	atomic func(ctx context.Context, fn func(q Querier) error) error
}

// New returns the repositories over q. atomic runs fn in a transaction: the
// current one when q is a transaction's, a new one otherwise; writes of
// several statements go through it.
func New(q Querier, d *Dialect, atomic func(ctx context.Context, fn func(q Querier) error) error) Repos {
	return Repos{q: conn{q, d}, atomic: atomic}
}

// conn is a Querier with the dialect that explains its errors.
type conn struct {
	Querier
	d *Dialect
}

func (r *Repos) inTx(ctx context.Context, fn func(q conn) error) error {
	return r.atomic(ctx, func(q Querier) error { return fn(conn{q, r.q.d}) })
}

func (r *Repos) Accounts() store.Accounts                 { return accounts{r} }
func (r *Repos) Users() store.Users                       { return users{r} }
func (r *Repos) AccessKeys() store.AccessKeys             { return accessKeys{r} }
func (r *Repos) LoginProfiles() store.LoginProfiles       { return loginProfiles{r} }
func (r *Repos) Groups() store.Groups                     { return groups{r} }
func (r *Repos) Roles() store.Roles                       { return roles{r} }
func (r *Repos) Policies() store.Policies                 { return policies{r} }
func (r *Repos) Attachments() store.Attachments           { return attachments{r} }
func (r *Repos) InlinePolicies() store.InlinePolicies     { return inlinePolicies{r} }
func (r *Repos) InstanceProfiles() store.InstanceProfiles { return instanceProfiles{r} }
func (r *Repos) MFADevices() store.MFADevices             { return mfaDevices{r} }
func (r *Repos) OIDCProviders() store.OIDCProviders       { return oidcProviders{r} }
func (r *Repos) SAMLProviders() store.SAMLProviders       { return samlProviders{r} }
func (r *Repos) Organizations() store.Organizations       { return organizations{r} }
func (r *Repos) SigningKeys() store.SigningKeys           { return signingKeys{r} }
func (r *Repos) UserCredentials() store.UserCredentials   { return userCredentials{r} }
func (r *Repos) ServerCertificates() store.ServerCertificates {
	return serverCertificates{r}
}
func (r *Repos) AccountSettings() store.AccountSettings { return accountSettings{r} }

type scanner = Row

// get runs a single-row query; no row is store.ErrNotFound.
func get[T any](ctx context.Context, q conn, scan func(scanner) (*T, error), what string, query string, args ...any) (*T, error) {
	v, err := scan(q.QueryRow(ctx, query, args...))
	if err != nil {
		return nil, q.d.Wrap(err, "get %s", what)
	}
	return v, nil
}

func list[T any](ctx context.Context, q conn, scan func(scanner) (*T, error), what string, query string, args ...any) (out []*T, err error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, q.d.Wrap(err, "list %s", what)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, q.d.Wrap(err, "list %s", what)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, q.d.Wrap(err, "list %s", what)
	}
	return out, nil
}

// exec runs a write; constraint failures become store errors.
func exec(ctx context.Context, q conn, what string, query string, args ...any) error {
	_, err := q.Exec(ctx, query, args...)
	return q.d.Wrap(err, "%s", what)
}

// execOne runs an update or delete of one keyed row; no row is
// store.ErrNotFound.
func execOne(ctx context.Context, q conn, what string, query string, args ...any) error {
	n, err := q.Exec(ctx, query, args...)
	if err != nil {
		return q.d.Wrap(err, "%s", what)
	}
	if n == 0 {
		return q.d.Wrap(store.ErrNotFound, "%s", what)
	}
	return nil
}

func count(ctx context.Context, q conn, what string, query string, args ...any) (int, error) {
	var n int
	if err := q.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, q.d.Wrap(err, "count %s", what)
	}
	return n, nil
}

// TimeLayout is fixed width (no trimmed zeros) so stored times order the
// same as text and as instants, and keeps every nanosecond, which
// PostgreSQL's timestamptz (microseconds) would not.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

// EncodeTime is how both backends store an instant: text in TimeLayout.
func EncodeTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// DecodeTime reads what EncodeTime stored.
func DecodeTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: bad stored time %q: %w", s, err)
	}
	return t, nil
}

var (
	encTime = EncodeTime
	decTime = DecodeTime
)

// encTimePtr maps nil to SQL NULL.
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

// The list and tag columns are JSON text.
var (
	encJSON    = EncodeList
	decTags    = DecodeTags
	decStrings = DecodeStrings
)

func lower(s string) string { return strings.ToLower(s) }

// limitArg turns ListOptions.Limit into a LIMIT value. "No limit" is the
// largest one rather than a dialect's own spelling (SQLite's -1,
// PostgreSQL's NULL), which keeps the statement text constant and shared.
func limitArg(n int) int64 {
	if n <= 0 {
		return math.MaxInt64
	}
	return int64(n)
}

// pathPrefix normalizes ListOptions.PathPrefix: "/" matches every path, so
// it is treated as no filter.
func pathPrefix(p string) string {
	if p == "/" {
		return ""
	}
	return p
}

// pathCond is a statement's condition that col starts with the prefix
// bound as $n: substr(col, 1, length(prefix)) = prefix, which both dialects
// evaluate alike (characters, byte-wise equality). With no prefix it is
// a test of $n against the empty string, true and about no column: PostgreSQL cannot estimate how many
// rows the substr test keeps, and guessing few it plans a page of a long
// list as a scan and a sort.
func pathCond(col string, n int, prefix string) string {
	p := "$" + strconv.Itoa(n)
	if prefix == "" {
		return p + " = ''"
	}
	return "substr(" + col + ", 1, length(CAST(" + p + " AS TEXT))) = " + p
}

// Blob keeps a nil slice from being bound as NULL in a NOT NULL column.
func Blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

var blob = Blob

// EventCols and ScanEvent read an audit event's row, which both backends
// store alike (each its own way of writing and finding them).
const EventCols = `e.id, e.account_id, e.event_time, e.name, e.source, e.access_key_id, e.username, e.read_only, e.record`

func ScanEvent(sc Row) (*store.Event, error) {
	var e store.Event
	var t string
	if err := sc.Scan(&e.ID, &e.AccountID, &t, &e.Name, &e.Source, &e.AccessKeyID, &e.Username, &e.ReadOnly, &e.Record); err != nil {
		return nil, err
	}
	var err error
	e.Time, err = decTime(t)
	return &e, err
}
