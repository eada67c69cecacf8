# Shared by bench-kernel.sh and bench-batch.sh; sourced, not run.
# (bench-analyze.sh, being reworked on another branch, keeps its own loop.)
# Every tool of a comparison is timed in the same run, on the same warm
# files, the tools taking turns REPS times so that they share the machine's
# load (it is often shared), and the table gives each one's median wall
# time, median user+sys CPU, highest peak RSS, and its ratio to the floor
# tool (the fastest a tool that reads every byte can be: grep or ripgrep).
#
#   bench_machine                 prints cores, memory, load, kernel, tools
#   bench_run LABEL CMD...        times CMD once; its stdout goes to
#                                 $BENCH_OUT/LABEL.out
#   bench_table FLOOR [GOAL]      prints the table of the runs so far, ratios
#                                 to the tool labelled FLOOR
#   bench_goal LABEL FLOOR MAX    prints whether LABEL's median wall time is
#                                 within MAX times FLOOR's (timing on a shared
#                                 machine is noisy: it says, it does not fail)
#   bench_reset                   forgets the runs (for the next table)

BENCH_OUT=${BENCH_OUT:-bench-out}
BENCH_RUNS=$BENCH_OUT/runs.tsv
mkdir -p "$BENCH_OUT"
: >"$BENCH_RUNS"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
command -v rg >/dev/null || { apt-get update -qq && apt-get install -y -qq ripgrep >/dev/null; }

bench_machine() {
	local model
	model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
	echo "machine: $(nproc) cores (${model:-unknown CPU}), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) memory, kernel $(uname -r)"
	echo "load:    $(uptime | sed 's/^ *//')"
	echo "tools:   $(grep --version | sed -n 1p), $(rg --version | sed -n 1p), $(go version | cut -d' ' -f3-)"
}

# bench_run LABEL CMD...: one timed run; "LABEL wall_s cpu_s rss_KiB" goes to
# $BENCH_RUNS, the command line (once per label) to $BENCH_RUNS.cmd.
bench_run() {
	local label=$1
	shift
	grep -q "^$label	" "$BENCH_RUNS.cmd" 2>/dev/null || printf '%s\t%s\n' "$label" "$(printf '%q ' "$@")" >>"$BENCH_RUNS.cmd"
	/usr/bin/time -f "%e %U %S %M" -o "$BENCH_OUT/time.txt" "$@" >"$BENCH_OUT/$label.out"
	read -r wall user sys rss <"$BENCH_OUT/time.txt"
	echo "$label $wall $(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}') $rss" >>"$BENCH_RUNS"
}

bench_reset() { : >"$BENCH_RUNS"; : >"$BENCH_RUNS.cmd"; }

# bench_table FLOOR: one row per label, in the order first run: median wall,
# median CPU, highest max RSS, and the ratios of the medians to FLOOR's.
bench_table() {
	local floor=$1
	echo "commands:"
	sed 's/^/  /; s/\t/: /' "$BENCH_RUNS.cmd"
	awk -v floor="$floor" '
		function median(s,   n, a, i, j, t) {
			n = split(s, a, " ")
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			return a[int((n + 1) / 2)]
		}
		!($1 in runs) { order[++k] = $1 }
		{ runs[$1]++; w[$1] = w[$1] " " $2; c[$1] = c[$1] " " $3; if ($4 > r[$1]) r[$1] = $4 }
		END {
			fw = median(w[floor]); fc = median(c[floor])
			printf "%-22s %5s %9s %9s %9s %9s %9s\n", "tool", "runs", "wall_s", "cpu_s", "rss_MiB", "x_wall", "x_cpu"
			for (i = 1; i <= k; i++) {
				l = order[i]; mw = median(w[l]); mc = median(c[l])
				printf "%-22s %5d %9.2f %9.2f %9.1f %9.2f %9.2f\n", l, runs[l], mw, mc, r[l] / 1024, (fw > 0 ? mw / fw : 0), (fc > 0 ? mc / fc : 0)
			}
			printf "(medians of the runs; x_wall and x_cpu: ratio to %s)\n", floor
		}' "$BENCH_RUNS"
}
bench_goal() {
	awk -v l="$1" -v f="$2" -v max="$3" '
		function median(s,   n, a, i, j, t) {
			n = split(s, a, " ")
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			return a[int((n + 1) / 2)]
		}
		{ w[$1] = w[$1] " " $2 }
		END {
			r = median(w[l]) / median(w[f])
			printf "goal: %s within %sx %s wall time: %.2fx, %s\n", l, max, f, r, r <= max ? "met" : "NOT met"
		}' "$BENCH_RUNS"
}
bench_reset
