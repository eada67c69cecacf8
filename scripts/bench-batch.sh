#!/usr/bin/env bash
# Batch benchmark: generates 10,000 synthetic failed jobs (~2 GB uncompressed,
# half of them zipped), then, in one run and on the same warm files, times
# `oomlens batch` against the least a shell pipeline can do over the same jobs
# (decompress every file and `grep -c "Killed process"`), checks that every
# planted kill was found, and measures peak memory at 1,000 and at 10,000 jobs
# (it must not grow with the number of jobs).
#
#   scripts/bench-batch.sh [JOBS]        default 10000
#   REPS=5 scripts/bench-batch.sh 1000   runs pipeline and oomlens alternately
#                                        REPS times (default 3) and reports the
#                                        median of each, since the machine is shared
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
out=bench-out
mkdir -p "$out"
command -v unzip >/dev/null || { apt-get update -qq && apt-get install -y -qq unzip >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

go build -o "$out/oomlens" ./cmd/oomlens
if [ ! -f "$out/jobs-$n.done" ]; then
	rm -rf "$out/jobs-$n"
	go run ./scripts/genjobs -n "$n" -out "$out/jobs-$n"
	touch "$out/jobs-$n.done"
fi
jobs="$out/jobs-$n"
du -sh --apparent-size "$jobs" | sed 's/^/on disk: /'
cat "$jobs"/*.zip "$jobs"/*/* >/dev/null # warm the page cache
load=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$out/ratios.txt"

# The least a shell can do over the same jobs: decompress every file and count
# the kill lines, as many in parallel as there are cores.
pipeline='find "$0" -mindepth 1 -maxdepth 1 -print0 | xargs -0 -P "$(nproc)" -n 200 sh -c '"'"'
	for j; do
		if [ -d "$j" ]; then cat "$j"/*; else unzip -p "$j"; fi | LC_ALL=C grep -c "Killed process"
	done'"'"' sh | awk '"'"'{s += $1} END {print s}'"'"''

measure() { # label command...: prints wall, user and sys seconds and max RSS KiB
	local label=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" "$@" >"$out/$label.out"
	read -r wall user sys rss <"$out/time.txt"
	echo "$label $wall $user $sys $rss"
}
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

reps=${REPS:-3}
: >"$out/runs.txt"
for ((r = 1; r <= reps; r++)); do
	measure pipeline bash -c "$pipeline" "$jobs" >>"$out/runs.txt"
	measure oomlens "$out/oomlens" batch --format json --jsonl "$out/jobs.jsonl" "$jobs" >>"$out/runs.txt"
	tail -n 2 "$out/runs.txt" | awk -v r="$r" '{w[$1] = $2; c[$1] = $3 + $4} END {printf "run %d: pipeline %.2fs wall %.2fs cpu; oomlens %.2fs wall %.2fs cpu; ratio %.2fx wall %.2fx cpu\n", r, w["pipeline"], c["pipeline"], w["oomlens"], c["oomlens"], w["oomlens"] / w["pipeline"], c["oomlens"] / c["pipeline"]}' | tee -a "$out/ratios.txt"
done
col() { awk -v l="$1" -v c="$2" '$1 == l {print $c}' "$out/runs.txt" | median; }
cpu() { awk -v l="$1" '$1 == l {print $3 + $4}' "$out/runs.txt" | median; }
pwall=$(col pipeline 2) pcpu=$(cpu pipeline) prss=$(col pipeline 5)
owall=$(col oomlens 2) ocpu=$(cpu oomlens) orss=$(col oomlens 5)
ratio=$(awk '{print $(NF - 3)}' "$out/ratios.txt" | tr -d x | median)
cpuratio=$(awk '{print $(NF - 1)}' "$out/ratios.txt" | tr -d x | median)
found_pipe=$(cat "$out/pipeline.out")
kills=$(tr -d ' \n' <"$out/oomlens.out" | grep -o '"name":"oom-kill","count":[0-9]*' | grep -o '[0-9]*$' || echo 0)
lines=$(wc -l <"$out/jobs.jsonl")

# Memory at a tenth of the jobs, to show it does not grow with their number.
small="$out/jobs-small"
rm -rf "$small" && mkdir -p "$small"
ls "$jobs" | sed -n "1,$((n / 10))p" | while read -r j; do cp -al "$jobs/$j" "$small/"; done
read -r _ swall _ _ srss < <(measure oomlens-small "$out/oomlens" batch --format json "$small")

echo
echo "jobs:                $n ($lines JSON lines)"
echo "planted kills:       $n; found by the pipeline: $found_pipe; confirmed OOM kills by oomlens: $kills"
echo "medians of $reps runs, load average before: $load"
echo "pipeline:            ${pwall}s wall, ${pcpu}s user+sys, $((prss / 1024)) MiB max RSS (decompress + grep -c, $(nproc) in parallel)"
echo "oomlens batch:       ${owall}s wall, ${ocpu}s user+sys, $((orss / 1024)) MiB max RSS"
echo "ratio:               ${ratio}x the pipeline, wall, median of the per-run ratios (goal: <= 1.5x, and < 30 s); ${cpuratio}x in user+sys CPU"
echo "memory at $((n / 10)) jobs: $((srss / 1024)) MiB max RSS (${swall}s), at $n jobs: $((orss / 1024)) MiB"
[ "$kills" = "$n" ] || { echo "FAIL: oomlens confirmed $kills OOM kills of $n planted" >&2; exit 1; }
