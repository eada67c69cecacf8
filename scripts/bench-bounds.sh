#!/usr/bin/env bash
# Bounds benchmark (issue 17): builds the large hostile inputs that no unit
# test can hold and runs oomlens on each under /usr/bin/time, printing wall
# seconds and peak RSS. What each must show: the zip whose 400 members declare
# 60 MiB each reserves nothing for them; the tar.gz and the zip of 1M empty
# members stop at the entry cap (10,000) with a warning, fast (the zip's
# central directory is walked, never held); a 10 GiB stream on stdin is
# read in constant memory and never copied to disk; a folder of 20k files
# stops at the file cap; a job whose gzip member decompresses to 1000 MiB
# stays within ~1.5x --max-job-bytes (1 GiB by default); a folder of 10,000
# pytest logs (10,000 runs) is refused fast with a message of 22 lines; one
# pytest log and 9,999 kernel logs (one run) are analysed.
#
#   scripts/bench-bounds.sh              STREAM_GIB=10 by default
#   STREAM_GIB=1 scripts/bench-bounds.sh a quicker run
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench-out/bounds
mkdir -p "$out"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
CGO_ENABLED=0 go build -o "$out/oomlens" ./cmd/oomlens # as the README installs it
go build -o "$out/genhostile" ./scripts/genhostile
gen="$out/genhostile"
oom="$out/oomlens"
stream_gib=${STREAM_GIB:-10}

build() { # file command...: builds file once
	local f=$1; shift
	[ -e "$f" ] || "$@"
}
build "$out/liar/liar.zip" sh -c "mkdir -p '$out/liar' && '$gen' liar-zip '$out/liar/liar.zip'"
build "$out/many/many.tar.gz" sh -c "mkdir -p '$out/many' && '$gen' many-tar '$out/many/many.tar.gz' 1000000"
build "$out/manyzip/many.zip" sh -c "mkdir -p '$out/manyzip' && '$gen' many-zip '$out/manyzip/many.zip' 1000000"
build "$out/bomb/a.tar" sh -c "mkdir -p '$out/bomb' && '$gen' bomb-tar '$out/bomb/a.tar' 1000 && cp '$out/bomb/a.tar' '$out/bomb/b.tar'"
build "$out/folder" "$gen" folder "$out/folder" 20000 60
build "$out/pytest10k" "$gen" copies "$out/pytest10k" 10000 testdata/scenarios/verbose-plugin/pytest.log
build "$out/onerun10k" sh -c "'$gen' copies '$out/onerun10k' 9999 testdata/scenarios/verbose-plugin/kernel.log && cp testdata/scenarios/verbose-plugin/pytest.log '$out/onerun10k/'"

printf '%-44s %10s %12s %6s  %s\n' case wall_s max_rss_MiB exit "first warning"
measure() { # label stdin command...: one line of figures
	local label=$1 in=$2; shift 2
	local rc=0
	if [ "$in" = - ]; then
		/usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >"$out/report.txt" 2>"$out/stderr.txt" || rc=$?
	else
		"$gen" stream "$in" | /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >"$out/report.txt" 2>"$out/stderr.txt" || rc=$?
	fi
	read -r wall rss < <(tail -n 1 "$out/time.txt")
	local warn
	warn=$(grep -ohE '(holds [^;:]*|cut off[^;]*|more than [^;]*|inputs are of [0-9]+ runs)' "$out/report.txt" "$out/stderr.txt" | head -1 | cut -c1-70 || true)
	printf '%-44s %10s %12d %6s  %s\n' "$label" "$wall" $((rss / 1024)) "$rc" "$warn"
}
measure "analyze liar.zip (400 x declared 60 MiB)" - "$oom" analyze "$out/liar/liar.zip"
measure "batch liar/ (the same zip as a job)" - "$oom" batch "$out/liar"
measure "analyze many.tar.gz (1M empty members)" - "$oom" analyze "$out/many/many.tar.gz"
measure "batch many/ (the same tar.gz as a job)" - "$oom" batch "$out/many"
measure "analyze many.zip (1M empty members)" - "$oom" analyze "$out/manyzip/many.zip"
measure "batch -j 1 bomb/ (2 jobs, 1000 MiB gz member)" - "$oom" batch -j 1 "$out/bomb"
measure "batch -j 2 bomb/ (2 jobs, 1000 MiB gz member)" - "$oom" batch -j 2 "$out/bomb"
measure "analyze folder/ (20k files of 60 KiB)" - "$oom" analyze "$out/folder"
measure "analyze pytest10k/ (10,000 pytest logs)" - "$oom" analyze "$out/pytest10k"
measure "analyze onerun10k/ (1 pytest + 9,999 kernel)" - "$oom" analyze "$out/onerun10k"
measure "analyze - (${stream_gib} GiB kernel log on stdin)" $((stream_gib << 30)) "$oom" analyze -
