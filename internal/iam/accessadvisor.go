package iam

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// Access advisor ("Refining permissions using last accessed information",
// IAM User Guide) from mantle's own audit trail: which services an
// entity's policies allow, and when each was last used by the users and
// roles the entity stands for. A job is computed when it is generated (a
// pass over the account's trail) and kept in iam_jobs; the trail reaches
// back as far as --audit-retention keeps it (AWS tracks 400 days).

const (
	jobLastAccessed = "last-accessed"
	// advisorScanLimit bounds one job's pass over the trail, newest first.
	advisorScanLimit = 500_000
)

// servedServices are the namespaces mantle serves and so can report use
// of; a policy allowing "*" allows these (and AWS's hundreds of others,
// which nothing can use here).
var servedServices = []string{"cloudtrail", "iam", "organizations", "sts"}

// serviceNames are AWS's names of the namespaces reports name most.
var serviceNames = map[string]string{
	"iam": "AWS Identity and Access Management", "sts": "AWS Security Token Service",
	"organizations": "AWS Organizations", "cloudtrail": "AWS CloudTrail",
	"s3": "Amazon S3", "ec2": "Amazon EC2", "lambda": "AWS Lambda", "logs": "Amazon CloudWatch Logs",
	"cloudwatch": "Amazon CloudWatch", "dynamodb": "Amazon DynamoDB", "sqs": "Amazon SQS", "sns": "Amazon SNS",
	"kms": "AWS Key Management Service", "secretsmanager": "AWS Secrets Manager", "ssm": "AWS Systems Manager",
	"ecr": "Amazon Elastic Container Registry", "ecs": "Amazon Elastic Container Service", "rds": "Amazon RDS",
}

func serviceName(ns string) string {
	if n, ok := serviceNames[ns]; ok {
		return n
	}
	return ns
}

// advEntity is a user or role whose activity a report counts.
type advEntity struct {
	Type string `json:"type"` // USER or ROLE
	ARN  string `json:"arn"`
	ID   string `json:"id"`
	Name string `json:"name"`
	Path string `json:"path"`
}

// grant is one policy that applies to the subject, with the entity it
// belongs to (ListPoliciesGrantingServiceAccess).
type grant struct {
	entityType, entityName string // USER, GROUP or ROLE
	policyType             string // INLINE or MANAGED
	policyName, policyARN  string
	doc                    string
}

// subject is what a report is about.
type subject struct {
	principals []advEntity
	grants     []grant
}

// advisorARN splits an IAM ARN of a user, group, role or policy.
func advisorARN(arn string) (account, typ, path, name string, ok bool) {
	const pfx = "arn:aws:iam::"
	if !strings.HasPrefix(arn, pfx) {
		return "", "", "", "", false
	}
	account, rest, ok := strings.Cut(arn[len(pfx):], ":")
	if !ok {
		return "", "", "", "", false
	}
	typ, rest, ok = strings.Cut(rest, "/")
	i := strings.LastIndex(rest, "/")
	if !ok || rest[i+1:] == "" {
		return "", "", "", "", false
	}
	switch typ {
	case "user", "group", "role", "policy":
		return account, typ, "/" + rest[:i+1], rest[i+1:], true
	}
	return "", "", "", "", false
}

