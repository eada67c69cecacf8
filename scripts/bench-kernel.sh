#!/usr/bin/env bash
# Kernel-log benchmark (issue 18): `oomlens analyze`, and dmesg.Parse alone
# (dmesg/internal/benchcmd), against `grep -c "Killed process"` and
# `rg -c "Killed process"` on a 1 GiB synthetic kernel log (kern.log-style
# noise plus real OOM records from testdata/corpus/kernel, re-rendered under
# varied prefixes: dmesg/internal/benchgen), in one run on the same warm
# file, the tools alternated REPS times. grep and ripgrep read and search
# the one file on one core (ripgrep searches a single file with one
# thread); dmesg.Parse reads and searches it on two goroutines taking
# turns (dmesg/doc.go, Speed), so on a loaded machine, with no core to
# spare, its wall time is its CPU time: compare cpu_s too.
#
#   scripts/bench-kernel.sh [SIZE_BYTES] [RECORDS]   default 1 GiB, 300
#   REPS=5 scripts/bench-kernel.sh                   default REPS=5
#
# Checks that every planted record was found (events of the parser, kills in
# the analyze report). Goal: analyze within 1.00x grep's wall time, at most
# 32 MiB peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1073741824}
records=${2:-300}
reps=${REPS:-5}
. scripts/benchlib.sh
out=$BENCH_OUT
log=$out/kernel-$size.log

go build -o "$out/benchcmd" ./dmesg/internal/benchcmd
go build -o "$out/benchgen" ./dmesg/internal/benchgen
CGO_ENABLED=0 go build -o "$out/oomlens" ./cmd/oomlens # as the README installs it
if [[ ! -s $log || ! -s $log.want ]]; then
	echo "generating $log ($size bytes, $records records)…"
	"$out/benchgen" -o "$log" -size "$size" -records "$records" >"$log.want"
fi
want=$(cat "$log.want")
echo "file:    $log ($(stat -c %s "$log") bytes, $want planted OOM records)"
cat "$log" >/dev/null # warm the page cache
bench_machine
export LC_ALL=C
for ((r = 1; r <= reps; r++)); do
	bench_run grep grep -c "Killed process" "$log"
	bench_run ripgrep rg -c "Killed process" "$log"
	bench_run dmesg.Parse "$out/benchcmd" "$log"
	bench_run oomlens-analyze "$out/oomlens" analyze --format json -o "$out/kernel-report.json" "$log"
done
echo
bench_table grep
bench_goal oomlens-analyze grep 1.00
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

events=$(awk -F'\t' '{print $2 + 0}' "$out/dmesg.Parse.out")
kills=$(grep -c '"kind": "kernel-oom-kill"' "$out/kernel-report.json" || true)
echo "lines counted by grep: $(cat "$out/grep.out"), by ripgrep: $(cat "$out/ripgrep.out"); dmesg.Parse events: $events; kills in the analyze report: $kills; planted: $want"
awk '$1 == "oomlens-analyze" {if ($4 > r) r = $4} END {print r + 0}' "$BENCH_RUNS" >"$out/analyze-rss.txt"
awk '$1 == "dmesg.Parse" {if ($4 > r) r = $4} END {print r + 0}' "$BENCH_RUNS" >"$out/parse-rss.txt"
status=0
if [[ $events != "$want" ]]; then echo "FAIL: $events events, $want planted"; status=1; fi
if [[ $kills != "$want" ]]; then echo "FAIL: analyze reported $kills kills, $want planted"; status=1; fi
if (($(cat "$out/parse-rss.txt") > 32768)); then echo "FAIL: dmesg.Parse peak RSS $(cat "$out/parse-rss.txt") KiB > 32 MiB"; status=1; fi
if (($(cat "$out/analyze-rss.txt") > 32768)); then echo "FAIL: analyze peak RSS $(cat "$out/analyze-rss.txt") KiB > 32 MiB"; status=1; fi
exit $status
