// Package console is mantle's web console, served by the API's own
// listener under /console and /switchrole: an IAM user signs in with the
// password of their login profile, and the session is a set of temporary
// credentials for that user, issued by STS as AWS's console session is.
// Every page acts with those credentials through the same domain services
// and authorization as the API, so a refusal is IAM's own AccessDenied.
// Switching role is an AssumeRole from the signed-in identity; "Switch
// back" returns to it. Pages are server-rendered with html/template and
// their assets are embedded: the console makes no request off the machine.
package console
