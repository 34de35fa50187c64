package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/awserr"
)

// Every IAM page below is the API's own actions, run as the session's
// identity (act, call). A page that needs several shows what it was
// allowed to read and the first refusal in its alert.

// errs keeps the first error of a page's calls.
type errs struct {
	err error
}

func (e *errs) keep(err error) bool {
	if err != nil && e.err == nil {
		e.err = err
	}
	return err == nil
}

func (h *Console) finish(w http.ResponseWriter, v *view, page string, e errs) {
	status := http.StatusOK
	if e.err != nil && v.Error == "" {
		v.Error, status = errorMessage(e.err), statusOf(e.err)
	}
	h.render(w, status, page, v)
}

// back redirects to the page a form came from, or shows the failure on it.
func (h *Console) back(w http.ResponseWriter, r *http.Request, err error, to string, show func(msg string, status int)) {
	if err != nil {
		show(errorMessage(err), statusOf(err))
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// decoded is a policy document as IAM returns it (URL-encoded, RFC 3986),
// indented for reading when it is JSON.
func decoded(doc string) string {
	if d, err := url.QueryUnescape(doc); err == nil {
		doc = d
	}
	var b bytes.Buffer
	if json.Indent(&b, []byte(doc), "", "  ") == nil {
		return b.String()
	}
	return doc
}

// userPage is a user's summary: groups, access keys, MFA devices, console
// password and attached policies.
type userPage struct {
	User     *iamapi.User
	Groups   []iamapi.Group
	All      []iamapi.Group
	Keys     []iamapi.AccessKeyMetadata
	NewKey   *iamapi.AccessKey
	MFA      []iamapi.MFADevice
	Login    *iamapi.LoginProfile
	Attached []iamapi.AttachedPolicy
	Policies []iamapi.Policy
}

func (h *Console) user(w http.ResponseWriter, r *http.Request, s *session) {
	h.showUser(w, r, s, r.PathValue("name"), nil, "", http.StatusOK)
}

func (h *Console) showUser(w http.ResponseWriter, r *http.Request, s *session, name string, key *iamapi.AccessKey, msg string, status int) {
	v := h.page(s, "User "+name)
	v.Error = msg
	d := &userPage{NewKey: key}
	v.D = d
	var e errs
	api := h.cfg.IAM
	u, err := act(h, r, s, "GetUser", api.GetUser, "UserName", name)
	if !e.keep(err) {
		h.finish(w, v, "user", e)
		return
	}
	d.User = u.User
	if g, err := act(h, r, s, "ListGroupsForUser", api.ListGroupsForUser, "UserName", name); e.keep(err) {
		d.Groups = g.Groups
	}
	if g, err := act(h, r, s, "ListGroups", api.ListGroups, "MaxItems", "1000"); e.keep(err) {
		d.All = g.Groups
	}
	if k, err := act(h, r, s, "ListAccessKeys", api.ListAccessKeys, "UserName", name); e.keep(err) {
		d.Keys = k.AccessKeyMetadata
	}
	if m, err := act(h, r, s, "ListMFADevices", api.ListMFADevices, "UserName", name); e.keep(err) {
		d.MFA = m.MFADevices
	}
	if lp, err := act(h, r, s, "GetLoginProfile", api.GetLoginProfile, "UserName", name); err == nil {
		d.Login = lp.LoginProfile
	} else if !isNoSuchEntity(err) {
		e.keep(err)
	}
	if a, err := act(h, r, s, "ListAttachedUserPolicies", api.ListAttachedUserPolicies, "UserName", name); e.keep(err) {
		d.Attached = a.AttachedPolicies
	}
	if pols, err := h.allPolicies(r, s); err == nil {
		d.Policies = pols
	}
	if status != http.StatusOK {
		h.render(w, status, "user", v)
		return
	}
	h.finish(w, v, "user", e)
}

// userAction is one of the user page's forms.
func (h *Console) userAction(w http.ResponseWriter, r *http.Request, s *session) {
	name, api := r.PathValue("name"), h.cfg.IAM
	var err error
	switch r.PathValue("action") {
	case "groups":
		_, err = act(h, r, s, "AddUserToGroup", api.AddUserToGroup, "UserName", name, "GroupName", r.PostFormValue("group"))
	case "attach":
		_, err = act(h, r, s, "AttachUserPolicy", api.AttachUserPolicy, "UserName", name, "PolicyArn", r.PostFormValue("policy"))
	case "keys":
		var out *iamapi.CreateAccessKeyOutput
		if out, err = act(h, r, s, "CreateAccessKey", api.CreateAccessKey, "UserName", name); err == nil {
			// The secret is shown once, on this answer, as AWS's console does.
			h.showUser(w, r, s, name, out.AccessKey, "", http.StatusOK)
			return
		}
	case "key-status":
		_, err = act(h, r, s, "UpdateAccessKey", api.UpdateAccessKey, "UserName", name, "AccessKeyId", r.PostFormValue("key"), "Status", r.PostFormValue("status"))
	case "key-delete":
		_, err = act(h, r, s, "DeleteAccessKey", api.DeleteAccessKey, "UserName", name, "AccessKeyId", r.PostFormValue("key"))
	case "password":
		reset := ""
		if r.PostFormValue("reset") != "" {
			reset = "true"
		}
		pw := r.PostFormValue("password")
		if r.PostFormValue("exists") != "" {
			_, err = act(h, r, s, "UpdateLoginProfile", api.UpdateLoginProfile, "UserName", name, "Password", pw, "PasswordResetRequired", reset)
		} else {
			_, err = act(h, r, s, "CreateLoginProfile", api.CreateLoginProfile, "UserName", name, "Password", pw, "PasswordResetRequired", reset)
		}
	case "password-delete":
		_, err = act(h, r, s, "DeleteLoginProfile", api.DeleteLoginProfile, "UserName", name)
	default:
		http.NotFound(w, r)
		return
	}
	h.back(w, r, err, "/console/iam/users/"+url.PathEscape(name), func(msg string, status int) {
		h.showUser(w, r, s, name, nil, msg, status)
	})
}

// groupPage is a group's members and policies.
type groupPage struct {
	Group    *iamapi.Group
	Users    []iamapi.User
	Attached []iamapi.AttachedPolicy
	Policies []iamapi.Policy
	Groups   []iamapi.Group
}

func (h *Console) groups(w http.ResponseWriter, r *http.Request, s *session) {
	h.showGroups(w, r, s, "", http.StatusOK)
}

func (h *Console) showGroups(w http.ResponseWriter, r *http.Request, s *session, msg string, status int) {
	v := h.page(s, "User groups")
	d := &groupPage{}
	v.D, v.Error = d, msg
	var e errs
	if g, err := act(h, r, s, "ListGroups", h.cfg.IAM.ListGroups, "MaxItems", "1000"); e.keep(err) {
		d.Groups = g.Groups
	}
	if status != http.StatusOK {
		h.render(w, status, "groups", v)
		return
	}
	h.finish(w, v, "groups", e)
}

func (h *Console) createGroup(w http.ResponseWriter, r *http.Request, s *session) {
	name := strings.TrimSpace(r.PostFormValue("group"))
	_, err := act(h, r, s, "CreateGroup", h.cfg.IAM.CreateGroup, "GroupName", name)
	h.back(w, r, err, "/console/iam/groups/"+url.PathEscape(name), func(msg string, status int) { h.showGroups(w, r, s, msg, status) })
}

func (h *Console) group(w http.ResponseWriter, r *http.Request, s *session) {
	h.showGroup(w, r, s, r.PathValue("name"), "", http.StatusOK)
}

func (h *Console) showGroup(w http.ResponseWriter, r *http.Request, s *session, name, msg string, status int) {
	v := h.page(s, "Group "+name)
	d := &groupPage{}
	v.D, v.Error = d, msg
	var e errs
	g, err := act(h, r, s, "GetGroup", h.cfg.IAM.GetGroup, "GroupName", name, "MaxItems", "1000")
	if e.keep(err) {
		d.Group, d.Users = g.Group, g.Users
		if a, err := act(h, r, s, "ListAttachedGroupPolicies", h.cfg.IAM.ListAttachedGroupPolicies, "GroupName", name); e.keep(err) {
			d.Attached = a.AttachedPolicies
		}
		if pols, err := h.allPolicies(r, s); err == nil {
			d.Policies = pols
		}
	}
	if status != http.StatusOK {
		h.render(w, status, "group", v)
		return
	}
	h.finish(w, v, "group", e)
}

func (h *Console) attachGroupPolicy(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PathValue("name")
	_, err := act(h, r, s, "AttachGroupPolicy", h.cfg.IAM.AttachGroupPolicy, "GroupName", name, "PolicyArn", r.PostFormValue("policy"))
	h.back(w, r, err, "/console/iam/groups/"+url.PathEscape(name), func(msg string, status int) { h.showGroup(w, r, s, name, msg, status) })
}

// policiesPage lists managed policies by scope and creates one from the
// JSON editor.
type policiesPage struct {
	Scope      string
	Policies   []iamapi.Policy
	Name, Desc string
	Document   string
}

const policyTemplate = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "iam:Get*",
      "Resource": "*"
    }
  ]
}`

func (h *Console) policies(w http.ResponseWriter, r *http.Request, s *session) {
	h.showPolicies(w, r, s, &policiesPage{Scope: r.URL.Query().Get("scope"), Document: policyTemplate}, "", http.StatusOK)
}

func (h *Console) showPolicies(w http.ResponseWriter, r *http.Request, s *session, d *policiesPage, msg string, status int) {
	v := h.page(s, "Policies")
	v.D, v.Error = d, msg
	switch d.Scope {
	case "AWS", "Local":
	default:
		d.Scope = "All"
	}
	var e errs
	if p, err := act(h, r, s, "ListPolicies", h.cfg.IAM.ListPolicies, "Scope", d.Scope, "MaxItems", "1000"); e.keep(err) {
		d.Policies = p.Policies
	}
	if status != http.StatusOK {
		h.render(w, status, "policies", v)
		return
	}
	h.finish(w, v, "policies", e)
}

func (h *Console) createPolicy(w http.ResponseWriter, r *http.Request, s *session) {
	d := &policiesPage{Name: strings.TrimSpace(r.PostFormValue("name")), Desc: r.PostFormValue("description"), Document: r.PostFormValue("document")}
	out, err := act(h, r, s, "CreatePolicy", h.cfg.IAM.CreatePolicy, "PolicyName", d.Name, "PolicyDocument", d.Document, "Description", d.Desc)
	if err != nil {
		h.showPolicies(w, r, s, d, errorMessage(err), statusOf(err))
		return
	}
	http.Redirect(w, r, "/console/iam/policy?arn="+url.QueryEscape(out.Policy.Arn), http.StatusSeeOther)
}

// policyPage is one managed policy: its default version's document, its
// versions, and the editor for a new version.
type policyPage struct {
	Policy   *iamapi.Policy
	Document string
	Version  string
	Versions []iamapi.PolicyVersion
	Draft    string
}

func (h *Console) policy(w http.ResponseWriter, r *http.Request, s *session) {
	h.showPolicy(w, r, s, r.URL.Query().Get("arn"), r.URL.Query().Get("version"), "", "", http.StatusOK)
}

func (h *Console) showPolicy(w http.ResponseWriter, r *http.Request, s *session, arn, version, draft, msg string, status int) {
	v := h.page(s, "Policy")
	d := &policyPage{Draft: draft}
	v.D, v.Error = d, msg
	var e errs
	p, err := act(h, r, s, "GetPolicy", h.cfg.IAM.GetPolicy, "PolicyArn", arn)
	if e.keep(err) {
		d.Policy = p.Policy
		if version == "" {
			version = p.Policy.DefaultVersionId
		}
		d.Version = version
		if pv, err := act(h, r, s, "GetPolicyVersion", h.cfg.IAM.GetPolicyVersion, "PolicyArn", arn, "VersionId", version); e.keep(err) {
			d.Document = decoded(pv.PolicyVersion.Document)
		}
		if vs, err := act(h, r, s, "ListPolicyVersions", h.cfg.IAM.ListPolicyVersions, "PolicyArn", arn); e.keep(err) {
			d.Versions = vs.Versions
		}
		if d.Draft == "" {
			d.Draft = d.Document
		}
	}
	if status != http.StatusOK {
		h.render(w, status, "policy", v)
		return
	}
	h.finish(w, v, "policy", e)
}

func (h *Console) createPolicyVersion(w http.ResponseWriter, r *http.Request, s *session) {
	arn, doc := r.PostFormValue("arn"), r.PostFormValue("document")
	def := ""
	if r.PostFormValue("default") != "" {
		def = "true"
	}
	_, err := act(h, r, s, "CreatePolicyVersion", h.cfg.IAM.CreatePolicyVersion, "PolicyArn", arn, "PolicyDocument", doc, "SetAsDefault", def)
	h.back(w, r, err, "/console/iam/policy?arn="+url.QueryEscape(arn), func(msg string, status int) {
		h.showPolicy(w, r, s, arn, "", doc, msg, status)
	})
}

// providersPage lists the account's OIDC and SAML identity providers.
type providersPage struct {
	OIDC []iamapi.OpenIDConnectProviderListEntry
	SAML []iamapi.SAMLProviderListEntry
	URL  string
}

func (h *Console) providers(w http.ResponseWriter, r *http.Request, s *session) {
	h.showProviders(w, r, s, &providersPage{}, "", http.StatusOK)
}

func (h *Console) showProviders(w http.ResponseWriter, r *http.Request, s *session, d *providersPage, msg string, status int) {
	v := h.page(s, "Identity providers")
	v.D, v.Error = d, msg
	var e errs
	if o, err := act(h, r, s, "ListOpenIDConnectProviders", h.cfg.IAM.ListOpenIDConnectProviders); e.keep(err) {
		d.OIDC = o.OpenIDConnectProviderList
	}
	if p, err := act(h, r, s, "ListSAMLProviders", h.cfg.IAM.ListSAMLProviders); e.keep(err) {
		d.SAML = p.SAMLProviderList
	}
	if status != http.StatusOK {
		h.render(w, status, "providers", v)
		return
	}
	h.finish(w, v, "providers", e)
}

func (h *Console) createProvider(w http.ResponseWriter, r *http.Request, s *session) {
	d := &providersPage{URL: strings.TrimSpace(r.PostFormValue("url"))}
	kv := []string{"Url", d.URL}
	for i, id := range fields(r.PostFormValue("audiences")) {
		kv = append(kv, "ClientIDList.member."+strconv.Itoa(i+1), id)
	}
	for i, tp := range fields(r.PostFormValue("thumbprints")) {
		kv = append(kv, "ThumbprintList.member."+strconv.Itoa(i+1), tp)
	}
	_, err := act(h, r, s, "CreateOpenIDConnectProvider", h.cfg.IAM.CreateOpenIDConnectProvider, kv...)
	h.back(w, r, err, "/console/iam/providers", func(msg string, status int) { h.showProviders(w, r, s, d, msg, status) })
}

// fields splits a list typed one per line or separated by commas.
func fields(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' })
}

// accountPage is the account settings: alias and password policy.
type accountPage struct {
	Aliases []string
	Policy  *iamapi.PasswordPolicy
}

func (h *Console) account(w http.ResponseWriter, r *http.Request, s *session) {
	h.showAccount(w, r, s, "", http.StatusOK)
}

func (h *Console) showAccount(w http.ResponseWriter, r *http.Request, s *session, msg string, status int) {
	v := h.page(s, "Account settings")
	d := &accountPage{}
	v.D, v.Error = d, msg
	var e errs
	if a, err := act(h, r, s, "ListAccountAliases", h.cfg.IAM.ListAccountAliases); e.keep(err) {
		d.Aliases = a.AccountAliases
	}
	if p, err := act(h, r, s, "GetAccountPasswordPolicy", h.cfg.IAM.GetAccountPasswordPolicy); err == nil {
		d.Policy = p.PasswordPolicy
	} else if !isNoSuchEntity(err) {
		e.keep(err)
	}
	if status != http.StatusOK {
		h.render(w, status, "account", v)
		return
	}
	h.finish(w, v, "account", e)
}

func (h *Console) accountAction(w http.ResponseWriter, r *http.Request, s *session) {
	api := h.cfg.IAM
	var err error
	switch r.PathValue("action") {
	case "alias":
		_, err = act(h, r, s, "CreateAccountAlias", api.CreateAccountAlias, "AccountAlias", strings.TrimSpace(r.PostFormValue("alias")))
	case "alias-delete":
		_, err = act(h, r, s, "DeleteAccountAlias", api.DeleteAccountAlias, "AccountAlias", r.PostFormValue("alias"))
	case "password-policy":
		kv := []string{"MinimumPasswordLength", r.PostFormValue("min"), "MaxPasswordAge", r.PostFormValue("maxage"),
			"PasswordReusePrevention", r.PostFormValue("reuse")}
		for _, b := range []string{"RequireSymbols", "RequireNumbers", "RequireUppercaseCharacters", "RequireLowercaseCharacters", "AllowUsersToChangePassword", "HardExpiry"} {
			if r.PostFormValue(b) != "" {
				kv = append(kv, b, "true")
			} else {
				kv = append(kv, b, "false")
			}
		}
		_, err = act(h, r, s, "UpdateAccountPasswordPolicy", api.UpdateAccountPasswordPolicy, kv...)
	case "password-policy-delete":
		_, err = act(h, r, s, "DeleteAccountPasswordPolicy", api.DeleteAccountPasswordPolicy)
	default:
		http.NotFound(w, r)
		return
	}
	h.back(w, r, err, "/console/iam/account", func(msg string, status int) { h.showAccount(w, r, s, msg, status) })
}

// simulatorPage is the policy simulator: a principal's policies against
// actions and resources (SimulatePrincipalPolicy).
type simulatorPage struct {
	Principals         []string
	Principal          string
	Actions, Resources string
	Results            []iamapi.EvaluationResult
}

func (h *Console) simulator(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.page(s, "Policy simulator")
	q := r.URL.Query()
	d := &simulatorPage{Principal: q.Get("principal"), Actions: q.Get("actions"), Resources: q.Get("resources")}
	v.D = d
	var e errs
	if u, err := act(h, r, s, "ListUsers", h.cfg.IAM.ListUsers, "MaxItems", "1000"); e.keep(err) {
		for _, x := range u.Users {
			d.Principals = append(d.Principals, x.Arn)
		}
	}
	if g, err := act(h, r, s, "ListRoles", h.cfg.IAM.ListRoles, "MaxItems", "1000"); e.keep(err) {
		for _, x := range g.Roles {
			d.Principals = append(d.Principals, x.Arn)
		}
	}
	if d.Principal != "" {
		kv := []string{"PolicySourceArn", d.Principal}
		for i, a := range fields(d.Actions) {
			kv = append(kv, "ActionNames.member."+strconv.Itoa(i+1), a)
		}
		for i, res := range fields(d.Resources) {
			kv = append(kv, "ResourceArns.member."+strconv.Itoa(i+1), res)
		}
		e = errs{} // the simulation's refusal is the one to show
		if out, err := act(h, r, s, "SimulatePrincipalPolicy", h.cfg.IAM.SimulatePrincipalPolicy, kv...); e.keep(err) {
			d.Results = out.EvaluationResults
		}
	}
	h.finish(w, v, "simulator", e)
}

func isNoSuchEntity(err error) bool {
	ae := awserr.As(err)
	return ae != nil && ae.Code == "NoSuchEntity"
}
