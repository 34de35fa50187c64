// Command testtotals reads `go test -json` on standard input and writes a
// readable report: one line per package (ok, FAIL, or no test files), the
// full output of every failed test, and a last line with the totals,
// "N passed, N failed, N skipped", counting tests and subtests. A package
// that fails outside any test (a build error, a panic in TestMain, a race
// reported after the tests) counts as one failed test. It exits 1 when
// anything failed.
//
//	go test -json ./... | go run ./tools/testtotals
//
// scripts/test.sh adds these totals to the e2e suite's.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is one line of test2json's output (go doc cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

type totals struct{ passed, failed, skipped int }

func main() {
	t, err := report(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testtotals:", err)
		os.Exit(2)
	}
	if t.failed > 0 {
		os.Exit(1)
	}
}

func report(r io.Reader, w io.Writer) (totals, error) {
	var t totals
	output := map[string]*strings.Builder{} // package + "\x00" + test -> its lines
	failedTests := map[string]int{}         // package -> failed tests
	var failures []string                   // keys of failed tests and packages, in order
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not test2json: a build error printed by go test itself.
			fmt.Fprintln(w, string(line))
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch e.Action {
		case "output":
			b := output[key]
			if b == nil {
				b = &strings.Builder{}
				output[key] = b
			}
			b.WriteString(e.Output)
		case "pass", "skip", "fail":
			if e.Test == "" {
				var out string
				if b := output[key]; b != nil {
					out = b.String()
				}
				switch {
				case e.Action == "fail":
					fmt.Fprintf(w, "FAIL\t%s\t%.2fs\n", e.Package, e.Elapsed)
					if failedTests[e.Package] == 0 {
						t.failed++
						failures = append(failures, key)
					}
				case strings.Contains(out, "[no test files]"):
					fmt.Fprintf(w, "?\t%s\t[no test files]\n", e.Package)
				default:
					fmt.Fprintf(w, "ok\t%s\t%.2fs\n", e.Package, e.Elapsed)
				}
				continue
			}
			switch e.Action {
			case "pass":
				t.passed++
			case "skip":
				t.skipped++
			case "fail":
				t.failed++
				failedTests[e.Package]++
				failures = append(failures, key)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return t, err
	}
	for _, key := range failures {
		pkg, test, _ := strings.Cut(key, "\x00")
		name := pkg
		if test != "" {
			name += " " + test
		}
		fmt.Fprintf(w, "\n--- FAIL: %s\n", name)
		if b := output[key]; b != nil {
			io.WriteString(w, b.String())
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped)
	return t, nil
}