// subjectOf authorizes action on the entity at arn and gathers what a
// report about it needs. policies says whether a managed policy may be the
// subject (GenerateServiceLastAccessedDetails) or only a user, group or role.
func (s *Service) subjectOf(ctx context.Context, c *auth.Caller, action, arn string, policies bool) (*subject, error) {
	acct, typ, p, name, ok := advisorARN(arn)
	if !ok || (typ == "policy" && !policies) {
		return nil, invalidARN(arn)
	}
	sub := &subject{}
	switch typ {
	case "user":
		u, err := s.userTarget(ctx, c, action, name)
		if err != nil {
			return nil, err
		}
		if acct != c.AccountID || u.Path != p {
			return nil, noSuchUser(name)
		}
		sub.principals = []advEntity{userEntity(u)}
		if err := s.addGrants(ctx, sub, store.EntityUser, u.ID, "USER", u.Name); err != nil {
			return nil, err
		}
		groups, err := s.store.Groups().ListForUser(ctx, u.ID, store.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			if err := s.addGrants(ctx, sub, store.EntityGroup, g.ID, "GROUP", g.Name); err != nil {
				return nil, err
			}
		}
	case "role":
		r, err := s.roleTarget(ctx, c, action, name)
		if err != nil {
			return nil, err
		}
		if acct != c.AccountID || r.Path != p {
			return nil, noSuchRole(name)
		}
		sub.principals = []advEntity{roleEntity(r)}
		if err := s.addGrants(ctx, sub, store.EntityRole, r.ID, "ROLE", r.Name); err != nil {
			return nil, err
		}
	case "group":
		g, err := s.groupTarget(ctx, c, action, name)
		if err != nil {
			return nil, err
		}
		if acct != c.AccountID || g.Path != p {
			return nil, noSuchGroup(name)
		}
		members, err := s.store.Groups().ListMembers(ctx, g.ID, store.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, u := range members {
			sub.principals = append(sub.principals, userEntity(u))
		}
		if err := s.addGrants(ctx, sub, store.EntityGroup, g.ID, "GROUP", g.Name); err != nil {
			return nil, err
		}
	case "policy":
		mp, err := s.policyTarget(ctx, c, action, arn)
		if err != nil {
			return nil, err
		}
		v, err := s.store.Policies().GetVersion(ctx, mp.ID, mp.DefaultVersionID)
		if err != nil {
			return nil, err
		}
		sub.grants = []grant{{policyType: "MANAGED", policyName: mp.Name, policyARN: arn, doc: v.Document}}
		if sub.principals, err = s.policyPrincipals(ctx, c.AccountID, mp.ID); err != nil {
			return nil, err
		}
	}
	return sub, nil
}

func userEntity(u *store.User) advEntity {
	return advEntity{Type: "USER", ARN: userARNOf(u), ID: u.ID, Name: u.Name, Path: u.Path}
}

func roleEntity(r *store.Role) advEntity {
	return advEntity{Type: "ROLE", ARN: roleARNOf(r), ID: r.ID, Name: r.Name, Path: r.Path}
}

// addGrants adds an entity's inline and attached managed policies.
func (s *Service) addGrants(ctx context.Context, sub *subject, t store.EntityType, id, typ, name string) error {
	set := &PolicySet{}
	if err := s.entityPolicies(ctx, set, t, id); err != nil {
		return err
	}
	for _, np := range set.Identity {
		g := grant{entityType: typ, entityName: name, policyType: "INLINE", policyName: np.Name, doc: np.Document}
		if np.Kind == "managed" {
			g.policyType, g.policyARN = "MANAGED", np.Name
			g.policyName = np.Name[strings.LastIndex(np.Name, "/")+1:]
		}
		sub.grants = append(sub.grants, g)
	}
	return nil
}

// policyPrincipals are the account's users and roles a managed policy
// applies to: attached to them or to a group they are in.
func (s *Service) policyPrincipals(ctx context.Context, account, policyID string) ([]advEntity, error) {
	atts, err := s.store.Attachments().ListForPolicy(ctx, policyID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []advEntity
	add := func(e advEntity) {
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	for _, a := range atts {
		switch a.EntityType {
		case store.EntityUser:
			if u, err := s.store.Users().GetByID(ctx, a.EntityID); err == nil && u.AccountID == account {
				add(userEntity(u))
			}
		case store.EntityRole:
			if r, err := s.store.Roles().GetByID(ctx, a.EntityID); err == nil && r.AccountID == account {
				add(roleEntity(r))
			}
		case store.EntityGroup:
			g, err := s.store.Groups().GetByID(ctx, a.EntityID)
			if err != nil || g.AccountID != account {
				continue
			}
			members, err := s.store.Groups().ListMembers(ctx, g.ID, store.ListOptions{})
			if err != nil {
				return nil, err
			}
			for _, u := range members {
				add(userEntity(u))
			}
		}
	}
	return out, nil
}

// policyStatements reads the Allow statements' Action and NotAction lists
// of a document; documents were validated when stored.
func policyStatements(doc string) (actions, notActions [][]string) {
	var d struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return nil, nil
	}
	var sts []map[string]json.RawMessage
	if json.Unmarshal(d.Statement, &sts) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(d.Statement, &one) != nil {
			return nil, nil
		}
		sts = []map[string]json.RawMessage{one}
	}
	list := func(raw json.RawMessage) []string {
		var one string
		if json.Unmarshal(raw, &one) == nil {
			return []string{one}
		}
		var many []string
		_ = json.Unmarshal(raw, &many)
		return many
	}
	for _, st := range sts {
		var effect string
		_ = json.Unmarshal(st["Effect"], &effect)
		if effect != "Allow" {
			continue
		}
		if raw, ok := st["Action"]; ok {
			actions = append(actions, list(raw))
		}
		if raw, ok := st["NotAction"]; ok {
			notActions = append(notActions, list(raw))
		}
	}
	return actions, notActions
}

// serviceMatches reports whether an action pattern ("iam:Get*", "*",
// "s3:*") can match an action of namespace ns.
func serviceMatches(pattern, ns string) bool {
	svc, _, ok := strings.Cut(strings.ToLower(pattern), ":")
	if !ok {
		return svc == "*"
	}
	m, err := path.Match(svc, ns)
	return err == nil && m
}

// grants reports whether a document allows some action of namespace ns.
// A NotAction statement allows every service it does not exclude whole.
func grantsService(doc, ns string) bool {
	actions, notActions := policyStatements(doc)
	for _, as := range actions {
		for _, a := range as {
			if serviceMatches(a, ns) {
				return true
			}
		}
	}
	for _, as := range notActions {
		excluded := false
		for _, a := range as {
			if a == "*" || strings.EqualFold(a, ns+":*") {
				excluded = true
			}
		}
		if !excluded {
			return true
		}
	}
	return false
}

// allowedServices are the namespaces the subject's policies allow: the
// served ones a pattern reaches and every namespace a pattern names.
func (sub *subject) allowedServices() []string {
	candidates := map[string]bool{}
	for _, ns := range servedServices {
		candidates[ns] = true
	}
	for _, g := range sub.grants {
		actions, _ := policyStatements(g.doc)
		for _, as := range actions {
			for _, a := range as {
				if svc, _, ok := strings.Cut(strings.ToLower(a), ":"); ok && !strings.ContainsAny(svc, "*?") {
					candidates[svc] = true
				}
			}
		}
	}
	var out []string
	for ns := range candidates {
		for _, g := range sub.grants {
			if grantsService(g.doc, ns) {
				out = append(out, ns)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// advService is one service of a computed report.
type advService struct {
	Namespace  string               `json:"namespace"`
	Last       *time.Time           `json:"last,omitempty"`
	LastEntity string               `json:"lastEntity,omitempty"`
	LastRegion string               `json:"lastRegion,omitempty"`
	Entities   map[string]time.Time `json:"entities,omitempty"` // entity ARN → last use
	Actions    []advAction          `json:"actions,omitempty"`
}

type advAction struct {
	Name   string    `json:"name"`
	Time   time.Time `json:"time"`
	Entity string    `json:"entity"`
	Region string    `json:"region"`
}

// advReport is a job's stored result.
type advReport struct {
	Granularity string       `json:"granularity"`
	Principals  []advEntity  `json:"principals"`
	Services    []advService `json:"services"`
}

// trailRecord is what a report reads of a CloudTrail record.
type trailRecord struct {
	UserIdentity struct {
		ARN            string `json:"arn"`
		SessionContext *struct {
			SessionIssuer *struct {
				ARN string `json:"arn"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	AWSRegion   string `json:"awsRegion"`
}

// lastAccess reads the account's trail, newest first, for the principals'
// use of the services: a session counts as its role's (or, federated, its
// user's) use.
func (s *Service) lastAccess(ctx context.Context, account string, sub *subject, services []string, actions bool) ([]advService, error) {
	byARN := map[string]bool{}
	for _, p := range sub.principals {
		byARN[p.ARN] = true
	}
	if len(byARN) == 0 {
		return s.trailUse(ctx, account, nil, services, actions)
	}
	return s.trailUse(ctx, account, func(who string) bool { return byARN[who] }, services, actions)
}

// trailUse reads an account's trail, newest first, for the use of the
// services by the identities counts accepts (by ARN: a role session's
// role, a federated user's user); nil counts nobody and reads nothing.
func (s *Service) trailUse(ctx context.Context, account string, counts func(who string) bool, services []string, actions bool) ([]advService, error) {
	out := make([]advService, len(services))
	idx := map[string]int{}
	for i, ns := range services {
		out[i] = advService{Namespace: ns, Entities: map[string]time.Time{}}
		idx[ns] = i
	}
	seenAction := map[string]bool{}
	q := store.EventQuery{AccountID: account, Limit: 1000}
	for scanned := 0; counts != nil && scanned < advisorScanLimit; {
		evs, err := s.store.Events().Lookup(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			var r trailRecord
			if json.Unmarshal(ev.Record, &r) != nil {
				continue
			}
			who := r.UserIdentity.ARN
			if sc := r.UserIdentity.SessionContext; sc != nil && sc.SessionIssuer != nil {
				who = sc.SessionIssuer.ARN
			}
			i, ok := idx[strings.TrimSuffix(ev.Source, ".amazonaws.com")]
			if !ok || who == "" || !counts(who) {
				continue
			}
			svc := &out[i]
			if svc.Last == nil {
				t := ev.Time.UTC()
				svc.Last, svc.LastEntity, svc.LastRegion = &t, who, r.AWSRegion
			}
			if _, ok := svc.Entities[who]; !ok {
				svc.Entities[who] = ev.Time.UTC()
			}
			if key := svc.Namespace + ":" + ev.Name; actions && !seenAction[key] {
				seenAction[key] = true
				svc.Actions = append(svc.Actions, advAction{Name: ev.Name, Time: ev.Time.UTC(), Entity: who, Region: r.AWSRegion})
			}
		}
		scanned += len(evs)
		if len(evs) < q.Limit {
			break
		}
		last := evs[len(evs)-1]
		q.After = &store.EventCursor{Time: last.Time, ID: last.ID}
	}
	for i := range out {
		sort.Slice(out[i].Actions, func(a, b int) bool { return out[i].Actions[a].Name < out[i].Actions[b].Name })
	}
	return out, nil
}

// newJobID is a job ID in AWS's form, a random UUID.
func (s *Service) newJobID() (string, error) {
	b := make([]byte, 16)
	if _, err := s.rand.Read(b); err != nil {
		return "", fmt.Errorf("iam: random source: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

func (s *Service) GenerateServiceLastAccessedDetails(ctx context.Context, c *auth.Caller, in *iamapi.GenerateServiceLastAccessedDetailsInput) (*iamapi.GenerateServiceLastAccessedDetailsOutput, error) {
	granularity := in.Granularity
	switch granularity {
	case "":
		granularity = "SERVICE_LEVEL"
	case "SERVICE_LEVEL", "ACTION_LEVEL":
	default:
		return nil, awserr.ValidationError("1 validation error detected: Value '%s' at 'granularity' failed to satisfy constraint: Member must satisfy enum value set: [SERVICE_LEVEL, ACTION_LEVEL]", in.Granularity)
	}
	sub, err := s.subjectOf(ctx, c, "GenerateServiceLastAccessedDetails", in.Arn, true)
	if err != nil {
		return nil, err
	}
	created := s.clock()
	services, err := s.lastAccess(ctx, c.AccountID, sub, sub.allowedServices(), granularity == "ACTION_LEVEL")
	if err != nil {
		return nil, err
	}
	id, err := s.saveJob(ctx, c.AccountID, jobLastAccessed, in.Arn, created,
		advReport{Granularity: granularity, Principals: sub.principals, Services: services})
	if err != nil {
		return nil, err
	}
	return &iamapi.GenerateServiceLastAccessedDetailsOutput{JobId: id}, nil
}

// saveJob keeps a completed report job (bookkeeping) under a new job ID.
func (s *Service) saveJob(ctx context.Context, account, kind, params string, created time.Time, result any) (string, error) {
	b, err := json.Marshal(result)
	if err != nil {
		return "", err
	}
	id, err := s.newJobID()
	if err != nil {
		return "", err
	}
	done := s.clock()
	return id, s.store.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		return tx.Jobs().Put(ctx, &store.Job{AccountID: account, ID: id, Kind: kind, Status: "COMPLETED",
			Params: params, Result: string(b), CreatedAt: created, CompletedAt: &done})
	})
}

// advisorJob reads a job of the caller's account.
func (s *Service) advisorJob(ctx context.Context, c *auth.Caller, action, id string) (*store.Job, *advReport, error) {
	if err := s.authorize(ctx, c, action, "*"); err != nil {
		return nil, nil, err
	}
	j, err := s.store.Jobs().Get(ctx, c.AccountID, id)
	if err != nil || j.Kind != jobLastAccessed {
		return nil, nil, notFoundAs(orNotFound(err), awserr.NoSuchEntity("No job found for the job ID %s.", id))
	}
	var rep advReport
	if err := json.Unmarshal([]byte(j.Result), &rep); err != nil {
		return nil, nil, err
	}
	return j, &rep, nil
}

func (s *Service) GetServiceLastAccessedDetails(ctx context.Context, c *auth.Caller, in *iamapi.GetServiceLastAccessedDetailsInput) (*iamapi.GetServiceLastAccessedDetailsOutput, error) {
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	j, rep, err := s.advisorJob(ctx, c, "GetServiceLastAccessedDetails", in.JobId)
	if err != nil {
		return nil, err
	}
	svcs, trunc, m, _ := cutSlice(pg, rep.Services, func(v advService) string { return v.Namespace })
	out := &iamapi.GetServiceLastAccessedDetailsOutput{JobStatus: j.Status, JobType: rep.Granularity, JobCreationDate: j.CreatedAt,
		JobCompletionDate: *j.CompletedAt, ServicesLastAccessed: []iamapi.ServiceLastAccessed{}, IsTruncated: ptr(trunc), Marker: m}
	for _, v := range svcs {
		sl := iamapi.ServiceLastAccessed{ServiceName: serviceName(v.Namespace), ServiceNamespace: v.Namespace,
			TotalAuthenticatedEntities: ptr(len(v.Entities)), LastAuthenticatedEntity: v.LastEntity, LastAuthenticatedRegion: v.LastRegion}
		if v.Last != nil {
			sl.LastAuthenticated = *v.Last
		}
		if rep.Granularity == "ACTION_LEVEL" && trackedActions(v.Namespace) {
			sl.TrackedActionsLastAccessed = []iamapi.TrackedActionLastAccessed{}
			for _, a := range v.Actions {
				sl.TrackedActionsLastAccessed = append(sl.TrackedActionsLastAccessed, iamapi.TrackedActionLastAccessed{
					ActionName: a.Name, LastAccessedTime: a.Time, LastAccessedEntity: a.Entity, LastAccessedRegion: a.Region})
			}
		}
		out.ServicesLastAccessed = append(out.ServicesLastAccessed, sl)
	}
	return out, nil
}

// trackedActions: mantle records every action of the services it serves.
func trackedActions(ns string) bool {
	for _, s := range servedServices {
		if s == ns {
			return true
		}
	}
	return false
}

func (s *Service) GetServiceLastAccessedDetailsWithEntities(ctx context.Context, c *auth.Caller, in *iamapi.GetServiceLastAccessedDetailsWithEntitiesInput) (*iamapi.GetServiceLastAccessedDetailsWithEntitiesOutput, error) {
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	j, rep, err := s.advisorJob(ctx, c, "GetServiceLastAccessedDetailsWithEntities", in.JobId)
	if err != nil {
		return nil, err
	}
	var svc *advService
	for i := range rep.Services {
		if rep.Services[i].Namespace == in.ServiceNamespace {
			svc = &rep.Services[i]
		}
	}
	ents := rep.Principals
	sortBy(ents, func(e advEntity) string { return e.Type + "|" + lower(e.Name) })
	ents, trunc, m, _ := cutSlice(pg, ents, func(e advEntity) string { return e.Type + "|" + lower(e.Name) })
	out := &iamapi.GetServiceLastAccessedDetailsWithEntitiesOutput{JobStatus: j.Status, JobCreationDate: j.CreatedAt,
		JobCompletionDate: *j.CompletedAt, EntityDetailsList: []iamapi.EntityDetails{}, IsTruncated: ptr(trunc), Marker: m}
	for _, e := range ents {
		d := iamapi.EntityDetails{EntityInfo: &iamapi.EntityInfo{Arn: e.ARN, Id: e.ID, Name: e.Name, Path: e.Path, Type: e.Type}}
		if svc != nil {
			d.LastAuthenticated = svc.Entities[e.ARN]
		}
		out.EntityDetailsList = append(out.EntityDetailsList, d)
	}
	return out, nil
}

func (s *Service) ListPoliciesGrantingServiceAccess(ctx context.Context, c *auth.Caller, in *iamapi.ListPoliciesGrantingServiceAccessInput) (*iamapi.ListPoliciesGrantingServiceAccessOutput, error) {
	if len(in.ServiceNamespaces) == 0 || len(in.ServiceNamespaces) > 200 {
		return nil, awserr.ValidationError("1 validation error detected: Value '%v' at 'serviceNamespaces' failed to satisfy constraint: Member must have length less than or equal to 200, Member must have length greater than or equal to 1", in.ServiceNamespaces)
	}
	if in.Marker != "" {
		if _, err := pageOf(in.Marker, nil); err != nil {
			return nil, err
		}
	}
	sub, err := s.subjectOf(ctx, c, "ListPoliciesGrantingServiceAccess", in.Arn, false)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListPoliciesGrantingServiceAccessOutput{PoliciesGrantingServiceAccess: []iamapi.ListPoliciesGrantingServiceAccessEntry{}, IsTruncated: ptr(false)}
	for _, ns := range in.ServiceNamespaces {
		e := iamapi.ListPoliciesGrantingServiceAccessEntry{ServiceNamespace: ns, Policies: []iamapi.PolicyGrantingServiceAccess{}}
		for _, g := range sub.grants {
			if !grantsService(g.doc, strings.ToLower(ns)) {
				continue
			}
			p := iamapi.PolicyGrantingServiceAccess{PolicyName: g.policyName, PolicyType: g.policyType, PolicyArn: g.policyARN}
			if g.policyType == "INLINE" {
				p.EntityType, p.EntityName = g.entityType, g.entityName
			}
			e.Policies = append(e.Policies, p)
		}
		out.PoliciesGrantingServiceAccess = append(out.PoliciesGrantingServiceAccess, e)
	}
	return out, nil
}
