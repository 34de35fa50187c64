package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
)

// trustTemplate is the create form's starting trust policy: the account
// itself may assume the role (what AWS's console offers for "AWS account").
func trustTemplate(account string) string {
	return `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::` + account + `:root"},
      "Action": "sts:AssumeRole"
    }
  ]
}`
}

// allPolicies lists every managed policy the identity may list, AWS's and
// the account's, page by page, for the attach pickers.
func (h *Console) allPolicies(r *http.Request, s *session) ([]iamapi.Policy, error) {
	var all []iamapi.Policy
	marker := ""
	for range 100 {
		in, err := query[iamapi.ListPoliciesInput](form("Scope", "All", "MaxItems", "1000", "Marker", marker))
		if err != nil {
			return nil, err
		}
		out, err := call(h, r, s, "ListPolicies", in, h.cfg.IAM.ListPolicies)
		if err != nil {
			return nil, err
		}
		all = append(all, out.Policies...)
		if out.IsTruncated == nil || !*out.IsTruncated || out.Marker == "" {
			break
		}
		marker = out.Marker
	}
	return all, nil
}

func (h *Console) createRolePage(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.page(s, "Create role")
	v.Document = trustTemplate(s.account)
	h.showCreateRole(w, r, s, v, http.StatusOK)
}

func (h *Console) showCreateRole(w http.ResponseWriter, r *http.Request, s *session, v *view, status int) {
	pols, err := h.allPolicies(r, s)
	if err != nil && v.Error == "" {
		v.Error, status = errorMessage(err), statusOf(err)
	}
	v.Policies = pols
	h.render(w, status, "createrole", v)
}

// createRole is CreateRole with the form's trust policy, then
// AttachRolePolicy for each policy chosen; IAM's own messages (a malformed
// trust policy, a name taken) come back on the form.
func (h *Console) createRole(w http.ResponseWriter, r *http.Request, s *session) {
	name, doc := strings.TrimSpace(r.PostFormValue("rolename")), r.PostFormValue("trust")
	fail := func(err error) {
		v := h.page(s, "Create role")
		v.RoleName, v.Document, v.Error = name, doc, errorMessage(err)
		h.showCreateRole(w, r, s, v, statusOf(err))
	}
	in, err := query[iamapi.CreateRoleInput](form("RoleName", name, "AssumeRolePolicyDocument", doc,
		"Description", r.PostFormValue("description")))
	if err == nil {
		_, err = call(h, r, s, "CreateRole", in, h.cfg.IAM.CreateRole)
	}
	if err != nil {
		fail(err)
		return
	}
	for _, arn := range r.PostForm["policies"] {
		if err := h.attach(r, s, name, arn); err != nil {
			fail(err)
			return
		}
	}
	http.Redirect(w, r, "/console/iam/roles/"+url.PathEscape(name), http.StatusSeeOther)
}

func (h *Console) attach(r *http.Request, s *session, role, arn string) error {
	in, err := query[iamapi.AttachRolePolicyInput](form("RoleName", role, "PolicyArn", arn))
	if err == nil {
		_, err = call(h, r, s, "AttachRolePolicy", in, h.cfg.IAM.AttachRolePolicy)
	}
	return err
}

func (h *Console) attachRolePolicy(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PathValue("name")
	if err := h.attach(r, s, name, r.PostFormValue("policy")); err != nil {
		h.showRole(w, r, s, name, errorMessage(err), statusOf(err))
		return
	}
	http.Redirect(w, r, "/console/iam/roles/"+url.PathEscape(name), http.StatusSeeOther)
}

func (h *Console) role(w http.ResponseWriter, r *http.Request, s *session) {
	h.showRole(w, r, s, r.PathValue("name"), "", http.StatusOK)
}

// showRole is the role's summary: its ARN, AWS's switch-role link, trust
// policy and attached policies.
func (h *Console) showRole(w http.ResponseWriter, r *http.Request, s *session, name, msg string, status int) {
	v := h.page(s, "Role "+name)
	v.Error = msg
	in, err := query[iamapi.GetRoleInput](form("RoleName", name))
	var out *iamapi.GetRoleOutput
	if err == nil {
		out, err = call(h, r, s, "GetRole", in, h.cfg.IAM.GetRole)
	}
	if err != nil {
		v.Error, status = errorMessage(err), statusOf(err)
		h.render(w, status, "role", v)
		return
	}
	v.Role = out.Role
	account := strings.Split(out.Role.Arn, ":")[4]
	v.SwitchLink = roleLink{Account: account, RoleName: out.Role.RoleName, DisplayName: out.Role.RoleName}.Link()
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	v.SwitchLinkAbs = scheme + "://" + r.Host + v.SwitchLink
	v.Document = decoded(out.Role.AssumeRolePolicyDocument)
	if ain, err := query[iamapi.ListAttachedRolePoliciesInput](form("RoleName", name, "MaxItems", strconv.Itoa(1000))); err == nil {
		if att, err := call(h, r, s, "ListAttachedRolePolicies", ain, h.cfg.IAM.ListAttachedRolePolicies); err == nil {
			v.Attached = att.AttachedPolicies
		} else if v.Error == "" {
			v.Error = errorMessage(err)
		}
	}
	if pols, err := h.allPolicies(r, s); err == nil {
		v.Policies = pols
	}
	h.render(w, status, "role", v)
}
