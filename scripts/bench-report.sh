#!/usr/bin/env bash
# Size and render time of the reports of a 20,000- and a 100,000-test run
# (report.hugeReport: a fifth of the tests leak, each with 30 lines of
# evidence, samples on 4 workers). Prints, per run: text lines (goal ≤ 400),
# Markdown bytes (goal ≤ 65,536), HTML bytes (goal < 3,000,000), JSON bytes
# (complete), and Chromium's time to draw the HTML chart, measured by the page
# itself (performance.now() when uPlot has drawn, data-chart-ms; goal < 2 s),
# next to the wall time of a headless Chromium run on the page and on an empty
# page in the same run.
#
#   scripts/bench-report.sh
#
# Needs chromium (apt-get install -y chromium). Output goes to bench-out/report.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$PWD/bench-out/report
mkdir -p "$OUT"
OOMLENS_BENCH_OUT=$OUT go test -count=1 -run '^TestWriteHugeReports$' ./report >/dev/null
CHROMIUM=$(command -v chromium || command -v chromium-browser)
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
browse() {
	"$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --disable-extensions --host-resolver-rules='MAP * ~NOTFOUND' \
		--user-data-dir="$profile" --window-size=1280,1600 --dump-dom "file://$1" 2>/dev/null
}
echo '<!DOCTYPE html><html><body>empty</body></html>' >"$OUT/empty.html"
browse "$OUT/empty.html" >/dev/null # warm
t0=$(date +%s.%N); browse "$OUT/empty.html" >/dev/null; t1=$(date +%s.%N)
printf 'chromium on an empty page: %.2f s wall\n' "$(echo "$t1 - $t0" | bc)"
for n in 20000 100000; do
	base=$OUT/huge-$n
	t0=$(date +%s.%N); dom=$(browse "$base.html"); t1=$(date +%s.%N)
	ms=$(grep -o 'data-chart-ms="[0-9]*"' <<<"$dom" | grep -o '[0-9]*' || echo "not drawn")
	printf '%6d tests: text %d lines, markdown %d bytes, html %d bytes, json %d bytes; chart drawn at %s ms; chromium %.2f s wall\n' \
		"$n" "$(wc -l <"$base.text")" "$(wc -c <"$base.markdown")" "$(wc -c <"$base.html")" "$(wc -c <"$base.json")" \
		"$ms" "$(echo "$t1 - $t0" | bc)"
done
