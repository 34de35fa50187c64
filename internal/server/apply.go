package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/awsproto"
)

// applier applies a State as the account's root user, through the same
// operations the API serves (decoded from a Query form or JSON body,
// validated with AWS's wording, authorized, recorded in the trail with the
// user agent mantle-apply), so a state file gets exactly AWS's checks.
type applier struct {
	s       *Server
	ctx     context.Context
	caller  *auth.Caller
	changes []string
}

// Apply brings the account to st and lists what it changed: nothing when
// st is already in place.
func (s *Server) Apply(ctx context.Context, st *State) ([]string, error) {
	a := &applier{s: s, ctx: ctx, caller: s.operator()}
	a.caller.UserAgent = "mantle-apply"
	// Users and providers before roles: a trust policy naming one needs it
	// to exist, as on AWS; groups before users, who join them.
	steps := []func(*State) error{a.policies, a.groups, a.users, a.providers, a.roles, a.organization}
	for _, step := range steps {
		if err := step(st); err != nil {
			return a.changes, err
		}
	}
	return a.changes, nil
}

func (a *applier) changed(format string, args ...any) {
	a.changes = append(a.changes, fmt.Sprintf(format, args...))
}

// call runs one Query operation (IAM) as the operator, with its event.
func (a *applier) call(action string, form url.Values) (wire.Auditable, error) {
	var fn QueryHandler
	for _, q := range a.s.Handler.Query {
		if q.Name == "iam" {
			fn = q.Actions[action]
		}
	}
	if fn == nil {
		return nil, fmt.Errorf("IAM %s is not served", action)
	}
	return a.record("iam", action, func(ctx context.Context) (wire.Auditable, error) { return fn(ctx, a.caller, form) })
}

// callJSON runs one JSON operation (Organizations) as the operator.
func (a *applier) callJSON(service, op string, in map[string]any) (wire.Auditable, error) {
	var fn JSONHandler
	for _, j := range a.s.Handler.JSON {
		if j.Name == service {
			fn = j.Operations[op]
		}
	}
	if fn == nil {
		return nil, fmt.Errorf("%s %s is not served", service, op)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return a.record(service, op, func(ctx context.Context) (wire.Auditable, error) { return fn(ctx, a.caller, body) })
}

func (a *applier) record(service, action string, run func(ctx context.Context) (wire.Auditable, error)) (wire.Auditable, error) {
	now := a.s.cfg.Now()
	e := &audit.Entry{
		EventID: audit.NewEventID(now), RequestID: awsproto.NewRequestID(), Time: now,
		Service: service, Action: action, Caller: a.caller, SourceIP: a.caller.SourceIP,
		UserAgent: a.caller.UserAgent, Region: "us-east-1",
	}
	ctx := audit.With(a.ctx, e)
	out, err := run(ctx)
	if out != nil {
		e.Output = out
	}
	e.Err = err
	if rerr := a.s.Audit.Record(ctx, e); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	return out, nil
}

// exists runs a Get: false on NoSuchEntity (or the code given), the
// output otherwise.
func (a *applier) exists(action string, form url.Values, missing ...string) (wire.Auditable, bool, error) {
	out, err := a.call(action, form)
	if err == nil {
		return out, true, nil
	}
	for _, code := range append(missing, "NoSuchEntity") {
		if awserr.HasCode(err, code) {
			return nil, false, nil
		}
	}
	return nil, false, err
}

func form(kv ...string) url.Values {
	f := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			f.Set(kv[i], kv[i+1])
		}
	}
	return f
}

func addTags(f url.Values, tags map[string]string) url.Values {
	for i, k := range slices.Sorted(maps.Keys(tags)) {
		n := strconv.Itoa(i + 1)
		f.Set("Tags.member."+n+".Key", k)
		f.Set("Tags.member."+n+".Value", tags[k])
	}
	return f
}

