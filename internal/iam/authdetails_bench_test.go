package iam

import (
	"context"
	"fmt"
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/store"
)

// BenchmarkAuthorizationDetailsPage reads the first and the last page of
// 100 users at two account sizes: with keyset cursors the cost per page is
// the page's, not the account's (issue 19).
func BenchmarkAuthorizationDetailsPage(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		e := newEnv(b)
		acct := e.root.AccountID
		err := e.s.store.Tx(e.ctx, func(ctx context.Context, tx store.Repos) error {
			for i := range n {
				u := &store.User{AccountID: acct, ID: fmt.Sprintf("AIDABENCH%011d", i), Name: fmt.Sprintf("user%06d", i), Path: "/", CreatedAt: e.now}
				if err := tx.Users().Create(ctx, u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		last := encodeMarker(authCursor(secUser, fmt.Sprintf("user%06d", n-101)))
		for _, pg := range []struct{ name, marker string }{{"first", ""}, {"last", last}} {
			b.Run(fmt.Sprintf("users=%d/%s", n, pg.name), func(b *testing.B) {
				in := &iamapi.GetAccountAuthorizationDetailsInput{MaxItems: ptr(100), Filter: []string{"User"}, Marker: pg.marker}
				for b.Loop() {
					out, err := e.s.GetAccountAuthorizationDetails(e.ctx, e.root, in)
					if err != nil || len(out.UserDetailList) != 100 {
						b.Fatalf("%v %d", err, len(out.UserDetailList))
					}
				}
			})
		}
	}
}
