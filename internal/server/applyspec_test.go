package server

import (
	"strings"
	"testing"
)

func TestParseState(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // the first user's inline policy "p", or the error
	}{
		{"yaml object", "users:\n  - name: a\n    policies:\n      p: {Version: '2012-10-17', Statement: []}\n", `{"Statement":[],"Version":"2012-10-17"}`},
		{"json string", `{"users":[{"name":"a","policies":{"p":"{\"Version\": \"2012-10-17\"}"}}]}`, `{"Version": "2012-10-17"}`},
		{"json object", `{"users":[{"name":"a","policies":{"p":{"Version":"2012-10-17"}}}]}`, `{"Version":"2012-10-17"}`},
		{"unknown field", "users:\n  - name: a\n    colour: red\n", `unknown field "colour"`},
		{"list as document", "users:\n  - name: a\n    policies:\n      p: [1]\n", "a policy document is an object or a string"},
		{"number as document", "users:\n  - name: a\n    policies:\n      p: 3\n", "a policy document is an object or a string"},
		{"not yaml", "users: [", "state file"},
		{"too large", strings.Repeat(" ", maxStateSize+1), "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := ParseState([]byte(tt.in))
			got := ""
			if err != nil {
				got = err.Error()
			} else if len(st.Users) > 0 {
				got = string(st.Users[0].Policies["p"])
			}
			if !strings.Contains(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzParseState: any bytes give a state or an error, never a panic, and
// every document parsed from an object is JSON.
func FuzzParseState(f *testing.F) {
	for _, s := range []string{
		"users:\n  - name: a\n    groups: [g]\n    accessKeys: [{id: AKIAEXAMPLE000000001, secret: s}]\n",
		"roles:\n  - name: r\n    trustPolicy: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: 'sts:AssumeRole'}]}\n",
		"organization:\n  units:\n    - name: eng\n      units: [{name: prod}]\n  accounts: [{name: a, email: a@example.com}]\n",
		`{"policies":[{"name":"p","document":"{}"}]}`,
		"&a [*a, *a]",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseState(b)
	})
}
