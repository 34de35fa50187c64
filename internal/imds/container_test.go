package imds

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/sts"
)

func TestContainer(t *testing.T) {
	exp := time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)
	var srcErr error
	c := &Container{Token: "s3cret", Source: SourceFunc(func(context.Context) (*Credentials, error) {
		if srcErr != nil {
			return nil, srcErr
		}
		return &Credentials{AccessKeyID: "ASIAX", SecretAccessKey: "sk", SessionToken: "tok", Expiration: exp, RoleArn: "arn:aws:iam::111122223333:role/task"}, nil
	})}
	srv := httptest.NewServer(c)
	defer srv.Close()
	tests := []struct {
		name   string
		method string
		path   string
		auth   string
		err    error
		want   int
		code   string
	}{
		{"ok", "GET", ContainerPath, "s3cret", nil, 200, ""},
		{"token with surrounding spaces", "GET", ContainerPath, " s3cret ", nil, 200, ""},
		{"no token", "GET", ContainerPath, "", nil, 401, "Unauthorized"},
		{"wrong token", "GET", ContainerPath, "nope", nil, 403, "AccessDenied"},
		{"other path", "GET", "/v2/credentials/x", "s3cret", nil, 404, "NotFound"},
		{"POST", "POST", ContainerPath, "s3cret", nil, 405, "MethodNotAllowed"},
		{"role gone", "GET", ContainerPath, "s3cret", awserr.NoSuchEntity("The role with name task cannot be found."), 404, "NoSuchEntity"},
		{"trust refused", "GET", ContainerPath, "s3cret", awserr.AccessDenied("ecs-tasks.amazonaws.com is not authorized"), 403, "AccessDenied"},
		{"internal", "GET", ContainerPath, "s3cret", errors.New("disk on fire"), 500, "InternalError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srcErr = tt.err
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, b)
			}
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if tt.want != 200 {
				if m["code"] != tt.code || m["message"] == "" || (tt.want == 500 && m["message"] == "disk on fire") {
					t.Errorf("error body %s", b)
				}
				return
			}
			want := map[string]string{"AccessKeyId": "ASIAX", "SecretAccessKey": "sk", "Token": "tok", "Expiration": "2026-03-01T13:00:00Z", "RoleArn": "arn:aws:iam::111122223333:role/task"}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("%s = %q, want %q", k, m[k], v)
				}
			}
		})
	}
}

func TestRoleSource(t *testing.T) {
	f := newFixture(t)
	s := &RoleSource{Store: f.st, AccountID: acct, Role: "web", Session: &Session{
		Issuer: f.issuer, Service: sts.ServiceECSTasks, Name: "0123456789abcdef", Rotator: Rotator{Now: f.clock},
	}}
	ctx := context.Background()
	a, err := s.Credentials(ctx)
	if err != nil || a.RoleArn != "arn:aws:iam::"+acct+":role/web" {
		t.Fatalf("%v %+v", err, a)
	}
	b, err := s.Credentials(ctx)
	if err != nil || b != a {
		t.Fatalf("not cached: %v", err)
	}
	if in := f.issuer.last.Load(); in.Service != sts.ServiceECSTasks || in.SessionName != "0123456789abcdef" {
		t.Errorf("issued with %+v", in)
	}
	for _, role := range []string{"arn:aws:iam::" + acct + ":role/web", "arn:aws:iam::" + acct + ":role/x/web", "nope"} {
		s.Role = role
		_, err := s.Credentials(ctx)
		if ok := role == "arn:aws:iam::"+acct+":role/web"; (err == nil) != ok {
			t.Errorf("%s: %v", role, err)
		}
		if err != nil && !awserr.HasCode(err, "NoSuchEntity") {
			t.Errorf("%s: %v", role, err)
		}
	}
}
