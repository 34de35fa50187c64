package sqlite

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/store"
)

const scaleAccount = "123456789012"

// trail makes realistic events the way the server records them: mostly
// AssumeRole by a thousand users, with GetCallerIdentity mixed in, ten
// thousand a second from start.
type trail struct {
	rng   *rand.Rand
	start time.Time
	n     int
}

func newTrail(start time.Time) *trail {
	return &trail{rng: rand.New(rand.NewPCG(1, 2)), start: start}
}

func (t *trail) user(i int) *auth.Caller {
	name := "user" + strconv.Itoa(i)
	return &auth.Caller{Kind: auth.KindUser, AccountID: scaleAccount, ARN: "arn:aws:iam::" + scaleAccount + ":user/" + name,
		UserID: fmt.Sprintf("AIDA%016d", i), ID: fmt.Sprintf("AIDA%016d", i), Name: name, Path: "/",
		AccessKeyID: fmt.Sprintf("AKIA%016d", i), Region: "us-east-1"}
}

// uuid7 is audit.NewEventID from the trail's own random source, so a
// second trail from the same start finds the same IDs.
func (t *trail) uuid7(now time.Time) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:8], t.rng.Uint64())
	binary.LittleEndian.PutUint64(b[8:16], t.rng.Uint64())
	binary.BigEndian.PutUint16(b[0:2], uint16(now.UnixMilli()>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(now.UnixMilli()))
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b[:])
}

func (t *trail) next() *store.Event {
	now := t.start.Add(time.Duration(t.n) * 100 * time.Microsecond)
	t.n++
	u := t.rng.IntN(1000)
	c := t.user(u)
	e := &audit.Entry{EventID: t.uuid7(now), RequestID: t.uuid7(now), Time: now, Service: "sts",
		Caller: c, Region: "us-east-1", SourceIP: "10.0.0." + strconv.Itoa(u%250),
		UserAgent: "aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.24.2 md/GOOS#linux md/GOARCH#amd64 api/sts#1.33.19"}
	if t.n%8 == 0 {
		e.Action, e.Input = "GetCallerIdentity", &stsapi.GetCallerIdentityInput{}
		e.Output = &stsapi.GetCallerIdentityOutput{UserId: c.UserID, Account: scaleAccount, Arn: c.ARN}
	} else {
		role := "role" + strconv.Itoa(u%100)
		key := fmt.Sprintf("ASIA%016X", t.rng.Uint64())
		e.Action = "AssumeRole"
		e.Input = &stsapi.AssumeRoleInput{RoleArn: "arn:aws:iam::" + scaleAccount + ":role/" + role, RoleSessionName: c.Name}
		e.Output = &stsapi.AssumeRoleOutput{
			Credentials: &stsapi.Credentials{AccessKeyId: key, SecretAccessKey: "secret", SessionToken: "token", Expiration: now.Add(time.Hour)},
			AssumedRoleUser: &stsapi.AssumedRoleUser{AssumedRoleId: "AROA" + fmt.Sprintf("%016d", u%100) + ":" + c.Name,
				Arn: "arn:aws:sts::" + scaleAccount + ":assumed-role/" + role + "/" + c.Name}}
	}
	ev, err := e.Event()
	if err != nil {
		panic(err)
	}
	return ev
}

