package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// The Organizations access report: for an organization entity (the root, an
// OU, an account), when the principals of the accounts under it last used
// each service, read from those accounts' trails as access advisor reads
// one account's. The services accessible are the ones mantle serves (no
// service control policy narrows them here).

const jobOrgsAccess = "organizations-access"

// orgEntityPath is o-…/r-…[/ou-…]*[/ACCOUNT]; the pattern is the model's.
var orgEntityPath = regexp.MustCompile(`^o-[0-9a-z]{10,32}/r-[0-9a-z]{4,32}(/ou-[0-9a-z]{4,32}-[0-9a-z]{8,32})*(/\d{12})?$`)

// orgAccess is one service's line of the report.
type orgAccess struct {
	Namespace  string     `json:"namespace"`
	Last       *time.Time `json:"last,omitempty"`
	Region     string     `json:"region,omitempty"`
	EntityPath string     `json:"entityPath,omitempty"`
	Total      int        `json:"total"`
}

func (s *Service) GenerateOrganizationsAccessReport(ctx context.Context, c *auth.Caller, in *iamapi.GenerateOrganizationsAccessReportInput) (*iamapi.GenerateOrganizationsAccessReportOutput, error) {
	if err := s.authorize(ctx, c, "GenerateOrganizationsAccessReport", "*"); err != nil {
		return nil, err
	}
	if !orgEntityPath.MatchString(in.EntityPath) {
		return nil, awserr.InvalidInput("Invalid entity path: %s", in.EntityPath)
	}
	a, err := s.account(ctx, s.store, c.AccountID)
	if err != nil {
		return nil, err
	}
	var org *store.Organization
	if a.OrganizationID != "" {
		org, err = s.store.Organizations().Get(ctx, a.OrganizationID)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
	}
	if org == nil || org.ManagementAccountID != c.AccountID {
		return nil, awserr.InvalidInput("Only the management account of an organization can generate an organizations access report.")
	}
	accounts, paths, err := s.accountsUnder(ctx, org, in.EntityPath)
	if err != nil {
		return nil, err
	}
	created := s.clock()
	report := make([]orgAccess, len(servedServices))
	for i, ns := range servedServices {
		report[i].Namespace = ns
	}
	for _, acct := range accounts {
		use, err := s.trailUse(ctx, acct, func(arn string) bool { return strings.Contains(arn, "::"+acct+":") }, servedServices, false)
		if err != nil {
			return nil, err
		}
		for i, u := range use {
			r := &report[i]
			r.Total += len(u.Entities)
			if u.Last != nil && (r.Last == nil || u.Last.After(*r.Last)) {
				r.Last, r.Region, r.EntityPath = u.Last, u.LastRegion, paths[acct]
			}
		}
	}
	id, err := s.saveJob(ctx, c.AccountID, jobOrgsAccess, in.EntityPath, created, report)
	if err != nil {
		return nil, err
	}
	return &iamapi.GenerateOrganizationsAccessReportOutput{JobId: id}, nil
}

// accountsUnder resolves an entity path in the organization to the accounts
// under it, with each account's own path.
func (s *Service) accountsUnder(ctx context.Context, org *store.Organization, entityPath string) ([]string, map[string]string, error) {
	parts := strings.Split(entityPath, "/")
	bad := awserr.InvalidInput("Invalid entity path: %s", entityPath)
	if parts[0] != org.ID || parts[1] != org.RootID {
		return nil, nil, bad
	}
	ous, err := s.store.Organizations().ListOUs(ctx, org.ID)
	if err != nil {
		return nil, nil, err
	}
	parent := map[string]string{}
	for _, ou := range ous {
		parent[ou.ID] = ou.ParentID
	}
	placed, err := s.store.Organizations().ListAccountParents(ctx, org.ID)
	if err != nil {
		return nil, nil, err
	}
	members, err := s.store.Accounts().List(ctx)
	if err != nil {
		return nil, nil, err
	}
	accountParent := map[string]string{}
	for _, m := range members {
		if m.OrganizationID == org.ID {
			accountParent[m.ID] = org.RootID // unplaced accounts are under the root
		}
	}
	for _, p := range placed {
		accountParent[p.AccountID] = p.ParentID
	}
	// containerPath is a container's path from the organization down.
	var containerPath func(id string) string
	containerPath = func(id string) string {
		if id == org.RootID {
			return org.ID + "/" + org.RootID
		}
		return containerPath(parent[id]) + "/" + id
	}
	// Every OU in the path must hang under the one before it.
	for i := 2; i < len(parts); i++ {
		if strings.HasPrefix(parts[i], "ou-") {
			if p, ok := parent[parts[i]]; !ok || p != parts[i-1] {
				return nil, nil, bad
			}
		}
	}
	paths := map[string]string{}
	var accounts []string
	for acct, p := range accountParent {
		full := containerPath(p) + "/" + acct
		if full == entityPath || strings.HasPrefix(full, entityPath+"/") {
			accounts = append(accounts, acct)
			paths[acct] = full
		}
	}
	if len(accounts) == 0 && accountIDRe.MatchString(parts[len(parts)-1]) {
		return nil, nil, bad // an account not in the organization, or not there
	}
	sort.Strings(accounts)
	return accounts, paths, nil
}

