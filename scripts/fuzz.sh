#!/usr/bin/env bash
# Runs every Fuzz* target of the module, one after another, for a fixed
# number of inputs each, and prints a table: target, inputs run, seconds,
# inputs per second, new interesting inputs.
#
#   ./scripts/fuzz.sh            every target to 100000 inputs
#   ./scripts/fuzz.sh 200        every target to 200 inputs (what test.sh runs)
#   FUZZ_MATCH=Job ./scripts/fuzz.sh 5000   only targets whose name matches
#
# A crasher is written by go test under the package's testdata/fuzz/ and
# fails the script (commit it: it then runs as a regression test).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
match=${FUZZ_MATCH:-}
fail=0
printf '%-36s %-12s %8s %8s %10s %s\n' target package inputs seconds inputs/s new
while read -r file target; do
	pkg=./$(dirname "$file")
	[ -n "$match" ] && [[ "$target" != *"$match"* ]] && continue
	t0=$(date +%s.%N)
	if ! out=$(go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime="${n}x" 2>&1); then
		echo "$out" | tail -20 >&2
		echo "fuzz.sh: $target in $pkg FAILED" >&2
		fail=1
	fi
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	new=$(echo "$out" | grep -o 'new interesting: [0-9]*' | tail -1 | grep -o '[0-9]*$' || echo 0)
	printf '%-36s %-12s %8d %8.1f %10.0f %s\n' "$target" "$pkg" "$n" "$secs" "$(awk -v n="$n" -v s="$secs" 'BEGIN { print n / s }')" "${new:-0}"
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed 's#^\./##; s#:func # #' | sort)
exit $fail
