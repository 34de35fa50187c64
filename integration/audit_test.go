package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func (e *env) cloudtrail(c creds) *cloudtrail.Client { return cloudtrail.NewFromConfig(e.config(c)) }

// trailRecord is the part of a CloudTrail record the tests read.
type trailRecord struct {
	EventName    string
	EventSource  string
	ErrorCode    string
	ReadOnly     bool
	UserIdentity struct {
		Type, PrincipalID, ARN, AccountID, AccessKeyID, UserName string
		SessionContext                                           *struct {
			SessionIssuer  *struct{ Type, ARN, UserName string }
			SourceIdentity string
		}
	}
	RequestParameters  map[string]any
	ResponseElements   map[string]any
	RecipientAccountID string `json:"recipientAccountId"`
}

func lookup(t *testing.T, ct *cloudtrail.Client, key cttypes.LookupAttributeKey, value string) []cttypes.Event {
	t.Helper()
	out := must[*cloudtrail.LookupEventsOutput](t)(ct.LookupEvents(ctx(t), &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: key, AttributeValue: aws.String(value)}},
	}))
	return out.Events
}

func record(t *testing.T, ev cttypes.Event) trailRecord {
	t.Helper()
	var r trailRecord
	if err := json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &r); err != nil {
		t.Fatalf("CloudTrailEvent: %v", err)
	}
	return r
}

// The trace-back a user makes: from a temporary key seen in a call, to the
// role session it belongs to, to who assumed the role.
func TestAuditTracesTemporaryCredentialsToTheAssumer(t *testing.T) {
	e := start(t)
	c := ctx(t)
	alice := e.newUser("alice", "")
	roleARN := e.newRole("deploy",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+userARN("alice")+`"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`, 0)
	out := must[*sts.AssumeRoleOutput](t)(e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ci-run"), SourceIdentity: aws.String("alice@example.com"),
	}))
	sess := session(out.Credentials)
	must[*iam.ListUsersOutput](t)(e.iam(sess).ListUsers(c, &iam.ListUsersInput{}))
	_, err := e.iam(sess).DeleteRole(c, &iam.DeleteRoleInput{RoleName: aws.String("deploy")})
	wantCode(t, err, "AccessDenied", "")

	ct := e.cloudtrail(e.root())
	// 1. What did the temporary key do?
	evs := lookup(t, ct, cttypes.LookupAttributeKeyAccessKeyId, sess.id)
	if len(evs) != 2 || aws.ToString(evs[0].EventName) != "DeleteRole" || aws.ToString(evs[1].EventName) != "ListUsers" {
		t.Fatalf("events of the session key: %+v", evs)
	}
	if aws.ToString(evs[1].Username) != "ci-run" || aws.ToString(evs[1].EventSource) != "iam.amazonaws.com" ||
		aws.ToString(evs[1].ReadOnly) != "true" || aws.ToString(evs[1].AccessKeyId) != sess.id {
		t.Errorf("ListUsers event: %+v", evs[1])
	}
	denied := record(t, evs[0])
	if denied.ErrorCode != "AccessDenied" || denied.ReadOnly {
		t.Errorf("DeleteRole record: %+v", denied)
	}
	r := record(t, evs[1])
	sc := r.UserIdentity.SessionContext
	if r.UserIdentity.Type != "AssumedRole" || r.UserIdentity.AccessKeyID != sess.id || sc == nil || sc.SessionIssuer == nil ||
		sc.SessionIssuer.ARN != roleARN || sc.SessionIssuer.Type != "Role" || sc.SourceIdentity != "alice@example.com" {
		t.Fatalf("ListUsers userIdentity: %+v", r.UserIdentity)
	}
	// 2. Which call issued that key? It is a resource of the AssumeRole
	// event, which the assumer made with its own key.
	evs = lookup(t, ct, cttypes.LookupAttributeKeyResourceName, sess.id)
	if len(evs) != 1 || aws.ToString(evs[0].EventName) != "AssumeRole" {
		t.Fatalf("events naming the session key: %+v", evs)
	}
	r = record(t, evs[0])
	creds, _ := r.ResponseElements["credentials"].(map[string]any)
	if r.UserIdentity.Type != "IAMUser" || r.UserIdentity.UserName != "alice" || r.UserIdentity.AccessKeyID != alice.id ||
		creds["accessKeyId"] != sess.id || creds["expiration"] == nil {
		t.Fatalf("AssumeRole record: %+v", r)
	}
	if raw := aws.ToString(evs[0].CloudTrailEvent); strings.Contains(raw, sess.secret) || strings.Contains(raw, sess.token) {
		t.Fatal("the AssumeRole record holds the session's secret")
	}
	if r.RequestParameters["roleArn"] != roleARN || r.RequestParameters["roleSessionName"] != "ci-run" {
		t.Errorf("AssumeRole requestParameters: %v", r.RequestParameters)
	}
	// The assumer's own events.
	evs = lookup(t, ct, cttypes.LookupAttributeKeyUsername, "alice")
	if len(evs) != 1 || aws.ToString(evs[0].EventName) != "AssumeRole" {
		t.Fatalf("alice's events: %+v", evs)
	}
}

