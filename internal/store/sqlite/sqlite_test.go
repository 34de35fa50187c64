package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(t.Context(), filepath.Join(t.TempDir(), "mantle.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