// sameDocument compares a stored document (URL-encoded, as IAM returns
// them) with a declared one, as JSON values.
func sameDocument(stored string, declared Document) bool {
	if s, err := url.QueryUnescape(stored); err == nil {
		stored = s
	}
	var x, y any
	if json.Unmarshal([]byte(stored), &x) != nil || json.Unmarshal([]byte(declared), &y) != nil {
		return stored == string(declared)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// policyARN resolves a managed policy reference: an ARN as it is, a name
// to the account's policy (with the path the state file gives it).
func (a *applier) policyARN(st *State, ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	path := "/"
	for _, p := range st.Policies {
		if p.Name == ref && p.Path != "" {
			path = p.Path
		}
	}
	return "arn:aws:iam::" + a.s.AccountID + ":policy" + path + ref
}

func (a *applier) policies(st *State) error {
	for _, p := range st.Policies {
		arn := a.policyARN(st, p.Name)
		out, ok, err := a.exists("GetPolicy", form("PolicyArn", arn))
		if err != nil {
			return err
		}
		if !ok {
			if _, err := a.call("CreatePolicy", addTags(form("PolicyName", p.Name, "Path", p.Path, "Description", p.Description, "PolicyDocument", string(p.Document)), p.Tags)); err != nil {
				return err
			}
			a.changed("created policy %s", arn)
			continue
		}
		def := out.(*iamapi.GetPolicyOutput).Policy.DefaultVersionId
		v, err := a.call("GetPolicyVersion", form("PolicyArn", arn, "VersionId", def))
		if err != nil {
			return err
		}
		if sameDocument(v.(*iamapi.GetPolicyVersionOutput).PolicyVersion.Document, p.Document) {
			continue
		}
		// A policy keeps at most five versions: make room by deleting the
		// oldest one that is not the default.
		vs, err := a.call("ListPolicyVersions", form("PolicyArn", arn))
		if err != nil {
			return err
		}
		versions := vs.(*iamapi.ListPolicyVersionsOutput).Versions
		if len(versions) >= 5 {
			oldest := ""
			for _, pv := range versions { // newest first
				if pv.IsDefaultVersion == nil || !*pv.IsDefaultVersion {
					oldest = pv.VersionId
				}
			}
			if _, err := a.call("DeletePolicyVersion", form("PolicyArn", arn, "VersionId", oldest)); err != nil {
				return err
			}
		}
		if _, err := a.call("CreatePolicyVersion", form("PolicyArn", arn, "PolicyDocument", string(p.Document), "SetAsDefault", "true")); err != nil {
			return err
		}
		a.changed("updated policy %s", arn)
	}
	return nil
}

// entity names the IAM calls for one kind of principal.
type entity struct {
	kind, nameParam                string // "user", "UserName"
	get, put, listAttached, attach string
	putBoundary                    string
}

var (
	userEntity  = entity{"user", "UserName", "GetUserPolicy", "PutUserPolicy", "ListAttachedUserPolicies", "AttachUserPolicy", "PutUserPermissionsBoundary"}
	groupEntity = entity{"group", "GroupName", "GetGroupPolicy", "PutGroupPolicy", "ListAttachedGroupPolicies", "AttachGroupPolicy", ""}
	roleEntity  = entity{"role", "RoleName", "GetRolePolicy", "PutRolePolicy", "ListAttachedRolePolicies", "AttachRolePolicy", "PutRolePermissionsBoundary"}
)

// attach puts the inline policies that differ and attaches the managed
// policies not attached yet.
func (a *applier) attach(st *State, e entity, name string, at Attached) error {
	for _, pn := range slices.Sorted(maps.Keys(at.Policies)) {
		doc := at.Policies[pn]
		out, ok, err := a.exists(e.get, form(e.nameParam, name, "PolicyName", pn))
		if err != nil {
			return err
		}
		if ok && sameDocument(out.StringField("PolicyDocument"), doc) {
			continue
		}
		if _, err := a.call(e.put, form(e.nameParam, name, "PolicyName", pn, "PolicyDocument", string(doc))); err != nil {
			return err
		}
		a.changed("put %s %s policy %s", e.kind, name, pn)
	}
	if len(at.ManagedPolicies) == 0 {
		return nil
	}
	out, err := a.call(e.listAttached, form(e.nameParam, name, "MaxItems", "1000"))
	if err != nil {
		return err
	}
	var attached []iamapi.AttachedPolicy
	switch o := out.(type) {
	case *iamapi.ListAttachedUserPoliciesOutput:
		attached = o.AttachedPolicies
	case *iamapi.ListAttachedGroupPoliciesOutput:
		attached = o.AttachedPolicies
	case *iamapi.ListAttachedRolePoliciesOutput:
		attached = o.AttachedPolicies
	}
	for _, ref := range at.ManagedPolicies {
		arn := a.policyARN(st, ref)
		if slices.ContainsFunc(attached, func(p iamapi.AttachedPolicy) bool { return p.PolicyArn == arn }) {
			continue
		}
		if _, err := a.call(e.attach, form(e.nameParam, name, "PolicyArn", arn)); err != nil {
			return err
		}
		a.changed("attached %s to %s %s", arn, e.kind, name)
	}
	return nil
}

func (a *applier) boundary(st *State, e entity, name, current, want string) error {
	if want == "" {
		return nil
	}
	arn := a.policyARN(st, want)
	if arn == current {
		return nil
	}
	if _, err := a.call(e.putBoundary, form(e.nameParam, name, "PermissionsBoundary", arn)); err != nil {
		return err
	}
	a.changed("set the permissions boundary of %s %s to %s", e.kind, name, arn)
	return nil
}

func (a *applier) groups(st *State) error {
	for _, g := range st.Groups {
		_, ok, err := a.exists("GetGroup", form("GroupName", g.Name, "MaxItems", "1"))
		if err != nil {
			return err
		}
		if !ok {
			if _, err := a.call("CreateGroup", form("GroupName", g.Name, "Path", g.Path)); err != nil {
				return err
			}
			a.changed("created group %s", g.Name)
		}
		if err := a.attach(st, groupEntity, g.Name, g.Attached); err != nil {
			return err
		}
	}
	return nil
}

func boundaryOf(b *iamapi.AttachedPermissionsBoundary) string {
	if b == nil {
		return ""
	}
	return b.PermissionsBoundaryArn
}

func (a *applier) roles(st *State) error {
	for _, r := range st.Roles {
		maxSession := ""
		if r.MaxSessionDuration != 0 {
			maxSession = strconv.Itoa(r.MaxSessionDuration)
		}
		out, ok, err := a.exists("GetRole", form("RoleName", r.Name))
		if err != nil {
			return err
		}
		current := ""
		if !ok {
			f := addTags(form("RoleName", r.Name, "Path", r.Path, "Description", r.Description,
				"AssumeRolePolicyDocument", string(r.TrustPolicy), "MaxSessionDuration", maxSession), r.Tags)
			if _, err := a.call("CreateRole", f); err != nil {
				return err
			}
			a.changed("created role %s", r.Name)
		} else {
			role := out.(*iamapi.GetRoleOutput).Role
			current = boundaryOf(role.PermissionsBoundary)
			if !sameDocument(role.AssumeRolePolicyDocument, r.TrustPolicy) {
				if _, err := a.call("UpdateAssumeRolePolicy", form("RoleName", r.Name, "PolicyDocument", string(r.TrustPolicy))); err != nil {
					return err
				}
				a.changed("updated the trust policy of role %s", r.Name)
			}
			if role.Description != r.Description || (maxSession != "" && (role.MaxSessionDuration == nil || *role.MaxSessionDuration != r.MaxSessionDuration)) {
				f := form("RoleName", r.Name, "MaxSessionDuration", maxSession)
				f.Set("Description", r.Description)
				if _, err := a.call("UpdateRole", f); err != nil {
					return err
				}
				a.changed("updated role %s", r.Name)
			}
		}
		if err := a.boundary(st, roleEntity, r.Name, current, r.PermissionsBoundary); err != nil {
			return err
		}
		if err := a.attach(st, roleEntity, r.Name, r.Attached); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) users(st *State) error {
	for _, u := range st.Users {
		out, ok, err := a.exists("GetUser", form("UserName", u.Name))
		if err != nil {
			return err
		}
		current := ""
		if !ok {
			if _, err := a.call("CreateUser", addTags(form("UserName", u.Name, "Path", u.Path), u.Tags)); err != nil {
				return err
			}
			a.changed("created user %s", u.Name)
		} else {
			current = boundaryOf(out.(*iamapi.GetUserOutput).User.PermissionsBoundary)
		}
		if err := a.boundary(st, userEntity, u.Name, current, u.PermissionsBoundary); err != nil {
			return err
		}
		if err := a.attach(st, userEntity, u.Name, u.Attached); err != nil {
			return err
		}
		if len(u.Groups) > 0 {
			gs, err := a.call("ListGroupsForUser", form("UserName", u.Name, "MaxItems", "1000"))
			if err != nil {
				return err
			}
			in := gs.(*iamapi.ListGroupsForUserOutput).Groups
			for _, g := range u.Groups {
				if slices.ContainsFunc(in, func(x iamapi.Group) bool { return strings.EqualFold(x.GroupName, g) }) {
					continue
				}
				if _, err := a.call("AddUserToGroup", form("UserName", u.Name, "GroupName", g)); err != nil {
					return err
				}
				a.changed("added user %s to group %s", u.Name, g)
			}
		}
		for _, k := range u.AccessKeys {
			var created bool
			_, err := a.record("iam", "CreateAccessKey", func(ctx context.Context) (wire.Auditable, error) {
				var err error
				created, err = a.s.IAM.ImportAccessKey(ctx, a.caller, u.Name, k.ID, k.Secret)
				return nil, err
			})
			if err != nil {
				return fmt.Errorf("user %s: %w", u.Name, err)
			}
			if created {
				a.changed("created access key %s for user %s", k.ID, u.Name)
			}
		}
	}
	return nil
}

func (a *applier) providers(st *State) error {
	for _, p := range st.OIDCProviders {
		arn := "arn:aws:iam::" + a.s.AccountID + ":oidc-provider/" + strings.TrimPrefix(p.URL, "https://")
		out, ok, err := a.exists("GetOpenIDConnectProvider", form("OpenIDConnectProviderArn", arn))
		if err != nil {
			return err
		}
		if !ok {
			f := form("Url", p.URL)
			for i, c := range p.ClientIDs {
				f.Set("ClientIDList.member."+strconv.Itoa(i+1), c)
			}
			for i, t := range p.Thumbprints {
				f.Set("ThumbprintList.member."+strconv.Itoa(i+1), t)
			}
			if _, err := a.call("CreateOpenIDConnectProvider", f); err != nil {
				return err
			}
			a.changed("created OIDC provider %s", arn)
			continue
		}
		cur := out.(*iamapi.GetOpenIDConnectProviderOutput)
		for _, c := range p.ClientIDs {
			if slices.Contains(cur.ClientIDList, c) {
				continue
			}
			if _, err := a.call("AddClientIDToOpenIDConnectProvider", form("OpenIDConnectProviderArn", arn, "ClientID", c)); err != nil {
				return err
			}
			a.changed("added client ID %s to %s", c, arn)
		}
		if len(p.Thumbprints) > 0 && !slices.Equal(slices.Sorted(slices.Values(cur.ThumbprintList)), slices.Sorted(slices.Values(p.Thumbprints))) {
			f := form("OpenIDConnectProviderArn", arn)
			for i, t := range p.Thumbprints {
				f.Set("ThumbprintList.member."+strconv.Itoa(i+1), t)
			}
			if _, err := a.call("UpdateOpenIDConnectProviderThumbprint", f); err != nil {
				return err
			}
			a.changed("updated the thumbprints of %s", arn)
		}
	}
	for _, p := range st.SAMLProviders {
		arn := "arn:aws:iam::" + a.s.AccountID + ":saml-provider/" + p.Name
		out, ok, err := a.exists("GetSAMLProvider", form("SAMLProviderArn", arn))
		if err != nil {
			return err
		}
		if !ok {
			if _, err := a.call("CreateSAMLProvider", form("Name", p.Name, "SAMLMetadataDocument", p.Metadata)); err != nil {
				return err
			}
			a.changed("created SAML provider %s", arn)
			continue
		}
		if out.(*iamapi.GetSAMLProviderOutput).SAMLMetadataDocument == p.Metadata {
			continue
		}
		if _, err := a.call("UpdateSAMLProvider", form("SAMLProviderArn", arn, "SAMLMetadataDocument", p.Metadata)); err != nil {
			return err
		}
		a.changed("updated SAML provider %s", arn)
	}
	return nil
}

// organization creates the organization, its OUs and member accounts that
// are missing, and moves accounts to the OU the file puts them in.
func (a *applier) organization(st *State) error {
	o := st.Organization
	if o == nil {
		return nil
	}
	if _, err := a.callJSON("organizations", "DescribeOrganization", map[string]any{}); err != nil {
		if !awserr.HasCode(err, "AWSOrganizationsNotInUseException") {
			return err
		}
		in := map[string]any{}
		if o.FeatureSet != "" {
			in["FeatureSet"] = o.FeatureSet
		}
		if _, err := a.callJSON("organizations", "CreateOrganization", in); err != nil {
			return err
		}
		a.changed("created the organization")
	}
	out, err := a.callJSON("organizations", "ListRoots", map[string]any{})
	if err != nil {
		return err
	}
	roots := out.(*orgsapi.ListRootsOutput).Roots
	if len(roots) == 0 {
		return errors.New("the organization has no root")
	}
	accounts, err := a.listAccounts()
	if err != nil {
		return err
	}
	return a.container(roots[0].Id, "root", o.Units, o.Accounts, accounts)
}

func (a *applier) listAccounts() (map[string]string, error) {
	byEmail := map[string]string{}
	next := ""
	for {
		in := map[string]any{}
		if next != "" {
			in["NextToken"] = next
		}
		out, err := a.callJSON("organizations", "ListAccounts", in)
		if err != nil {
			return nil, err
		}
		page := out.(*orgsapi.ListAccountsOutput)
		for _, acc := range page.Accounts {
			byEmail[strings.ToLower(acc.Email)] = acc.Id
		}
		if next = page.NextToken; next == "" {
			return byEmail, nil
		}
	}
}

func (a *applier) container(parentID, where string, units []OUSpec, accounts []AccountSpec, byEmail map[string]string) error {
	for _, acc := range accounts {
		id, ok := byEmail[strings.ToLower(acc.Email)]
		if !ok {
			var err error
			if id, err = a.createAccount(acc); err != nil {
				return err
			}
			byEmail[strings.ToLower(acc.Email)] = id
			a.changed("created account %s (%s)", acc.Name, id)
		}
		out, err := a.callJSON("organizations", "ListParents", map[string]any{"ChildId": id})
		if err != nil {
			return err
		}
		parents := out.(*orgsapi.ListParentsOutput).Parents
		if len(parents) == 1 && parents[0].Id != parentID {
			if _, err := a.callJSON("organizations", "MoveAccount", map[string]any{"AccountId": id, "SourceParentId": parents[0].Id, "DestinationParentId": parentID}); err != nil {
				return err
			}
			a.changed("moved account %s to %s", acc.Name, where)
		}
	}
	if len(units) == 0 {
		return nil
	}
	existing := map[string]string{}
	next := ""
	for {
		in := map[string]any{"ParentId": parentID}
		if next != "" {
			in["NextToken"] = next
		}
		out, err := a.callJSON("organizations", "ListOrganizationalUnitsForParent", in)
		if err != nil {
			return err
		}
		page := out.(*orgsapi.ListOrganizationalUnitsForParentOutput)
		for _, ou := range page.OrganizationalUnits {
			existing[ou.Name] = ou.Id
		}
		if next = page.NextToken; next == "" {
			break
		}
	}
	for _, u := range units {
		id, ok := existing[u.Name]
		if !ok {
			out, err := a.callJSON("organizations", "CreateOrganizationalUnit", map[string]any{"ParentId": parentID, "Name": u.Name})
			if err != nil {
				return err
			}
			id = out.(*orgsapi.CreateOrganizationalUnitOutput).OrganizationalUnit.Id
			a.changed("created OU %s under %s", u.Name, where)
		}
		if err := a.container(id, "OU "+u.Name, u.Units, u.Accounts, byEmail); err != nil {
			return err
		}
	}
	return nil
}

// createAccount creates a member account and waits for its creation to
// end (Organizations creates accounts asynchronously).
func (a *applier) createAccount(acc AccountSpec) (string, error) {
	out, err := a.callJSON("organizations", "CreateAccount", map[string]any{"AccountName": acc.Name, "Email": acc.Email})
	if err != nil {
		return "", err
	}
	status := out.(*orgsapi.CreateAccountOutput).CreateAccountStatus
	for deadline := time.Now().Add(time.Minute); status.State == "IN_PROGRESS"; {
		if time.Now().After(deadline) {
			return "", fmt.Errorf("account %s: still being created after a minute", acc.Name)
		}
		time.Sleep(50 * time.Millisecond)
		out, err := a.callJSON("organizations", "DescribeCreateAccountStatus", map[string]any{"CreateAccountRequestId": status.Id})
		if err != nil {
			return "", err
		}
		status = out.(*orgsapi.DescribeCreateAccountStatusOutput).CreateAccountStatus
	}
	if status.State != "SUCCEEDED" {
		return "", fmt.Errorf("account %s: %s (%s)", acc.Name, status.State, status.FailureReason)
	}
	return status.AccountId, nil
}
