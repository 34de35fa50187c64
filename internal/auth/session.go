package auth

import "github.com/mantle-iam/mantle/internal/token"

// SetSession fills c from a session token's claims: who the session is and
// the facts authorization needs. The server calls it for every request
// signed with temporary credentials; tests use it to act as a session.
func (c *Caller) SetSession(cl *token.Claims) {
	c.AccountID = cl.AccountID
	c.Temporary = true
	c.MFA = cl.MFAAuthenticated
	c.MFAAuthTime = cl.MFAAuthTime
	c.TokenIssueTime = cl.IssuedAt
	c.Expiration = cl.ExpiresAt
	c.SourceIdentity = cl.SourceIdentity
	c.FederatedProvider = cl.FederatedProvider
	c.SessionPolicy = cl.SessionPolicy
	c.SessionPolicyARNs = cl.SessionPolicyARNs
	c.TransitiveTagKeys = cl.TransitiveTagKeys
	c.SourceARN = cl.SourceArn
	c.SessionTags = nil
	if len(cl.Tags) > 0 {
		c.SessionTags = make([]Tag, len(cl.Tags))
		for i, t := range cl.Tags {
			c.SessionTags[i] = Tag{Key: t.Key, Value: t.Value}
		}
	}
	switch cl.Kind {
	case token.KindAssumedRole:
		c.Kind = KindAssumedRole
		c.ID = cl.PrincipalID
		c.Name = cl.PrincipalName
		c.Path = cl.Path
		c.SessionName = cl.SessionName
		c.ARN = "arn:aws:sts::" + cl.AccountID + ":assumed-role/" + cl.PrincipalName + "/" + cl.SessionName
		c.UserID = cl.PrincipalID + ":" + cl.SessionName
		c.ChainDepth = cl.ChainDepth + 1
	case token.KindFederatedUser:
		c.Kind = KindFederatedUser
		c.ID = cl.PrincipalID
		c.Name = cl.PrincipalName
		c.SessionName = cl.PrincipalName
		c.ARN = "arn:aws:sts::" + cl.AccountID + ":federated-user/" + cl.PrincipalName
		c.UserID = cl.AccountID + ":" + cl.PrincipalName
		c.ChainDepth = 1
	case token.KindUserSession:
		c.Kind = KindUser
		c.SessionToken = true
		c.ID = cl.PrincipalID
		c.UserID = cl.PrincipalID
		c.Name = cl.PrincipalName
		c.Path = cl.Path
		c.ARN = "arn:aws:iam::" + cl.AccountID + ":user" + cl.Path + cl.PrincipalName
		c.ChainDepth = 1
	case token.KindRootSession:
		c.SetRoot(cl.AccountID)
		// GetSessionToken's; an AssumeRoot session carries its task
		// policy and is not one (IAM takes it without MFA).
		c.SessionToken = len(cl.SessionPolicyARNs) == 0
		c.ChainDepth = 1
	}
}

// SetRoot makes c the account's root user.
func (c *Caller) SetRoot(account string) {
	c.Kind = KindRoot
	c.AccountID = account
	c.ARN = "arn:aws:iam::" + account + ":root"
	c.UserID = account
	c.ID = account
}

// SetUser makes c the IAM user with the given ID, name and path, as signed
// in with the user's own (long-term) credentials.
func (c *Caller) SetUser(account, id, name, path string) {
	c.Kind = KindUser
	c.AccountID = account
	c.ARN = "arn:aws:iam::" + account + ":user" + path + name
	c.UserID = id
	c.ID = id
	c.Name = name
	c.Path = path
}
