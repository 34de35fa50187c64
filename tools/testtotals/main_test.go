package main

import (
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	tests := []struct {
		name, in  string
		want      totals
		wantLines []string
	}{
		{"pass, skip and a failed subtest", `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0}
{"Action":"skip","Package":"p","Test":"TestB","Elapsed":0}
{"Action":"output","Package":"p","Test":"TestC/x","Output":"    c_test.go:9: boom\n"}
{"Action":"fail","Package":"p","Test":"TestC/x","Elapsed":0}
{"Action":"fail","Package":"p","Test":"TestC","Elapsed":0}
{"Action":"fail","Package":"p","Elapsed":0.5}
{"Action":"output","Package":"q","Output":"?   \tq\t[no test files]\n"}
{"Action":"skip","Package":"q","Elapsed":0}
`, totals{1, 2, 1}, []string{"FAIL\tp\t0.50s", "?\tq\t[no test files]", "--- FAIL: p TestC/x", "c_test.go:9: boom", "1 passed, 2 failed, 1 skipped"}},
		{"a package failing outside its tests", `# p
p/x.go:3:1: syntax error
{"Action":"output","Package":"p","Output":"FAIL\tp [build failed]\n"}
{"Action":"fail","Package":"p","Elapsed":0}
{"Action":"pass","Package":"r","Test":"TestR","Elapsed":0}
{"Action":"pass","Package":"r","Elapsed":0.1}
`, totals{1, 1, 0}, []string{"p/x.go:3:1: syntax error", "ok\tr\t0.10s", "--- FAIL: p\n", "[build failed]", "1 passed, 1 failed, 0 skipped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			got, err := report(strings.NewReader(tt.in), &out)
			if err != nil || got != tt.want {
				t.Fatalf("totals %+v, %v; want %+v", got, err, tt.want)
			}
			for _, l := range tt.wantLines {
				if !strings.Contains(out.String(), l) {
					t.Errorf("report lacks %q:\n%s", l, out.String())
				}
			}
			if !strings.HasSuffix(out.String(), tt.wantLines[len(tt.wantLines)-1]+"\n") {
				t.Errorf("last line of %q", out.String())
			}
		})
	}
}