// fill appends n events in batches of size, the recorder's way (one
// Append per batch) but without a server in front.
func (t *trail) fill(ctx context.Context, s *Store, n, size int) error {
	batch := make([]*store.Event, 0, size)
	for i := 0; i < n; i++ {
		batch = append(batch, t.next())
		if len(batch) == size || i == n-1 {
			if err := s.Events().Append(ctx, batch...); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return nil
}

// diskBytes is what the database's pages in use take once the WAL is
// checkpointed into it and the small packs merged: pages a merge frees
// are reused by the next writes, so they do not count.
func diskBytes(t testing.TB, s *Store) int64 {
	if err := s.compact(context.Background(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	var pages, free, size int64
	for pragma, dst := range map[string]*int64{"page_count": &pages, "freelist_count": &free, "page_size": &size} {
		if err := s.write.QueryRow(`PRAGMA ` + pragma).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	return (pages - free) * size
}

// BenchmarkAppend is the store's cost per appended event and what each
// event adds to the database on disk (bytes/event), for batches of the
// sizes the recorder writes: one (a durable call alone), a few, and the
// recorder's largest.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{1, 16, 512} {
		b.Run("batch="+strconv.Itoa(size), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "m.db")
			s := open(b, path)
			defer s.Close()
			tr := newTrail(time.Now())
			evs := make([]*store.Event, 0, b.N)
			for range b.N {
				evs = append(evs, tr.next())
			}
			before := diskBytes(b, s)
			b.ResetTimer()
			for i := 0; i < len(evs); i += size {
				if err := s.Events().Append(b.Context(), evs[i:min(i+size, len(evs))]...); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(diskBytes(b, s)-before)/float64(b.N), "bytes/event")
		})
	}
}

// TestLookupAtScale builds MANTLE_EVENTS_SCALE events (the bar is
// 10,000,000; MANTLE_EVENTS_DIR keeps the store for another run) through the bulk path and times the
// lookups LookupEvents makes: each must answer in under 50 ms.
func TestLookupAtScale(t *testing.T) {
	n := 100_000
	if v := os.Getenv("MANTLE_EVENTS_SCALE"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Skip("set MANTLE_EVENTS_SCALE (events to build, e.g. 10000000) to run")
	}
	ctx := context.Background()
	dir := os.Getenv("MANTLE_EVENTS_DIR") // reuse a store built before
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "m.db")
	_, statErr := os.Stat(path)
	s := open(t, path)
	defer s.Close()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := newTrail(start)
	if statErr != nil {
		t0 := time.Now()
		if err := tr.fill(ctx, s, n, 512); err != nil {
			t.Fatal(err)
		}
		size := diskBytes(t, s)
		t.Logf("built %d events in %s: %.0f events/s, %d bytes on disk, %.0f bytes/event",
			n, time.Since(t0).Round(time.Millisecond), float64(n)/time.Since(t0).Seconds(), size, float64(size)/float64(n))
	}
	// Probe values from the middle of the trail.
	probe := newTrail(start)
	for range n / 2 {
		probe.next()
	}
	mid := probe.next()
	for mid.Name != "AssumeRole" {
		mid = probe.next()
	}
	end := start.Add(time.Duration(n) * 100 * time.Microsecond)
	queries := map[string]store.EventQuery{
		"newest":              {},
		"access key":          {Attribute: store.EventByAccessKeyID, Value: mid.AccessKeyID},
		"user name":           {Attribute: store.EventByUsername, Value: mid.Username},
		"event name":          {Attribute: store.EventByName, Value: "GetCallerIdentity"},
		"event name, old":     {Attribute: store.EventByName, Value: "AssumeRole", End: mid.Time},
		"event ID":            {Attribute: store.EventByID, Value: mid.ID},
		"issued key resource": {Attribute: store.EventByResourceName, Value: mid.Resources[1].Name},
		"time window":         {Start: mid.Time.Add(-time.Second), End: mid.Time},
		"user in window":      {Attribute: store.EventByUsername, Value: mid.Username, Start: start, End: mid.Time},
		"absent user":         {Attribute: store.EventByUsername, Value: "nobody"},
		"empty window":        {Start: end.Add(time.Hour), End: end.Add(2 * time.Hour)},
	}
	for name, q := range queries {
		q.AccountID, q.Limit = scaleAccount, 51
		var took time.Duration
		var got []*store.Event
		for range 3 {
			t0 := time.Now()
			var err error
			if got, err = s.Events().Lookup(ctx, q); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(t0); took == 0 || d < took {
				took = d
			}
		}
		t.Logf("%-20s %3d events in %s", name, len(got), took)
		if (name == "event ID" || name == "issued key resource") && (len(got) != 1 || got[0].ID != mid.ID) {
			t.Errorf("%s: found %d events, want %s", name, len(got), mid.ID)
		}
		if took > 50*time.Millisecond {
			t.Errorf("%s took %s at %d events, want < 50ms", name, took, n)
		}
	}
}
