#!/bin/bash
# SPDX-License-Identifier: MIT
# Every option the parser knows appears in --help, the man page and
# docs/usage.md, so that none of them drifts from the code.
set -uo pipefail
: "${BFS_BIN:?}"
src=$(cd "$(dirname "$0")/.." && pwd)
help=$("$BFS_BIN" --help)
man=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$src/docs/bucketfs.1")
usage=$(cat "$src/docs/usage.md" "$src/docs/mounting.md")
missing=0
count=0
# The templates of opt_spec[]: FUSE_OPT_KEY("name=", ...) -> name
for name in $(grep -o 'FUSE_OPT_KEY("[^"]*"' "$src/src/opts.c" | sed 's/FUSE_OPT_KEY("//; s/"$//; s/[= ]$//'); do
	count=$((count + 1))
	for doc in help man usage; do
		if ! grep -qF -- "$name" <<<"${!doc}"; then
			echo "FAIL - option '$name' is missing from $doc"
			missing=$((missing + 1))
		fi
	done
done
echo "$count options checked, $missing omissions"
[ "$count" -gt 50 ] && [ "$missing" -eq 0 ]
