#!/usr/bin/env bash
# Runs the ```bash blocks of every docs/*.md page, in order, one page per check
# ("PASS docs/NAME.md"), each page in a fresh bash (set -euo pipefail) started
# in a directory where ./mantle-data is the running mantle's data directory, so
# that pages begin like a reader does: `. mantle-data/root-credentials`.
# Blocks fenced as ```sh or ```console are shown, not run.
set -u
DOCS=$(cd "$E2E_DIR/../docs" && pwd)
cd "$E2E_WORK"
ln -sfn "$MANTLE_DATA" mantle-data
for page in "$DOCS"/*.md; do
	name=docs/$(basename "$page")
	script="$E2E_WORK/$(basename "$page" .md).sh"
	awk '/^```bash[ \t]*$/ {on=1; next} /^```/ {on=0} on' "$page" >"$script"
	if [ ! -s "$script" ]; then echo "SKIP $name: no bash blocks"; continue; fi
	out="$E2E_WORK/$(basename "$page" .md).out"
	if env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL -u AWS_REGION -u AWS_DEFAULT_REGION \
		PATH="$E2E_WORK/bin:$PATH" bash -euo pipefail "$script" >"$out" 2>&1; then
		echo "PASS $name"
	else
		echo "FAIL $name: exit $? (output below)"
		sed 's/^/    /' "$out"
	fi
done
