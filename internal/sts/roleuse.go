package sts

import (
	"context"
	"sync"
	"time"
)

// RoleUse is one role's use to record: a successful AssumeRole* in region.
type RoleUse struct {
	RoleID, Region string
}

// maxPendingUses bounds the role uses waiting to be written. Past it a use
// is not recorded (RoleLastUsed is best effort, and a minute later the
// role's next use is).
const maxPendingUses = 100_000

// roleUses records RoleLastUsed at most once a minute per role, off the
// request path, through one writer: the uses that come while a batch is
// written make up the next, so 100,000 roles in use cost a few hundred
// transactions a minute rather than a goroutine and a transaction each.
// Nothing it holds outlives the minute: the roles recorded are forgotten
// when the minute turns.
type roleUses struct {
	rec RoleUseRecorder
	wg  *sync.WaitGroup

	mu       sync.Mutex
	minute   int64
	recorded map[string]struct{} // roles recorded this minute
	pending  []RoleUse
	writing  bool
}

// roleUseBatch bounds one transaction of the writer.
const roleUseBatch = 512

func (u *roleUses) note(roleID, region string, now time.Time) {
	if u.rec == nil {
		return
	}
	minute := now.Unix() / 60
	u.mu.Lock()
	defer u.mu.Unlock()
	if minute != u.minute {
		u.minute = minute
		// A fresh map: clear would keep the buckets of the busiest minute.
		u.recorded = make(map[string]struct{})
	}
	if _, ok := u.recorded[roleID]; ok || len(u.pending) >= maxPendingUses {
		return
	}
	u.recorded[roleID] = struct{}{}
	u.pending = append(u.pending, RoleUse{roleID, region})
	if !u.writing {
		u.writing = true
		u.wg.Add(1)
		go u.write()
	}
}

func (u *roleUses) write() {
	defer u.wg.Done()
	for {
		u.mu.Lock()
		batch := u.pending[:min(len(u.pending), roleUseBatch)]
		if len(batch) == 0 {
			u.writing = false
			u.pending = nil
			u.mu.Unlock()
			return
		}
		batch = append([]RoleUse(nil), batch...)
		u.pending = u.pending[len(batch):]
		u.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		// Best effort: a lost update only makes RoleLastUsed older.
		_ = u.rec.RecordRoleUses(ctx, batch)
		cancel()
	}
}
