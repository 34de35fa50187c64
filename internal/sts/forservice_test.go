package sts

import (
	"testing"
	"time"
)

func serviceTrust(service, condition string) string {
	cond := ""
	if condition != "" {
		cond = `,"Condition":` + condition
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"` + cond + `}]}`
}

func TestAssumeRoleForService(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice")
	ec2 := e.role(acct, "web", serviceTrust(ServiceEC2, ""), 7200)
	ecs := e.role(acct, "task", serviceTrust(ServiceECSTasks, ""), 0)
	users := e.role(acct, "users", trustDoc(alice.ARN, `"sts:AssumeRole"`, ""), 0)
	everyone := e.role(acct, "everyone", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`, 0)
	src := e.role(acct, "scoped", serviceTrust(ServiceECSTasks, `{"StringEquals":{"aws:SourceAccount":"`+acct+`"}}`), 0)
	deny := e.role(acct, "denied", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, 0)

	taskARN := func(account string) string {
		return "arn:aws:ecs:us-east-1:" + account + ":task/default/0123456789abcdef"
	}
	tests := []struct {
		name     string
		in       ServiceSessionInput
		code     string
		msg      string
		duration time.Duration
	}{
		{"ec2 trusted, role max by default", ServiceSessionInput{Service: ServiceEC2, RoleArn: roleARN(ec2), SessionName: "i-0123456789abcdef0"}, "", "", 2 * time.Hour},
		{"shorter request", ServiceSessionInput{Service: ServiceEC2, RoleArn: roleARN(ec2), SessionName: "i-0123456789abcdef0", DurationSeconds: 900}, "", "", 15 * time.Minute},
		{"longer request shortened", ServiceSessionInput{Service: ServiceEC2, RoleArn: roleARN(ec2), SessionName: "i-0123456789abcdef0", DurationSeconds: 43200}, "", "", 2 * time.Hour},
		{"ecs trusted, default max", ServiceSessionInput{Service: ServiceECSTasks, RoleArn: roleARN(ecs), SessionName: "0123456789abcdef"}, "", "", time.Hour},
		{"other service refused", ServiceSessionInput{Service: ServiceECSTasks, RoleArn: roleARN(ec2), SessionName: "t1"}, "AccessDenied", "ecs-tasks.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: " + roleARN(ec2), 0},
		{"AWS principals only", ServiceSessionInput{Service: ServiceEC2, RoleArn: roleARN(users), SessionName: "i-1"}, "AccessDenied", "trust policy does not allow", 0},
		{"AWS * is not a service", ServiceSessionInput{Service: ServiceEC2, RoleArn: roleARN(everyone), SessionName: "i-1"}, "AccessDenied", "", 0},
		{"source account matches", ServiceSessionInput{Service: ServiceECSTasks, RoleArn: roleARN(src), SessionName: "t1", SourceArn: taskARN(acct)}, "", "", time.Hour},
		{"source account differs", ServiceSessionInput{Service: ServiceECSTasks, RoleArn: roleARN(src), SessionName: "t1", SourceArn: taskARN(other)}, "AccessDenied", "", 0},
		{"source account absent", ServiceSessionInput{Service: ServiceECSTasks, RoleArn: roleARN(src), SessionName: "t1"}, "AccessDenied", "", 0},
		{"explicit deny", ServiceSessionInput{Service: ServiceEC2, RoleArn: roleARN(deny), SessionName: "i-1"}, "AccessDenied", "", 0},
		{"missing role", ServiceSessionInput{Service: ServiceEC2, RoleArn: "arn:aws:iam::" + acct + ":role/gone", SessionName: "i-1"}, "NoSuchEntity", "cannot be found", 0},
		{"bad session name", ServiceSessionInput{Service: ServiceEC2, RoleArn: roleARN(ec2), SessionName: "i 1"}, "ValidationError", "session name", 0},
		{"bad ARN", ServiceSessionInput{Service: ServiceEC2, RoleArn: "web", SessionName: "i-1"}, "ValidationError", "not a valid role ARN", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.svc.AssumeRoleForService(e.ctx, &tt.in)
			if tt.code != "" {
				wantErr(t, err, tt.code, tt.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := e.caller(out.Credentials)
			name := tt.in.RoleArn[len("arn:aws:iam::"+acct+":role/"):]
			if want := "arn:aws:sts::" + acct + ":assumed-role/" + name + "/" + tt.in.SessionName; c.ARN != want || out.AssumedRoleUser.Arn != want {
				t.Errorf("ARN %s / %s, want %s", c.ARN, out.AssumedRoleUser.Arn, want)
			}
			if got := c.Expiration.Sub(e.now); got != tt.duration {
				t.Errorf("duration %v, want %v", got, tt.duration)
			}
			if c.SourceARN != tt.in.SourceArn || c.ChainDepth != 1 {
				t.Errorf("source %q depth %d", c.SourceARN, c.ChainDepth)
			}
		})
	}
}