func TestAuditWritesAndLookupErrors(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("bob")}))
	must[*iam.CreateLoginProfileOutput](t)(root.CreateLoginProfile(c, &iam.CreateLoginProfileInput{
		UserName: aws.String("bob"), Password: aws.String("Correct-Horse-9")}))
	ct := e.cloudtrail(e.root())
	evs := lookup(t, ct, cttypes.LookupAttributeKeyEventName, "CreateLoginProfile")
	if len(evs) != 1 {
		t.Fatalf("CreateLoginProfile events: %+v", evs)
	}
	if raw := aws.ToString(evs[0].CloudTrailEvent); strings.Contains(raw, "Correct-Horse") || !strings.Contains(raw, "HIDDEN_DUE_TO_SECURITY_REASONS") {
		t.Fatalf("password not hidden: %s", raw)
	}
	r := record(t, evs[0])
	if r.UserIdentity.Type != "Root" || r.ReadOnly || r.RecipientAccountID != testAccount || aws.ToString(evs[0].Username) != "root" {
		t.Errorf("CreateLoginProfile record: %+v", r)
	}
	evs = lookup(t, ct, cttypes.LookupAttributeKeyResourceType, "AWS::IAM::User")
	if len(evs) != 2 || aws.ToString(evs[1].EventName) != "CreateUser" || evs[1].Resources[0].ResourceName == nil ||
		aws.ToString(evs[1].Resources[0].ResourceName) != "bob" {
		t.Fatalf("events on users: %+v", evs)
	}
	// Only reads.
	for _, ev := range lookup(t, ct, cttypes.LookupAttributeKeyReadOnly, "true") {
		if aws.ToString(ev.ReadOnly) != "true" {
			t.Errorf("ReadOnly=true lookup returned %+v", ev)
		}
	}

	_, err := ct.LookupEvents(c, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("a")},
		{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("b")},
	}})
	wantCode(t, err, "InvalidLookupAttributesException", "")
	_, err = ct.LookupEvents(c, &cloudtrail.LookupEventsInput{StartTime: aws.Time(time.Now()), EndTime: aws.Time(time.Now().Add(-time.Hour))})
	wantCode(t, err, "InvalidTimeRangeException", "")
	_, err = ct.LookupEvents(c, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)})
	wantCode(t, err, "InvalidMaxResultsException", "")
	_, err = ct.LookupEvents(c, &cloudtrail.LookupEventsInput{NextToken: aws.String("bogus")})
	wantCode(t, err, "InvalidNextTokenException", "")

	// A user without cloudtrail:LookupEvents is refused.
	_, err = e.cloudtrail(e.newUser("nobody", "")).LookupEvents(c, &cloudtrail.LookupEventsInput{})
	wantCode(t, err, "AccessDeniedException", "cloudtrail:LookupEvents")
}

func TestAuditPagination(t *testing.T) {
	e := start(t)
	c := ctx(t)
	s := e.sts(e.root())
	for range 7 {
		must[*sts.GetCallerIdentityOutput](t)(s.GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
	}
	ct := e.cloudtrail(e.root())
	var ids []string
	seen := map[string]bool{}
	p := cloudtrail.NewLookupEventsPaginator(ct, &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("GetCallerIdentity")}},
		MaxResults:       aws.Int32(3),
	})
	pages := 0
	for p.HasMorePages() {
		out := must[*cloudtrail.LookupEventsOutput](t)(p.NextPage(c))
		pages++
		for _, ev := range out.Events {
			id := aws.ToString(ev.EventId)
			if seen[id] {
				t.Fatalf("event %s on two pages", id)
			}
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) != 7 || pages != 3 {
		t.Fatalf("%d events on %d pages, want 7 on 3", len(ids), pages)
	}
	// By ID.
	evs := lookup(t, ct, cttypes.LookupAttributeKeyEventId, ids[3])
	if len(evs) != 1 || aws.ToString(evs[0].EventId) != ids[3] {
		t.Fatalf("event by ID: %+v", evs)
	}
}

// Events belong to the account that made the call: an administrator of
// another account sees that account's events only.
func TestAuditEventsArePerAccount(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	must[*organizations.CreateOrganizationOutput](t)(o.CreateOrganization(c, &organizations.CreateOrganizationInput{}))
	ca := must[*organizations.CreateAccountOutput](t)(o.CreateAccount(c, &organizations.CreateAccountInput{
		AccountName: aws.String("prod"), Email: aws.String("prod@example.com"),
	}))
	member := aws.ToString(ca.CreateAccountStatus.AccountId)
	out := must[*sts.AssumeRoleOutput](t)(e.sts(e.newUser("ops", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)).AssumeRole(c,
		&sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("ops")}))
	sess := session(out.Credentials)
	must[*iam.CreateUserOutput](t)(e.iam(sess).CreateUser(c, &iam.CreateUserInput{UserName: aws.String("member-admin")}))

	memberEvents := must[*cloudtrail.LookupEventsOutput](t)(e.cloudtrail(sess).LookupEvents(c, &cloudtrail.LookupEventsInput{}))
	if len(memberEvents.Events) != 1 || aws.ToString(memberEvents.Events[0].EventName) != "CreateUser" {
		t.Fatalf("member account's events: %+v", memberEvents.Events)
	}
	if r := record(t, memberEvents.Events[0]); r.RecipientAccountID != member {
		t.Fatalf("member event recorded for %s", r.RecipientAccountID)
	}
	mgmt := lookup(t, e.cloudtrail(e.root()), cttypes.LookupAttributeKeyEventName, "CreateUser")
	for _, ev := range mgmt {
		if r := record(t, ev); r.RecipientAccountID != testAccount {
			t.Fatalf("management account sees an event of %s", r.RecipientAccountID)
		}
	}
	if len(mgmt) != 1 {
		t.Fatalf("management CreateUser events: %d", len(mgmt))
	}
}
