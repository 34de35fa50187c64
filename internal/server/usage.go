package server

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// UsageRecorder stores an access key's last use (GetAccessKeyLastUsed).
type UsageRecorder interface {
	RecordAccessKeyUse(ctx context.Context, id, service, region string) error
}

// keyUsage records long-term key use off the request path, at most once a
// minute per key, service and region: AWS itself reports last use at a
// coarse granularity, and a write per signed request would cap throughput
// at the store's write rate.
type keyUsage struct {
	rec UsageRecorder
	log *slog.Logger

	mu   sync.Mutex
	last map[usageKey]time.Time
	wg   sync.WaitGroup
}

type usageKey struct{ id, service, region string }

func newKeyUsage(rec UsageRecorder, log *slog.Logger) *keyUsage {
	return &keyUsage{rec: rec, log: log, last: make(map[usageKey]time.Time)}
}

func (u *keyUsage) note(id, service, region string, now time.Time) {
	k := usageKey{id, service, region}
	u.mu.Lock()
	if now.Sub(u.last[k]) < time.Minute {
		u.mu.Unlock()
		return
	}
	if len(u.last) > 100000 {
		clear(u.last)
	}
	u.last[k] = now
	u.wg.Add(1)
	u.mu.Unlock()
	go func() {
		defer u.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := u.rec.RecordAccessKeyUse(ctx, id, service, region); err != nil {
			u.log.Warn("recording access key use", "access_key_id", id, "error", err)
		}
	}()
}

// wait lets pending writes finish before the store closes.
func (u *keyUsage) wait() { u.wg.Wait() }
