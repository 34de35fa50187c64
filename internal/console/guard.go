package console

import (
	"strconv"
	"sync"
	"time"

	"github.com/mantle-iam/mantle/internal/api/wire"
)

// Sign-in throttling per account and user name: after freeFailures
// failures each further attempt waits a second more, and after
// lockFailures the name is locked for lockFor. Failures older than window
// are forgotten.
const (
	freeFailures = 3
	lockFailures = 10
	lockFor      = 15 * time.Minute
	window       = 15 * time.Minute
	maxGuarded   = 1 << 16
)

type failures struct {
	n      int
	last   time.Time
	locked time.Time // zero unless locked
}

type guard struct {
	mu sync.Mutex
	m  map[string]*failures
}

func newGuard() *guard { return &guard{m: map[string]*failures{}} }

// check says how long the next attempt for key must wait, and whether the
// key is locked (the wait is then the time left).
func (g *guard) check(key string, now time.Time) (time.Duration, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f := g.m[key]
	if f == nil {
		return 0, false
	}
	if !f.locked.IsZero() {
		if now.Before(f.locked.Add(lockFor)) {
			return f.locked.Add(lockFor).Sub(now), true
		}
		delete(g.m, key)
		return 0, false
	}
	if now.Sub(f.last) > window {
		delete(g.m, key)
		return 0, false
	}
	if f.n < freeFailures {
		return 0, false
	}
	return time.Duration(f.n-freeFailures+1) * time.Second, false
}

func (g *guard) fail(key string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f := g.m[key]
	if f == nil {
		if len(g.m) >= maxGuarded {
			g.prune(now)
		}
		f = &failures{}
		g.m[key] = f
	}
	f.n++
	f.last = now
	if f.n >= lockFailures {
		f.locked = now
	}
}

func (g *guard) reset(key string) {
	g.mu.Lock()
	delete(g.m, key)
	g.mu.Unlock()
}

// prune drops expired entries, and if none expired the oldest half, so the
// table stays bounded under a spray of names.
func (g *guard) prune(now time.Time) {
	for k, f := range g.m {
		if now.Sub(f.last) > window && (f.locked.IsZero() || now.Sub(f.locked) > lockFor) {
			delete(g.m, k)
		}
	}
	for k := range g.m {
		if len(g.m) < maxGuarded/2 {
			break
		}
		delete(g.m, k)
	}
}

// signinResult is a sign-in event's responseElements, e.g.
// {"ConsoleLogin":"Success"}, as CloudTrail records them. key is the
// temporary access key the sign-in or switch issued to the console: not in
// the record (AWS's has none), but a resource of the event, so LookupEvents
// by ResourceName traces a console session's key to who obtained it, as
// it does an AssumeRole's.
type signinResult struct{ name, value, key string }

func (r signinResult) AppendAudit(b []byte) ([]byte, bool) {
	b = append(b, '{')
	b = append(b, strconv.Quote(r.name)...)
	b = append(b, ':')
	b = append(b, strconv.Quote(r.value)...)
	return append(b, '}'), true
}

func (r signinResult) StringField(name string) string {
	if name == r.name {
		return r.value
	}
	return ""
}

func (r signinResult) StructField(name string) wire.Fields {
	if name == "Credentials" && r.key != "" {
		return issuedKey(r.key)
	}
	return nil
}

// issuedKey is the Credentials member of a sign-in's result: its key ID.
type issuedKey string

func (k issuedKey) StringField(name string) string {
	if name == "AccessKeyId" {
		return string(k)
	}
	return ""
}

func (issuedKey) StructField(string) wire.Fields { return nil }
