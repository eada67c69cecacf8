#!/usr/bin/env bash
# Remakes testdata/pytest/*.log: partial pytest logs from the REAL pytest and
# pytest-xdist (Debian python3-pytest, python3-pytest-xdist), killed with
# SIGKILL in the middle of a test, the way the kernel's OOM killer would.
#
# The suite is testdata/pytest/suite/tests; tests/test_beta.py::test_sleeper
# writes its pid to $OOMLENS_MARKER and sleeps; this script waits for the
# marker and kill -9s that pid (pytest itself, or the xdist worker).
# The hostile-id suite (testdata/pytest/hostile) is run with -v and
# --collect-only -q. The temporary directory is scrubbed to /tmp/oomlens-pytest.
#
# Usage: scripts/make-pytest-logs.sh   (PYTHON=/usr/bin/python3 by default)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/testdata/pytest
PY=${PYTHON:-/usr/bin/python3}
FIXED=/tmp/oomlens-pytest
WORK=$(mktemp -d /tmp/oomlens-pytest-work.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

export COLUMNS=80 PYTHONDONTWRITEBYTECODE=1 PYTHONHASHSEED=0
unset PYTEST_ADDOPTS CI || true

cp -r "$OUT/suite/tests" "$WORK/tests"
mkdir -p "$WORK/hostile"
cp "$OUT/hostile/test_hostile_ids.py" "$WORK/hostile/"
cd "$WORK"

# stamp prefixes every line with a GitHub Actions-style UTC timestamp
# (7 fractional digits) at the moment the line's newline arrives; a last
# line without a newline is stamped at EOF, as the runner does.
stamp() {
	"$PY" -u -c '
import sys, datetime
def now():
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%07d" % (t.microsecond * 10) + "Z "
out = sys.stdout.buffer
for line in iter(sys.stdin.buffer.readline, b""):
    out.write(now().encode() + line)
    out.flush()
'
}

scrub() {
	sed -e "s#$WORK#$FIXED#g" -e 's#hostname="[^"]*"#hostname="oomlens-host"#' "$1"
}

wait_marker() {
	for _ in $(seq 1 600); do
		[ -f "$WORK/marker" ] && return 0
		sleep 0.05
	done
	echo "make-pytest-logs: the sleeper never started" >&2
	return 1
}

# killed NAME ARGS...: run pytest ARGS from a bash script, SIGKILL the process
# running test_sleeper; bash reports the job ("line 1: PID Killed ...").
killed() {
	local name=$1
	shift
	rm -f "$WORK/marker"
	printf '%s -m pytest %s\n' "$PY" "$*" >"$WORK/run.sh"
	local rc=0
	OOMLENS_MARKER=$WORK/marker bash -e "$WORK/run.sh" >"$WORK/raw.log" 2>&1 &
	local job=$!
	wait_marker
	sleep 0.3
	local pid
	pid=$(cat "$WORK/marker")
	if [ "${KILL_TARGET:-}" = parent ]; then
		# the xdist controller: the worker's parent (execnet popen)
		pid=$(ps -o ppid= -p "$pid" | tr -d ' ')
	fi
	kill -9 "$pid"
	wait "$job" || rc=$?
	echo "Process completed with exit code $rc." >>"$WORK/raw.log"
	scrub "$WORK/raw.log" >"$OUT/$name.log"
	echo "$name: exit $rc"
}

# killed_gha NAME ARGS...: the same, seen through a GitHub Actions raw log.
killed_gha() {
	local name=$1
	shift
	rm -f "$WORK/marker"
	printf '%s -m pytest %s\n' "$PY" "$*" >"$WORK/run.sh"
	(
		echo "##[group]Run pytest $*"
		echo "##[endgroup]"
		rc=0
		OOMLENS_MARKER=$WORK/marker bash -e "$WORK/run.sh" 2>&1 || rc=$?
		echo "##[error]Process completed with exit code $rc."
	) | stamp >"$WORK/raw.log" &
	local job=$!
	wait_marker
	sleep 0.3
	kill -9 "$(cat "$WORK/marker")"
	wait "$job" || true
	scrub "$WORK/raw.log" >"$OUT/$name.log"
	echo "$name: done"
}

# The collection order, to resolve progress positions to node ids.
"$PY" -m pytest --collect-only -q tests >"$WORK/raw.log" 2>&1
scrub "$WORK/raw.log" >"$OUT/suite.collect.txt"

killed verbose-killed -v tests
killed progress-killed tests
killed quiet-killed -q tests
killed xdist-verbose-worker-killed -n 2 -v --junitxml="$WORK/junit.xml" tests
scrub "$WORK/junit.xml" >"$OUT/xdist-verbose-worker-killed.junit.xml"
KILL_TARGET=parent killed xdist-verbose-main-killed -n 2 -v tests
killed xdist-progress-worker-killed -n 2 tests
killed_gha gha-verbose-killed -v tests

# Hostile ids: the collection order and the -v run (completes, nothing killed).
"$PY" -m pytest --collect-only -q hostile >"$WORK/raw.log" 2>&1 || true
scrub "$WORK/raw.log" >"$OUT/hostile-ids.collect.txt"
"$PY" -m pytest -v hostile >"$WORK/raw.log" 2>&1 || true
scrub "$WORK/raw.log" >"$OUT/hostile-ids.v.log"
"$PY" -m pytest -q -o junit_family=xunit1 --junitxml="$WORK/junit.xml" hostile >/dev/null 2>&1 || true
scrub "$WORK/junit.xml" >"$OUT/hostile-ids.xunit1.junit.xml"
echo "hostile ids: done"
