#!/usr/bin/env bash
# Runs the examples of every docs/*.md page, one page per check
# ("PASS docs/NAME.md"), and the README's quick start. Each page becomes one
# script, its blocks in order:
# ```bash blocks as they are, ```python blocks through python3, ```js blocks
# through node (ES module; @aws-sdk/* from e2e/js/node_modules). Blocks fenced
# as ```sh, ```go or ```console are shown, not run. A page runs in a fresh
# bash (set -eu) in a directory that looks like the repository root with a
# running mantle: ./mantle-data is its data directory and ./e2e, ./docs are
# the repository's, so pages begin as a reader does:
# `. mantle-data/root-credentials`. The `mantle` binary under test is on PATH
# (go install, as the README says), so a page can start more of them (other
# flags, other nodes) as a reader would. AWS_CONFIG_FILE and
# AWS_SHARED_CREDENTIALS_FILE are unset: profiles go to ~/.aws, in a HOME of
# the client's own.
set -u
DOCS=$(cd "$E2E_DIR/../docs" && pwd)
cd "$E2E_WORK"
ln -sfn "$MANTLE_DATA" mantle-data
ln -sfn "$E2E_DIR" e2e
ln -sfn "$DOCS" docs
ln -sfn "$E2E_DIR/js/node_modules" node_modules
for page in "$DOCS"/../README.md "$DOCS"/*.md; do
	base=$(basename "$page" .md)
	name=docs/$base.md
	[ "$base" = README ] && name=README.md
	script="$E2E_WORK/$base.sh"
	awk '
		/^```bash[ \t]*$/   { on = "bash"; next }
		/^```python[ \t]*$/ { on = "py"; print "python3 - <<'"'"'E2E_PY'"'"'"; next }
		/^```js[ \t]*$/     { on = "js"; print "node --input-type=module <<'"'"'E2E_JS'"'"'"; next }
		/^```go[ \t]*$/     { on = "go"; print "e2e_go <<'"'"'E2E_GO'"'"'"; next }
		/^```/ { if (on == "py") print "E2E_PY"; if (on == "js") print "E2E_JS"; if (on == "go") print "E2E_GO"; on = ""; next }
		on' "$page" >"$script"
	if [ -s "$script" ]; then
		# e2e_go: run a ```go block (package main) as a module that requires
		# what mantle's go.mod does (aws-sdk-go-v2 at mantle's versions).
		cat - "$script" >"$script.tmp" <<-'PRELUDE'
		e2e_go() {
			local d
			d=$(mktemp -d "$E2E_WORK/go.XXXXXX")
			cat >"$d/main.go"
			sed -n '/^require (/,/^)/p' "$E2E_DIR/../go.mod" | sed 's|// indirect||' >"$d/req"
			printf 'module e2edocs\n\ngo 1.26.0\n\n' | cat - "$d/req" >"$d/go.mod"
			cp "$E2E_DIR/../go.sum" "$d/go.sum"
			(cd "$d" && GOFLAGS=-mod=mod go run .)
		}
		PRELUDE
		mv "$script.tmp" "$script"
	fi
	if [ ! -s "$script" ]; then echo "SKIP $name: no runnable blocks"; continue; fi
	out="$E2E_WORK/$base.out"
	# A page may start processes of its own (a second mantle, an identity
	# provider): it runs in its own process group, killed when it ends.
	# As a reader's shell: no AWS settings but what the pages set, profiles
	# in ~/.aws (HOME is this client's own directory), one page after the
	# other in the same place, as they are pasted in order.
	setsid env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL -u AWS_REGION -u AWS_DEFAULT_REGION \
		-u AWS_CONFIG_FILE -u AWS_SHARED_CREDENTIALS_FILE \
		-u MANTLE_ENDPOINT -u MANTLE_ACCOUNT_ID bash -eu "$script" >"$out" 2>&1 &
	pid=$!
	wait "$pid"
	rc=$?
	kill -- -"$pid" 2>/dev/null
	if [ $rc -eq 0 ]; then
		echo "PASS $name"
	else
		echo "FAIL $name: exit $rc (output below)"
		sed 's/^/    /' "$out"
	fi
done
