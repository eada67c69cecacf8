#!/usr/bin/env bash
# Batch benchmark (issue 18): `oomlens batch` over 10,000 synthetic failed
# jobs (scripts/genjobs: ~2.2 GB uncompressed, half of them zipped) against
# the floor a tool that reads every byte can reach: ripgrep, and grep,
# counting "Killed process" over the same jobs unzipped. All in one run, on
# the same warm page cache, alternated REPS times. ripgrep uses every core;
# oomlens batch is given -j $(nproc) (its default) so that both use the same
# cores; grep -r uses one. oomlens batch runs twice: as it runs by default
# (the summary of all jobs) and with --jsonl, which also writes every job's
# whole report, timeline included (~115 KB a job, 1.1 GB for 10,000: the
# cost of encoding and writing that is its own row). Then the peak memory of
# oomlens batch at 1,000, 5,000 and 10,000 jobs, which must stay flat.
#
#   scripts/bench-batch.sh [JOBS]        default 10000
#   REPS=5 scripts/bench-batch.sh        default REPS=3
#
# Goal: oomlens batch within 5x ripgrep's wall time, memory flat in the
# number of jobs, every planted kill found.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
reps=${REPS:-3}
. scripts/benchlib.sh
out=$BENCH_OUT

CGO_ENABLED=0 go build -o "$out/oomlens" ./cmd/oomlens # as the README installs it
jobs=$out/jobs-$n
plain=$out/jobs-$n-unzipped
if [ ! -f "$jobs.done" ] || [ ! -f "$plain.done" ]; then
	rm -rf "$jobs" "$plain"
	go run ./scripts/genjobs -n "$n" -out "$jobs" -unzipped "$plain"
	touch "$jobs.done" "$plain.done"
fi
# Subsets of the jobs, as hard links, for the memory table.
sizes=()
for k in 1000 5000; do
	((k < n)) || continue
	sizes+=("$k")
	if [ ! -f "$jobs-first$k.done" ]; then
		rm -rf "$jobs-first$k" && mkdir -p "$jobs-first$k"
		ls "$jobs" | sed -n "1,${k}p" | sed "s|^|$jobs/|" | xargs -d '\n' cp -al -t "$jobs-first$k"
		touch "$jobs-first$k.done"
	fi
done
echo "jobs:    $n, $(du -s --apparent-size -B1M "$jobs" | cut -f1) MiB on disk (half zipped), $(du -s --apparent-size -B1M "$plain" | cut -f1) MiB unzipped"
find "$jobs" "$plain" -type f -exec cat {} + >/dev/null # warm the page cache
bench_machine
export LC_ALL=C
cores=$(nproc)
for ((r = 1; r <= reps; r++)); do
	bench_run ripgrep rg -c --no-filename -j "$cores" "Killed process" "$plain"
	bench_run grep grep -rc "Killed process" "$plain"
	bench_run oomlens-batch "$out/oomlens" batch -j "$cores" --format json "$jobs"
	bench_run oomlens-batch-jsonl "$out/oomlens" batch -j "$cores" --format json --jsonl "$out/jobs.jsonl" "$jobs"
done
echo
bench_table ripgrep
bench_goal oomlens-batch ripgrep 5
bench_goal oomlens-batch-jsonl ripgrep 5
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

rgkills=$(awk '{s += $1} END {print s}' "$out/ripgrep.out")
grepkills=$(awk -F: '{s += $NF} END {print s}' "$out/grep.out")
confirmed() { tr -d ' \n' <"$1" | grep -o '"name":"oom-kill","count":[0-9]*' | grep -o '[0-9]*$' || echo 0; }
kills=$(confirmed "$out/oomlens-batch.out")
jkills=$(confirmed "$out/oomlens-batch-jsonl.out")
echo "planted kills: $n; lines counted by ripgrep: $rgkills, by grep: $grepkills; OOM kills confirmed by oomlens batch: $kills, with --jsonl: $jkills ($(wc -l <"$out/jobs.jsonl") JSON lines)"

echo
echo "memory of oomlens batch by number of jobs (one run each):"
bench_reset
for k in "${sizes[@]}"; do
	bench_run "oomlens-batch-$k" "$out/oomlens" batch -j "$cores" --format json "$jobs-first$k"
done
bench_run "oomlens-batch-$n" "$out/oomlens" batch -j "$cores" --format json "$jobs"
printf '%-22s %9s %9s %9s\n' jobs wall_s cpu_s rss_MiB
awk '{split($1, a, "-"); printf "%-22s %9.2f %9.2f %9.1f\n", a[3], $2, $3, $4 / 1024}' "$BENCH_RUNS"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$kills" = "$n" ] && [ "$jkills" = "$n" ] || { echo "FAIL: oomlens confirmed $kills (--jsonl: $jkills) OOM kills of $n planted" >&2; exit 1; }