func (s *Service) GetOrganizationsAccessReport(ctx context.Context, c *auth.Caller, in *iamapi.GetOrganizationsAccessReportInput) (*iamapi.GetOrganizationsAccessReportOutput, error) {
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "GetOrganizationsAccessReport", "*"); err != nil {
		return nil, err
	}
	j, err := s.store.Jobs().Get(ctx, c.AccountID, in.JobId)
	if err != nil || j.Kind != jobOrgsAccess {
		return nil, notFoundAs(orNotFound(err), awserr.NoSuchEntity("No job found for the job ID %s.", in.JobId))
	}
	var report []orgAccess
	if err := json.Unmarshal([]byte(j.Result), &report); err != nil {
		return nil, err
	}
	last := func(r orgAccess) string {
		if r.Last == nil {
			return ""
		}
		return r.Last.Format(time.RFC3339Nano)
	}
	switch in.SortKey {
	case "", "SERVICE_NAMESPACE_ASCENDING":
	case "SERVICE_NAMESPACE_DESCENDING":
		sort.SliceStable(report, func(a, b int) bool { return report[a].Namespace > report[b].Namespace })
	case "LAST_AUTHENTICATED_TIME_ASCENDING":
		sort.SliceStable(report, func(a, b int) bool { return last(report[a]) < last(report[b]) })
	case "LAST_AUTHENTICATED_TIME_DESCENDING":
		sort.SliceStable(report, func(a, b int) bool { return last(report[a]) > last(report[b]) })
	default:
		return nil, awserr.ValidationError("1 validation error detected: Value '%s' at 'sortKey' failed to satisfy constraint: Member must satisfy enum value set: [SERVICE_NAMESPACE_ASCENDING, SERVICE_NAMESPACE_DESCENDING, LAST_AUTHENTICATED_TIME_ASCENDING, LAST_AUTHENTICATED_TIME_DESCENDING]", in.SortKey)
	}
	notAccessed := 0
	for _, r := range report {
		if r.Last == nil {
			notAccessed++
		}
	}
	// The page cursor is the position in the sorted report.
	type row struct {
		i int
		r orgAccess
	}
	rows := make([]row, len(report))
	for i, r := range report {
		rows[i] = row{i, r}
	}
	page, trunc, m, _ := cutSlice(pg, rows, func(r row) string { return fmt.Sprintf("%06d", r.i) })
	out := &iamapi.GetOrganizationsAccessReportOutput{JobStatus: j.Status, JobCreationDate: j.CreatedAt, JobCompletionDate: *j.CompletedAt,
		NumberOfServicesAccessible: ptr(len(report)), NumberOfServicesNotAccessed: ptr(notAccessed), AccessDetails: []iamapi.AccessDetail{},
		IsTruncated: ptr(trunc), Marker: m}
	for _, r := range page {
		d := iamapi.AccessDetail{ServiceName: serviceName(r.r.Namespace), ServiceNamespace: r.r.Namespace, Region: r.r.Region,
			EntityPath: r.r.EntityPath, TotalAuthenticatedEntities: ptr(r.r.Total)}
		if r.r.Last != nil {
			d.LastAuthenticatedTime = *r.r.Last
		}
		out.AccessDetails = append(out.AccessDetails, d)
	}
	return out, nil
}
