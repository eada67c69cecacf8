#!/usr/bin/env bash
# Benchmark `oomlens analyze` (and dmesg.Parse alone) against
# `LC_ALL=C grep -c "Killed process"` on a 1 GiB synthetic kernel log
# (kern.log-style noise plus real OOM records from testdata/corpus/kernel,
# re-rendered under varied prefixes), in one run on the same warm file.
#
#   scripts/bench-kernel.sh [SIZE_BYTES] [RECORDS]
#
# Generated files go to bench-out/ (git-ignored). Prints wall time and
# peak RSS of each, checks that every planted record was found (events of
# the parser, kills in the analyze report), and prints the ratios to grep
# (goal: analyze ≤ 1.00x grep, ≤ 32 MiB peak RSS).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1073741824}
RECORDS=${2:-300}
OUT=bench-out
LOG=$OUT/kernel-$SIZE.log
mkdir -p "$OUT"

go build -o "$OUT/benchcmd" ./dmesg/internal/benchcmd
go build -o "$OUT/benchgen" ./dmesg/internal/benchgen
go build -o "$OUT/oomlens" ./cmd/oomlens
if [[ ! -s $LOG || ! -s $LOG.want ]]; then
	echo "generating $LOG ($SIZE bytes, $RECORDS records)…"
	"$OUT/benchgen" -o "$LOG" -size "$SIZE" -records "$RECORDS" >"$LOG.want"
fi
WANT=$(cat "$LOG.want")
cat "$LOG" >/dev/null # warm the page cache

measure() { # name cmd… ; sets WALL (s), RSS (KiB), OUTPUT
	local tf
	tf=$(mktemp)
	OUTPUT=$(/usr/bin/time -v -o "$tf" "$@")
	WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$tf")
	RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tf")
	rm -f "$tf"
}

export LC_ALL=C
REPS=${REPS:-5}
GWS=() PWS=() AWS=()
GR=0 PR=0 AR=0
# Alternate the two so that both see the same machine load (it is shared).
for ((i = 0; i < REPS; i++)); do
	measure grep -c "Killed process" "$LOG"
	GWS+=("$WALL") GR=$((RSS > GR ? RSS : GR)) GO=$OUTPUT
	measure "$OUT/benchcmd" "$LOG"
	PWS+=("$WALL") PR=$((RSS > PR ? RSS : PR)) PO=$OUTPUT
	measure "$OUT/oomlens" analyze --format json -o "$OUT/kernel-report.json" "$LOG"
	AWS+=("$WALL") AR=$((RSS > AR ? RSS : AR))
done
KILLS=$(grep -c '"kind": "kernel-oom-kill"' "$OUT/kernel-report.json" || true)
stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.2f %.2f", a[1], a[int((NR+1)/2)]}'; }
read -r GB GM <<<"$(stats "${GWS[@]}")"
read -r PB PM <<<"$(stats "${PWS[@]}")"
read -r AB AM <<<"$(stats "${AWS[@]}")"
EVENTS=$(echo "$PO" | awk -F'\t' '{print $2+0}')

printf 'file            %s (%s bytes)\n' "$LOG" "$(stat -c %s "$LOG")"
printf 'grep -c         best %5.2f s  median %5.2f s  %7d KiB max RSS  (%s lines)\n' "$GB" "$GM" "$GR" "$GO"
printf 'dmesg.Parse     best %5.2f s  median %5.2f s  %7d KiB max RSS  (%s events, %s planted)\n' "$PB" "$PM" "$PR" "$EVENTS" "$WANT"
printf 'oomlens analyze best %5.2f s  median %5.2f s  %7d KiB max RSS  (%s kills reported, %s planted)\n' "$AB" "$AM" "$AR" "$KILLS" "$WANT"
awk -v pb="$PB" -v gb="$GB" -v pm="$PM" -v gm="$GM" 'BEGIN{printf "ratio parse/grep    best %.2f  median %.2f\n", pb/gb, pm/gm}'
awk -v ab="$AB" -v gb="$GB" -v am="$AM" -v gm="$GM" 'BEGIN{printf "ratio analyze/grep  best %.2f  median %.2f  (%d runs each, alternated)\n", ab/gb, am/gm, '"$REPS"'}'
status=0
if [[ $EVENTS != "$WANT" ]]; then echo "FAIL: $EVENTS events, $WANT planted"; status=1; fi
if [[ $KILLS != "$WANT" ]]; then echo "FAIL: analyze reported $KILLS kills, $WANT planted"; status=1; fi
if ((PR > 32768)); then echo "FAIL: parse peak RSS $PR KiB > 32 MiB"; status=1; fi
if ((AR > 32768)); then echo "FAIL: analyze peak RSS $AR KiB > 32 MiB"; status=1; fi
exit $status
