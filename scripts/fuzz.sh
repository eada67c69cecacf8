#!/usr/bin/env bash
# Runs every Fuzz* target of the module, one after another, for a fixed
# number of new inputs each (beyond its corpus), and prints a table:
# target, package, corpus entries run first (seeds, testdata/fuzz, go's
# cache), new inputs run (the fuzzer stops a little past N), seconds of the
# whole go test (build included), seconds the fuzzer reported (corpus
# included), inputs per second of the fuzzer, new interesting inputs.
#
#   ./scripts/fuzz.sh            every target to 100000 inputs
#   ./scripts/fuzz.sh 200        every target to 200 new inputs (what test.sh runs)
#   FUZZ_MATCH=Job ./scripts/fuzz.sh 5000   only targets whose package/name holds Job
#   FUZZ_MATCH=dmesg/FuzzParse ./scripts/fuzz.sh   one target
#
# Each new interesting input (and a crasher) is minimized for at most
# FUZZ_MINIMIZE (default 5s, go test's own default is 60s): for targets
# seeded with whole files, minimizing each new input took longer than
# fuzzing 100,000 (FuzzSniff: 9 s a time on a 13 KB kernel log).
#
# A crasher is written by go test under the package's testdata/fuzz/ and
# fails the script (commit it: it then runs as a regression test).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
match=${FUZZ_MATCH:-}
minimize=${FUZZ_MINIMIZE:-5s}
cache=$(go env GOCACHE)/fuzz
fail=0
start=$(date +%s)
printf '%-24s %-13s %7s %8s %8s %7s %9s %s\n' target package corpus inputs seconds fuzz-s inputs/s new
while read -r file target; do
	pkg=./$(dirname "$file")
	[ -n "$match" ] && [[ "${pkg#./}/$target" != *"$match"* ]] && continue
	# -fuzztime=Nx counts the corpus run first (the seeds, testdata/fuzz
	# and go's cache of the target): ask for N more than it holds, so that
	# every target tries N new inputs (FuzzPrefilters has 587 seeds).
	seeds=$(go test "$pkg" -run "^${target}\$" -v 2>/dev/null | grep -c "^=== RUN   ${target}/" || true)
	# (no cache yet for a target never fuzzed on this machine: find fails,
	# which pipefail would make the script's end)
	cached=$({ find "$cache/$(go list "$pkg")/$target" -type f 2>/dev/null || true; } | wc -l)
	t0=$(date +%s.%N)
	if ! out=$(go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime="$((n + seeds + cached))x" -fuzzminimizetime="$minimize" 2>&1); then
		echo "$out" | tail -20 >&2
		echo "fuzz.sh: $target in $pkg FAILED" >&2
		fail=1
	fi
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	# The fuzzer's lines: "fuzz: elapsed: 1s, gathering baseline coverage:
	# 50/311 completed" (the corpus: seeds, testdata/fuzz and go's cache,
	# each run once first, counted in the N inputs), then "fuzz: elapsed:
	# 1m2s, execs: 100012 (...), new interesting: 3 (total: 40)".
	read -r execs fsecs new corpus < <(echo "$out" | awk '
		/^fuzz: elapsed: / {
			e = $3; sub(/,$/, "", e); s = 0
			if (e ~ /h/) { split(e, h, "h"); s += h[1] * 3600; e = h[2] }
			if (e ~ /m/) { split(e, m, "m"); s += m[1] * 60; e = m[2] }
			sub(/s$/, "", e); s += e
		}
		/gathering baseline coverage: / { split($7, b, "/"); x = b[1]; c = b[2] }
		/execs: / { x = $5; gsub(/,/, "", x) }
		/new interesting: / { for (i = 1; i <= NF; i++) if ($i == "interesting:") n = $(i + 1) }
		END { print x + 0, s + 0, n + 0, c + 0 }')
	runs=$execs               # the corpus and the new inputs
	execs=$((execs - corpus)) # new inputs
	# The fuzzer reports whole seconds: no rate under one.
	rate=$(awk -v n="$runs" -v s="$fsecs" 'BEGIN { if (s > 0) printf "%.0f", n / s; else printf "-" }')
	printf '%-24s %-13s %7d %8d %8.1f %7d %9s %s\n' "$target" "$pkg" "$corpus" "$execs" "$secs" "$fsecs" "$rate" "$new"
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed 's#^\./##; s#:func # #' | sort)
echo "fuzz.sh: $(( $(date +%s) - start )) s in all" >&2
exit $fail
