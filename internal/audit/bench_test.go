package audit_test

import (
	"path/filepath"
	"testing"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

// BenchmarkRecord is the recorder's whole cost per event (record, JSON,
// batched store write) for a role session's GetCallerIdentity: the work
// that runs beside the hot path.
func BenchmarkRecord(b *testing.B) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "m.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r := audit.NewRecorder(audit.RecorderConfig{Store: st, Queue: 1 << 16})
	defer r.Close()
	c := session()
	out := &stsapi.GetCallerIdentityOutput{UserId: c.UserID, Account: c.AccountID, Arn: c.ARN}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e := entry("sts", "GetCallerIdentity", c, &stsapi.GetCallerIdentityInput{}, out, nil)
		e.EventID = audit.NewEventID(now)
		if err := r.Record(b.Context(), e); err != nil {
			b.Fatal(err)
		}
		if i%4096 == 4095 {
			_ = r.Flush(b.Context())
		}
	}
	_ = r.Flush(b.Context())
	if r.Lost() > 0 {
		b.Fatalf("%d events lost", r.Lost())
	}
}

func BenchmarkEvent(b *testing.B) {
	c := session()
	e := entry("sts", "GetCallerIdentity", c, &stsapi.GetCallerIdentityInput{},
		&stsapi.GetCallerIdentityOutput{UserId: c.UserID, Account: c.AccountID, Arn: c.ARN}, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Event(); err != nil {
			b.Fatal(err)
		}
	}
}
