// Package bulk builds large IAM data sets in a store quickly: roles and
// users, each with an inline policy and an attached managed policy, written
// hundreds to a transaction through the store's repositories (which keep
// the account's counts) instead of one IAM call per write. It serves load
// and pagination measurements (tools/bulk, the benchmarks); what it writes
// has no audit events.
package bulk

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/iam"
	"github.com/mantle-iam/mantle/internal/secrets"
	"github.com/mantle-iam/mantle/internal/store"
)

// Options says what Load builds.
type Options struct {
	AccountID string
	Roles     int
	Users     int
	// Prefix starts every name Load gives ("bulk-" by default), so a second
	// run with another prefix adds to the first.
	Prefix string
	// Users are all members of one group, <Prefix>group.
	//
	// Policies is how many customer managed policies the entities are
	// attached to, round robin (10 by default). The first 100 users are
	// also attached to the AWS managed policy ReadOnlyAccess, so both kinds
	// of attachment are in the set.
	Policies int
	// Batch is how many entities one transaction creates (500 by default).
	Batch int
	// Progress, when set, is called after every transaction.
	Progress func(done, total int)
}

// Stats is what Load did.
type Stats struct {
	Roles, Users, Policies int
	Elapsed                time.Duration
}

const (
	trustDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	inlineDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"]}]}`
	policyDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:*:%s"}]}`
)

