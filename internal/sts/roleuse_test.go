package sts

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"
)

type batchRecorder struct {
	mu      sync.Mutex
	batches [][]RoleUse
	block   chan struct{}
}

func (b *batchRecorder) RecordRoleUses(ctx context.Context, uses []RoleUse) error {
	if b.block != nil {
		<-b.block
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batches = append(b.batches, uses)
	return nil
}

// Role uses go through one writer in batches, once a minute per role, and
// what is remembered of them ends with the minute.
func TestRoleUsesBatched(t *testing.T) {
	rec := &batchRecorder{block: make(chan struct{})}
	var wg sync.WaitGroup
	u := &roleUses{rec: rec, wg: &wg}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2000 {
		u.note("role"+strconv.Itoa(i), "us-east-1", now)
		u.note("role"+strconv.Itoa(i), "us-east-1", now.Add(time.Second)) // same minute: not again
	}
	close(rec.block)
	wg.Wait()
	total := 0
	for _, b := range rec.batches {
		if len(b) > roleUseBatch {
			t.Errorf("batch of %d, want at most %d", len(b), roleUseBatch)
		}
		total += len(b)
	}
	// The first use started the writer, which waited while the rest queued.
	if total != 2000 || len(rec.batches) > 1+(1999+roleUseBatch-1)/roleUseBatch {
		t.Errorf("%d uses in %d batches", total, len(rec.batches))
	}
	// The next minute records each role again, and forgets the last.
	u.note("role1", "us-east-1", now.Add(time.Minute))
	wg.Wait()
	if len(u.recorded) != 1 || total+1 != len(rec.batches[len(rec.batches)-1])+total {
		t.Errorf("after the minute: %d remembered", len(u.recorded))
	}
	// Past the bound, uses wait for the next minute rather than pile up.
	u.pending = make([]RoleUse, maxPendingUses)
	u.writing = true // hold the writer off
	u.note("role-x", "us-east-1", now.Add(time.Minute))
	if len(u.pending) != maxPendingUses {
		t.Errorf("pending grew past its bound: %d", len(u.pending))
	}
}
