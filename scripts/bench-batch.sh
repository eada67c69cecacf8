#!/usr/bin/env bash
# Batch benchmark: generates 10,000 synthetic failed jobs (~2 GB uncompressed,
# half of them zipped), then, in one run and on the same warm files, times
# `oomlens batch` against the least a shell pipeline can do over the same jobs
# (decompress every file and `grep -c "Killed process"`), checks that every
# planted kill was found, and measures peak memory at 1,000 and at 10,000 jobs
# (it must not grow with the number of jobs).
#
#   scripts/bench-batch.sh [JOBS]        default 10000
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

# The least a shell can do over the same jobs: decompress every file and count
# the kill lines, as many in parallel as there are cores.
pipeline='find "$0" -mindepth 1 -maxdepth 1 -print0 | xargs -0 -P "$(nproc)" -n 200 sh -c '"'"'
	for j; do
		if [ -d "$j" ]; then cat "$j"/*; else unzip -p "$j"; fi | LC_ALL=C grep -c "Killed process"
	done'"'"' sh | awk '"'"'{s += $1} END {print s}'"'"''

measure() { # label command...: prints wall seconds and max RSS KiB
	local label=$1; shift
	/usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >"$out/$label.out"
	read -r wall rss <"$out/time.txt"
	echo "$label $wall $rss"
}

read -r _ pwall prss < <(measure pipeline bash -c "$pipeline" "$jobs")
found_pipe=$(cat "$out/pipeline.out")
read -r _ owall orss < <(measure oomlens "$out/oomlens" batch --format json --jsonl "$out/jobs.jsonl" "$jobs")
kills=$(grep -o '"name": "oom-kill", *"count": [0-9]*' "$out/oomlens.out" | grep -o '[0-9]*$' || echo 0)
lines=$(wc -l <"$out/jobs.jsonl")

# Memory at a tenth of the jobs, to show it does not grow with their number.
small="$out/jobs-small"
rm -rf "$small" && mkdir -p "$small"
ls "$jobs" | head -n $((n / 10)) | while read -r j; do cp -al "$jobs/$j" "$small/"; done
read -r _ swall srss < <(measure oomlens-small "$out/oomlens" batch --format json "$small")

echo
echo "jobs:                $n ($lines JSON lines)"
echo "planted kills:       $n; found by the pipeline: $found_pipe; confirmed OOM kills by oomlens: $kills"
echo "pipeline:            ${pwall}s wall, $((prss / 1024)) MiB max RSS (decompress + grep -c, $(nproc) in parallel)"
echo "oomlens batch:       ${owall}s wall, $((orss / 1024)) MiB max RSS"
echo "ratio:               $(awk -v a="$owall" -v b="$pwall" 'BEGIN {printf "%.2f", a / b}')x the pipeline (goal: <= 1.5x, and < 30 s)"
echo "memory at $((n / 10)) jobs: $((srss / 1024)) MiB max RSS (${swall}s), at $n jobs: $((orss / 1024)) MiB"
[ "$kills" = "$n" ] || { echo "FAIL: oomlens confirmed $kills OOM kills of $n planted" >&2; exit 1; }