// Load creates what opt asks in st's account opt.AccountID, raising the
// account quotas it would exceed (iam.SetQuotas: kept in the store).
func Load(ctx context.Context, st store.Store, opt Options) (Stats, error) {
	start := time.Now()
	if opt.Prefix == "" {
		opt.Prefix = "bulk-"
	}
	if opt.Policies <= 0 {
		opt.Policies = 10
	}
	if opt.Batch <= 0 {
		opt.Batch = 500
	}
	if _, err := st.Accounts().Get(ctx, opt.AccountID); err != nil {
		return Stats{}, fmt.Errorf("bulk: account %s: %w", opt.AccountID, err)
	}
	if err := raiseQuotas(ctx, st, opt); err != nil {
		return Stats{}, err
	}
	caller := &auth.Caller{Kind: auth.KindRoot, AccountID: opt.AccountID, ARN: "arn:aws:iam::" + opt.AccountID + ":root", ID: opt.AccountID}
	sealer, err := secrets.NewSealer(make([]byte, secrets.KeySize)) // nothing Load creates is sealed
	if err != nil {
		return Stats{}, err
	}
	var stats Stats
	// batch runs fn with an IAM service whose every write joins one
	// transaction of st.
	batch := func(fn func(svc *iam.Service) error) error {
		return st.Change(ctx, func(ctx context.Context, tx store.Repos) error {
			return fn(iam.New(iam.Config{Store: joined{Repos: tx, outer: st}, Authorizer: allowAll{}, Sealer: sealer}))
		})
	}
	policyARNs := make([]string, opt.Policies)
	err = batch(func(svc *iam.Service) error {
		for i := range policyARNs {
			out, err := svc.CreatePolicy(ctx, caller, &iamapi.CreatePolicyInput{PolicyName: fmt.Sprintf("%spolicy-%03d", opt.Prefix, i),
				PolicyDocument: fmt.Sprintf(policyDoc, opt.Prefix+"queue")})
			if err != nil {
				return err
			}
			policyARNs[i] = out.Policy.Arn
		}
		return nil
	})
	if err != nil {
		return stats, fmt.Errorf("bulk: managed policies: %w", err)
	}
	stats.Policies = opt.Policies
	// Every user is also a member of one group, so a group's member list is
	// as long as the account's users.
	err = batch(func(svc *iam.Service) error {
		_, err := svc.CreateGroup(ctx, caller, &iamapi.CreateGroupInput{GroupName: opt.Prefix + "group"})
		return err
	})
	if err != nil {
		return stats, fmt.Errorf("bulk: group: %w", err)
	}
	group, err := st.Groups().Get(ctx, opt.AccountID, opt.Prefix+"group")
	if err != nil {
		return stats, err
	}
	policies := make([]*store.ManagedPolicy, len(policyARNs))
	for i := range policies {
		if policies[i], err = st.Policies().Get(ctx, opt.AccountID, fmt.Sprintf("%spolicy-%03d", opt.Prefix, i)); err != nil {
			return stats, err
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	total := opt.Roles + opt.Users
	for done := 0; done < total; {
		n := min(opt.Batch, total-done)
		err := st.Change(ctx, func(ctx context.Context, tx store.Repos) error {
			attached := make([]int, len(policies))
			for i := done; i < done+n; i++ {
				k := i % len(policies)
				attached[k]++
				if err := entity(ctx, tx, opt, i, policies[k].ID, group.ID, now); err != nil {
					return err
				}
			}
			for k, m := range attached {
				p, err := tx.Policies().GetByID(ctx, policies[k].ID)
				if err != nil {
					return err
				}
				p.AttachmentCount += m
				if err := tx.Policies().Update(ctx, p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return stats, fmt.Errorf("bulk: entities %d to %d: %w", done, done+n, err)
		}
		done += n
		stats.Roles, stats.Users = min(done, opt.Roles), max(0, done-opt.Roles)
		if opt.Progress != nil {
			opt.Progress(done, total)
		}
	}
	// A few users also get an AWS managed policy, through the IAM service
	// (whose bookkeeping of those attachments is its own), so the data set
	// has both kinds of attachment.
	err = batch(func(svc *iam.Service) error {
		for i := range min(opt.Users, awsAttached) {
			if _, err := svc.AttachUserPolicy(ctx, caller, &iamapi.AttachUserPolicyInput{UserName: userName(opt.Prefix, i),
				PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return stats, fmt.Errorf("bulk: AWS managed policy: %w", err)
	}
	stats.Elapsed = time.Since(start)
	return stats, nil
}

// awsAttached is how many users get the AWS managed policy.
const awsAttached = 100

func roleName(prefix string, i int) string { return fmt.Sprintf("%srole-%06d", prefix, i) }
func userName(prefix string, i int) string { return fmt.Sprintf("%suser-%06d", prefix, i) }

// entity creates the i-th entity (roles first, then users) with its inline
// policy and its attachment to policyID (a user also joins groupID),
// straight through the store: the
// IAM service would spend several times as long on the lookups and checks
// of each call, which a data set whose names and documents are known good
// does not need. The caller counts the attachment on the policy.
func entity(ctx context.Context, tx store.Repos, opt Options, i int, policyID, groupID string, now time.Time) error {
	var t store.EntityType
	var id, name string
	var err error
	if i < opt.Roles {
		t, name = store.EntityRole, roleName(opt.Prefix, i)
		if id, err = newID("AROA"); err != nil {
			return err
		}
		err = tx.Roles().Create(ctx, &store.Role{AccountID: opt.AccountID, ID: id, Name: name, Path: "/", TrustPolicy: trustDoc,
			MaxSessionDuration: 3600, CreatedAt: now})
	} else {
		t, name = store.EntityUser, userName(opt.Prefix, i-opt.Roles)
		if id, err = newID("AIDA"); err != nil {
			return err
		}
		if err = tx.Users().Create(ctx, &store.User{AccountID: opt.AccountID, ID: id, Name: name, Path: "/", CreatedAt: now}); err == nil {
			err = tx.Groups().AddMember(ctx, groupID, id)
		}
	}
	if err != nil {
		return err
	}
	if err := tx.InlinePolicies().Put(ctx, &store.InlinePolicy{EntityType: t, EntityID: id, Name: "data", Document: fmt.Sprintf(inlineDoc, name)}); err != nil {
		return err
	}
	return tx.Attachments().Attach(ctx, store.Attachment{PolicyID: policyID, EntityType: t, EntityID: id})
}

// newID draws an IAM unique ID as IAM does: a prefix and 17 characters of
// the RFC 4648 base32 alphabet.
func newID(prefix string) (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b [17]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[b[i]%32]
	}
	return prefix + string(b[:]), nil
}

// raiseQuotas raises RolesPerAccount, UsersPerAccount and
// PoliciesPerAccount to what the account will hold, when they are lower.
func raiseQuotas(ctx context.Context, st store.Store, opt Options) error {
	set, err := st.Quotas().Values(ctx)
	if err != nil {
		return err
	}
	raise := map[string]int{}
	for _, want := range []struct {
		name string
		kind store.Counted
		more int
	}{{"RolesPerAccount", store.CountRoles, opt.Roles}, {"UsersPerAccount", store.CountUsers, opt.Users}, {"PoliciesPerAccount", store.CountPolicies, opt.Policies}} {
		q, _ := iam.QuotaByName(want.name)
		limit, ok := set[q.Name]
		if !ok {
			limit = q.Default
		}
		var have int
		switch want.kind {
		case store.CountRoles:
			have, err = st.Roles().Count(ctx, opt.AccountID)
		case store.CountUsers:
			have, err = st.Users().Count(ctx, opt.AccountID)
		default:
			have, err = st.Policies().Count(ctx, opt.AccountID)
		}
		if err != nil {
			return err
		}
		if have+want.more > limit {
			raise[q.Name] = have + want.more
		}
	}
	return iam.SetQuotas(ctx, st, raise)
}

// joined is a store whose writes join the transaction tx of outer: the
// IAM service's Change and Tx run in it, and its reads see it.
type joined struct {
	store.Repos
	outer store.Store
}

func (j joined) Change(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	return fn(ctx, j.Repos)
}

func (j joined) Tx(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	return fn(ctx, j.Repos)
}

func (j joined) Generation() uint64 { return j.outer.Generation() }
func (j joined) Current() error     { return nil }
func (j joined) Close() error       { return nil }

func (j joined) Lock(ctx context.Context, _ string, fn func(ctx context.Context) error) error {
	return fn(ctx)
}

// allowAll authorizes everything: Load acts as the account's root, which
// the authorizer allows everything in its own account anyway.
type allowAll struct{}

func (allowAll) Authorize(context.Context, *auth.Caller, string, string, ...auth.Key) error {
	return nil
}
