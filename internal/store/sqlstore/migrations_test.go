package sqlstore

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	for _, c := range []struct {
		name    string
		files   []string
		want    []int
		wantErr string
	}{
		{"in version order", []string{"0002_b.sql", "0010_c.sql", "0001_a.sql"}, []int{1, 2, 10}, ""},
		{"misnamed", []string{"0001_a.sql", "init.sql"}, nil, "not named NNNN_name.sql"},
		{"version zero", []string{"0000_a.sql"}, nil, "not named NNNN_name.sql"},
		{"version twice", []string{"0001_a.sql", "1_b.sql"}, nil, "share a version"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range c.files {
				fsys["m/"+f] = &fstest.MapFile{Data: []byte("-- " + f)}
			}
			ms, err := LoadMigrations(fsys, "m")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.Version)
				if m.SQL != "-- "+m.Name {
					t.Errorf("%s: SQL %q", m.Name, m.SQL)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("versions %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("versions %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestPending(t *testing.T) {
	ms := []Migration{{Version: 1}, {Version: 2}, {Version: 5}}
	for _, c := range []struct {
		applied []int
		want    []int
		wantErr bool
	}{
		{nil, []int{1, 2, 5}, false},
		{[]int{1, 2}, []int{5}, false},
		{[]int{1, 5}, []int{2}, false}, // merged out of order
		{[]int{1, 2, 5}, nil, false},
		{[]int{1, 2, 5, 6}, nil, true},
		{[]int{3}, nil, true},
	} {
		applied := map[int]bool{}
		for _, v := range c.applied {
			applied[v] = true
		}
		got, err := Pending(ms, applied)
		if (err != nil) != c.wantErr {
			t.Errorf("applied %v: err %v", c.applied, err)
			continue
		}
		var vs []int
		for _, m := range got {
			vs = append(vs, m.Version)
		}
		if fmt.Sprint(vs) != fmt.Sprint(c.want) {
			t.Errorf("applied %v: pending %v, want %v", c.applied, vs, c.want)
		}
	}
}
