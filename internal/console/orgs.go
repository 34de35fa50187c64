package console

import (
	"context"
	"encoding/json"
	"net/http"

	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/auth"
)

// actJSON is act for the JSON 1.1 services (Organizations, CloudTrail):
// the input is decoded and validated from the body the API would get.
func actJSON[T any, I interface {
	*T
	comparable
	wire.Auditable
	DecodeJSON([]byte) error
}, O interface {
	comparable
	wire.Auditable
}](h *Console, r *http.Request, s *session, action string, fn func(context.Context, *auth.Caller, I) (O, error), body map[string]any) (O, error) {
	in := I(new(T))
	raw, err := json.Marshal(body)
	if err == nil {
		err = in.DecodeJSON(raw)
	}
	if err != nil {
		var zero O
		return zero, err
	}
	return call(h, r, s, action, in, fn)
}

// accountsPage is the organization's accounts, each with the switch-role
// link into its OrganizationAccountAccessRole.
type accountsPage struct {
	Accounts []accountRow
}

type accountRow struct {
	orgsapi.Account
	SwitchLink string
}

func (h *Console) accounts(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.page(s, "AWS accounts")
	d := &accountsPage{}
	v.D = d
	var e errs
	next := ""
	for range 100 {
		body := map[string]any{"MaxResults": 20}
		if next != "" {
			body["NextToken"] = next
		}
		out, err := actJSON(h, r, s, "ListAccounts", h.cfg.Orgs.ListAccounts, body)
		if !e.keep(err) {
			break
		}
		for _, a := range out.Accounts {
			row := accountRow{Account: a}
			if a.Id != s.account {
				row.SwitchLink = roleLink{Account: a.Id, RoleName: "OrganizationAccountAccessRole", DisplayName: a.Name}.Link()
			}
			d.Accounts = append(d.Accounts, row)
		}
		if next = out.NextToken; next == "" {
			break
		}
	}
	h.finish(w, v, "accounts", e)
}
