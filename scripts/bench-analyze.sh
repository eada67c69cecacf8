#!/usr/bin/env bash
# Analyze benchmark: generates a weathercop test_memory.log of 10k, 100k (and
# with ALL=1, 1M) tests, an oomlens diagnostics JSONL of 10k, 100k and 1M
# records (scripts/genanalyze: two planted leakers, the last test killed)
# and kernel logs of 12.5k to 100k OOM kills, then times `oomlens analyze`
# (the default text report, and --format json) on each, with `grep -c` over
# the same file as the floor a tool that reads every byte can reach. It
# prints wall, user+sys CPU and peak RSS, and the CPU cost per test (per
# kill for the kernel logs), which stays flat when the analysis is linear.
# The Go benchmarks behind it: BenchmarkAnalyzeWeathercop,
# BenchmarkAnalyzeDiagnostics and BenchmarkDedupKills in correlate/.
#
#   scripts/bench-analyze.sh            REPS=3 by default: the median is kept
#   ALL=1 scripts/bench-analyze.sh      adds the 1M-test weathercop log (~600 MB)
#   WEATHERCOP_ANALYZE=/path/to/weathercop/scripts/analyze_memory_log.py \
#     scripts/bench-analyze.sh          adds weathercop's own analysis script
#                                       (run by /usr/bin/python3) on each
#                                       weathercop log, beside grep and ripgrep
#
# Targets (issue 18): the 100k-test weathercop log in 0.14 s and 100 MiB, the
# 1M-record JSONL in 1.5 s and 300 MiB, on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench-out
mkdir -p "$out"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
CGO_ENABLED=0 go build -o "$out/oomlens" ./cmd/oomlens # as the README installs it
go build -o "$out/genanalyze" ./scripts/genanalyze

inputs=()
gen() { # format count file
	[ -s "$out/$3" ] || "$out/genanalyze" -format "$1" -tests "$2" -out "$out/$3"
	inputs+=("$out/$3")
}
gen weathercop 10000 wc-10k.log
gen weathercop 100000 wc-100k.log
[ "${ALL:-}" = 1 ] && gen weathercop 1000000 wc-1m.log
gen diagnostics 5000 diag-10k.jsonl
gen diagnostics 50000 diag-100k.jsonl
gen diagnostics 500000 diag-1m.jsonl
gen kernel 12500 kern-12.5k.log
gen kernel 25000 kern-25k.log
gen kernel 50000 kern-50k.log
gen kernel 100000 kern-100k.log

reps=${REPS:-3}
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
measure() { # runs the command REPS times: median wall, cpu (user+sys), max RSS MiB
	local w=() c=() m=()
	for ((r = 1; r <= reps; r++)); do
		/usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" "$@" >"$out/measure.out" # not /dev/null: GNU grep then stops at the first match
		read -r wall user sys rss <"$out/time.txt"
		w+=("$wall"); c+=("$(echo "$user + $sys" | bc)"); m+=("$((rss / 1024))")
	done
	printf '%s\n' "${w[@]}" | median | tr '\n' ' '
	printf '%s\n' "${c[@]}" | median | tr '\n' ' '
	printf '%s\n' "${m[@]}" | sort -g | tail -1 # the highest: the goals are limits
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
# The comparison columns: grep and ripgrep counting the test ends are the
# floor; weathercop's own script, when given, is the peer (issue 18).
command -v rg >/dev/null || { apt-get update -qq && apt-get install -y -qq ripgrep >/dev/null; }
tools="grep rg text json"
if [ -n "${WEATHERCOP_ANALYZE:-}" ]; then
	[ -f "$WEATHERCOP_ANALYZE" ] || { echo "WEATHERCOP_ANALYZE=$WEATHERCOP_ANALYZE: no such file" >&2; exit 2; }
	tools="$tools peer"
fi
echo "commands: grep: LC_ALL=C grep -c ENDS FILE; rg: rg -c ENDS FILE; text: $out/oomlens analyze FILE; json: $out/oomlens analyze --format json FILE${WEATHERCOP_ANALYZE:+; peer (weathercop logs): /usr/bin/python3 $WEATHERCOP_ANALYZE FILE}"
echo "         (ENDS: '] TEST_END: ' in a weathercop log, '\"test_end\"' in a JSONL, 'Killed process' in a kern-*.log,"
echo "          where \"tests\" are kill records and the cost is per kill; x_grep: wall time over grep's)"
printf '%-22s %8s %10s %8s %8s %8s %10s %8s\n' input tests what wall_s cpu_s rss_MiB cpu_us/test x_grep
for f in "${inputs[@]}"; do
	cat "$f" >/dev/null # warm the page cache
	case $f in
	*/kern-*) tests=$(grep -c 'Killed process' "$f"); ends='Killed process' ;;
	*.log) tests=$(grep -c '] TEST_START: ' "$f"); ends='] TEST_END: ' ;;
	*) tests=$(grep -c '"test_start"' "$f"); ends='"test_end"' ;;
	esac
	for what in $tools; do
		case $what in
		grep) read -r wall cpu rss < <(measure env LC_ALL=C grep -c "$ends" "$f") ;;
		rg) read -r wall cpu rss < <(measure rg -c "$ends" "$f") ;;
		text) read -r wall cpu rss < <(measure "$out/oomlens" analyze "$f") ;;
		json) read -r wall cpu rss < <(measure "$out/oomlens" analyze --format json "$f") ;;
		peer)
			[[ $f == */wc-* ]] || continue
			read -r wall cpu rss < <(measure /usr/bin/python3 "$WEATHERCOP_ANALYZE" "$f")
			;;
		esac
		[ "$what" = grep ] && floor=$wall
		printf '%-22s %8d %10s %8s %8s %8s %10.2f %8s\n' "$(basename "$f")" "$tests" "$what" "$wall" "$cpu" "$rss" "$(echo "$cpu * 1000000 / $tests" | bc -l)" "$(awk -v w="$wall" -v g="$floor" 'BEGIN {if (g > 0) printf "%.2f", w / g; else print "-"}')"
	done
done
