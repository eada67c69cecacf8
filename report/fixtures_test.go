package report

import (
	"time"

	"github.com/oomlens/oomlens/correlate"
)

// Hand-built reports, one per situation the renderers must get right. The
// numbers are consistent with each other (a leak's share is its retained
// bytes over the killed process's anon-rss, the timeline's RSS before and
// after match the leaks and hogs) so that a golden file that reads wrong is
// a renderer bug, not a fixture one.

func ptr[T any](v T) *T { return &v }

const (
	kib = int64(1) << 10
	mib = int64(1) << 20
	gib = int64(1) << 30
)

// sampleRun returns RSS samples of one process, one every step from start,
// with the given readings in MiB.
func sampleRun(pid int, worker, start string, step time.Duration, rssMiB ...int64) []correlate.RSSSample {
	t0, err := time.Parse(time.RFC3339, start)
	if err != nil {
		panic(err)
	}
	out := make([]correlate.RSSSample, len(rssMiB))
	for i, v := range rssMiB {
		out[i] = correlate.RSSSample{
			Time:     t0.Add(time.Duration(i) * step).UTC().Format(time.RFC3339),
			PID:      pid,
			Worker:   worker,
			RSSBytes: v * mib,
		}
	}
	return out
}

type fixture struct {
	name   string
	report *correlate.Report
}

func fixtures() []fixture {
	return []fixture{
		{"memcg-two-leaks", memcgTwoLeaks()},
		{"xdist-two-workers", xdistTwoWorkers()},
		{"no-diagnostics", noDiagnostics()},
		{"sigkill-no-kernel-record", sigkillNoKernelRecord()},
		{"empty", &correlate.Report{}},
	}
}

// memcgTwoLeaks: a single pytest process in a container with an 8 GiB memory
// cgroup limit; two tests leak, one is a hog, one leaves a file open, and
// test_sim was running when the kernel killed the process.
func memcgTwoLeaks() *correlate.Report {
	const pid = 4242
	return &correlate.Report{
		Schema: correlate.SchemaV1,
		Inputs: []correlate.Input{
			{Path: "job-1234/kern.log", Kinds: []string{"kernel-log"}, Warnings: nil},
			{Path: "job-1234/pytest.log", Kinds: []string{"pytest-log"}},
			{Path: "job-1234/test_memory.log", Kinds: []string{"weathercop-log"},
				Warnings: []string{"test_memory.log:212: record cut off at end of file"}},
			{Path: "job-1234/core.4242", Kinds: []string{"core"}},
		},
		Kills: []correlate.Kill{{
			Kind:            "kernel-oom-kill",
			PID:             pid,
			Comm:            "python3",
			Time:            ptr("2026-11-20T14:05:58Z"),
			TimeBasis:       "kernel-wall-clock",
			UptimeS:         ptr(86758.412331),
			Constraint:      "CONSTRAINT_MEMCG",
			OOMMemcg:        "/system.slice/docker-3f2a9c.scope",
			TaskMemcg:       "/system.slice/docker-3f2a9c.scope",
			TotalVMBytes:    ptr[int64](12884901888),
			AnonRSSBytes:    ptr[int64](7969012 * kib),
			FileRSSBytes:    ptr[int64](51200 * kib),
			ShmemRSSBytes:   ptr[int64](0),
			MemcgUsageBytes: ptr(8 * gib),
			MemcgLimitBytes: ptr(8 * gib),
			EndedRun:        true,
			Source:          "kern.log:88",
			KeyLines: []string{
				"python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
				"memory: usage 8388608kB, limit 8388608kB, failcnt 1289",
				"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=docker-3f2a9c.scope,mems_allowed=0,oom_memcg=/system.slice/docker-3f2a9c.scope,task_memcg=/system.slice/docker-3f2a9c.scope,task=python3,pid=4242,uid=1001",
				"Memory cgroup out of memory: Killed process 4242 (python3) total-vm:12582912kB, anon-rss:7969012kB, file-rss:51200kB, shmem-rss:0kB, UID:1001 pgtables:16012kB oom_score_adj:0",
			},
		}},
		RunEnd: correlate.RunEnd{
			Kind:     "oom-kill",
			ExitCode: ptr(137),
			Evidence: []string{
				"pytest.log:312: ##[error]Process completed with exit code 137.",
				"kern.log:88: Memory cgroup out of memory: Killed process 4242 (python3)",
			},
		},
		Alignment: correlate.Alignment{
			Method:       "diagnostics-boot-time",
			UncertaintyS: ptr(0.5),
			BootTime:     ptr("2026-11-19T13:59:59Z"),
		},
		InFlight: []correlate.InFlight{{
			Test:               "tests/test_multisite.py::Test::test_sim",
			Worker:             "",
			PID:                pid,
			Basis:              "diagnostics",
			AddedBytesEstimate: ptr(1890 * mib),
			Evidence: []string{
				"test_memory.log:205: START tests/test_multisite.py::Test::test_sim rss=5898 MB",
				"test_memory.log: no END record for this test",
			},
		}},
		Leaks: []correlate.Leak{
			{
				Test:          "tests/test_ensemble.py::test_small_ensemble_generation",
				PID:           pid,
				RetainedBytes: 4200 * mib,
				ShareOfKill:   ptr(0.5397),
				OpenObjects:   map[string]int{"xarray.Dataset": 2, "netCDF4.Dataset": 3},
				Confidence:    "high",
				Evidence: []string{
					"test_memory.log:41: END rss 4536 MB, was 336 MB at START (+4200 MB)",
					"test_memory.log:41: 3 netCDF4.Dataset and 2 xarray.Dataset still open",
					"RSS never fell below 4.4 GiB after this test, up to the kill",
				},
			},
			{
				Test:          "tests/test_multisite.py::Test::test_phase_randomization",
				PID:           pid,
				RetainedBytes: 1331 * mib,
				ShareOfKill:   ptr(0.1710),
				OpenObjects:   map[string]int{"xarray.Dataset": 1},
				Confidence:    "medium",
				Evidence: []string{
					"test_memory.log:160: END rss 5889 MB, was 4558 MB at START (+1331 MB)",
				},
			},
		},
		Unclosed: []correlate.Unclosed{{
			Test:        "tests/test_vine.py::test_csim_one[gaussian|frank]",
			OpenObjects: map[string]int{"netCDF4.Dataset": 1},
			Evidence:    []string{"test_memory.log:190: 1 netCDF4.Dataset still open, +9 MB"},
		}},
		Hogs: []correlate.Hog{{
			Test:          "tests/test_plotting.py::test_big_figure[png]",
			PeakBytes:     6144 * mib,
			RetainedBytes: 22 * mib,
			Evidence:      []string{"test_memory.log:120: peak 6144 MB during the test, END rss 4580 MB"},
		}},
		Timeline: []correlate.TestSpan{
			{Test: "tests/test_io.py::test_read_station_data", PID: pid,
				Start: ptr("2026-11-20T14:02:00Z"), End: ptr("2026-11-20T14:02:10Z"), Outcome: "passed",
				RSSBeforeBytes: ptr(310 * mib), RSSAfterBytes: ptr(336 * mib), PeakBytes: ptr(420 * mib)},
			{Test: "tests/test_ensemble.py::test_small_ensemble_generation", PID: pid,
				Start: ptr("2026-11-20T14:02:10Z"), End: ptr("2026-11-20T14:03:40Z"), Outcome: "passed",
				RSSBeforeBytes: ptr(336 * mib), RSSAfterBytes: ptr(4536 * mib), PeakBytes: ptr(5222 * mib)},
			{Test: "tests/test_plotting.py::test_big_figure[png]", PID: pid,
				Start: ptr("2026-11-20T14:03:40Z"), End: ptr("2026-11-20T14:04:05Z"), Outcome: "passed",
				RSSBeforeBytes: ptr(4536 * mib), RSSAfterBytes: ptr(4558 * mib), PeakBytes: ptr(6144 * mib)},
			{Test: "tests/test_multisite.py::Test::test_phase_randomization", PID: pid,
				Start: ptr("2026-11-20T14:04:05Z"), End: ptr("2026-11-20T14:05:00Z"), Outcome: "passed",
				RSSBeforeBytes: ptr(4558 * mib), RSSAfterBytes: ptr(5889 * mib), PeakBytes: ptr(6010 * mib)},
			{Test: "tests/test_vine.py::test_csim_one[gaussian|frank]", PID: pid,
				Start: ptr("2026-11-20T14:05:00Z"), End: ptr("2026-11-20T14:05:12Z"), Outcome: "passed",
				RSSBeforeBytes: ptr(5889 * mib), RSSAfterBytes: ptr(5898 * mib), PeakBytes: ptr(5950 * mib)},
			{Test: "tests/test_multisite.py::Test::test_sim", PID: pid,
				Start: ptr("2026-11-20T14:05:12Z"), End: nil, Outcome: "in-flight",
				RSSBeforeBytes: ptr(5898 * mib)},
		},
		FixturesHeld: []correlate.FixtureHeld{{
			Fixture: "station_data", Scope: "session", SetUpBy: "tests/test_io.py::test_read_station_data",
			PID: pid, HeldBytes: 24 * mib,
		}},
		// The account adds up: the kernel's anon-rss, less the first
		// reading, the two leaks, the fixture and test_sim's estimate,
		// leaves 27,892 KiB unexplained.
		MemoryAtKill: &correlate.MemoryAccount{
			PID: pid, Measure: "anonymous RSS",
			TotalBytes:       7969012 * kib,
			BaselineBytes:    310 * mib,
			LeaksBytes:       (4200 + 1331) * mib,
			FixturesBytes:    24 * mib,
			InFlightBytes:    1890 * mib,
			UnexplainedBytes: 7969012*kib - (310+4200+1331+24+1890)*mib,
			ExplainedShare:   1 - float64(7969012*kib-(310+4200+1331+24+1890)*mib)/float64(7969012*kib),
			Basis: correlate.AccountBasis{
				Total:       "the kernel's anon-rss of pid 4242 at the kill (kern.log:88)",
				Baseline:    "RSS at its first reading, test_memory.log:1",
				Leaks:       "retained by the 2 tests named on their own",
				Groups:      "retained by the members of 0 groups",
				Fixtures:    "held by 1 live fixture (its setup's growth)",
				InFlight:    "what tests/test_multisite.py::Test::test_sim added before the kill (its added_bytes_estimate)",
				Unexplained: "27.2 MiB not accounted for",
			},
		},
		Cores: []correlate.CoreDump{{
			Path: "job-1234/core.4242", PID: pid, Comm: "python3", Signal: "SIGKILL",
			AnonBytes: 7790 * mib, FileBytes: 48 * mib,
			LargestRegions: []correlate.CoreRegion{
				{Start: "0x7f3a40000000", SizeBytes: 4096 * mib, Perms: "rw-p"},
				{Start: "0x7f3b80000000", SizeBytes: 1280 * mib, Perms: "rw-p"},
			},
		}},
		Verdict: "tests/test_ensemble.py::test_small_ensemble_generation leaked 4.1 GiB (54% of the killed process's anon-rss) and tests/test_multisite.py::Test::test_phase_randomization 1.3 GiB; tests/test_multisite.py::Test::test_sim was only running when the memory cgroup limit of 8.0 GiB was hit.",
		Warnings: []string{
			"test_memory.log:212: last record cut off (the process was killed while writing it)",
		},
		Samples: sampleRun(pid, "", "2026-11-20T14:02:00Z", 15*time.Second,
			310, 330, 1200, 2500, 3900, 4800, 4536, 4540, 5900, 4558, 5000, 5600, 5889, 5900, 6400, 7100),
	}
}

// xdistTwoWorkers: pytest-xdist with two workers; gw1 was killed first and
// replaced (the run went on), then gw0's kill ended the run. Node ids carry
// the characters that break naive tables: pipes, backticks, brackets,
// angle brackets, spaces and non-ASCII.
func xdistTwoWorkers() *correlate.Report {
	const gw0, gw1 = 5101, 5102
	return &correlate.Report{
		Schema: correlate.SchemaV1,
		Inputs: []correlate.Input{
			{Path: "artifacts/dmesg.txt", Kinds: []string{"kernel-log"}},
			{Path: "artifacts/ci.log", Kinds: []string{"pytest-log"}},
			{Path: "artifacts/memdiag-gw0.jsonl", Kinds: []string{"diagnostics-jsonl"}},
			{Path: "artifacts/memdiag-gw1.jsonl", Kinds: []string{"diagnostics-jsonl"}},
		},
		Kills: []correlate.Kill{
			{
				Kind: "kernel-oom-kill", PID: gw0, Comm: "python", Time: ptr("2026-11-21T10:12:40Z"),
				TimeBasis: "kernel-wall-clock", UptimeS: ptr(3930.118),
				Constraint: "CONSTRAINT_NONE", AnonRSSBytes: ptr[int64](3221225472), FileRSSBytes: ptr[int64](12 * mib),
				TotalVMBytes: ptr[int64](4 * gib), EndedRun: true, Source: "dmesg.txt:140",
				KeyLines: []string{
					"python invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0",
					"Out of memory: Killed process 5101 (python) total-vm:4194304kB, anon-rss:3145728kB, file-rss:12288kB, shmem-rss:0kB, UID:1001 pgtables:7000kB oom_score_adj:0",
				},
			},
			{
				Kind: "kernel-oom-kill", PID: gw1, Comm: "python", Time: ptr("2026-11-21T10:12:05Z"),
				TimeBasis: "kernel-wall-clock", UptimeS: ptr(3895.118),
				Constraint: "CONSTRAINT_NONE", AnonRSSBytes: ptr[int64](2684354560), FileRSSBytes: ptr[int64](10 * mib),
				TotalVMBytes: ptr[int64](3 * gib), EndedRun: false, Source: "dmesg.txt:61", Partial: true,
				KeyLines: []string{
					"Out of memory: Killed process 5102 (python) total-vm:3145728kB, anon-rss:2621440kB, file-rss:10240kB, shmem-rss:0kB, UID:1001 pgtables:6000kB oom_score_adj:0",
				},
			},
		},
		RunEnd: correlate.RunEnd{
			Kind: "oom-kill", ExitCode: ptr(137),
			Evidence: []string{"ci.log:402: [gw1] node down: Not properly terminated", "ci.log:403: replacing crashed worker gw1",
				"ci.log:517: Error: Process completed with exit code 137."},
		},
		Alignment: correlate.Alignment{Method: "kernel-wall-clock", UncertaintyS: ptr(1.0)},
		InFlight: []correlate.InFlight{
			{Test: "tests/test_codec.py::test_decode[`raw`|utf-8]", Worker: "gw0", PID: gw0, Basis: "diagnostics",
				AddedBytesEstimate: ptr(700 * mib), Evidence: []string{"memdiag-gw0.jsonl:88: start without end"}},
			{Test: "tests/test_unicode.py::test_naïve[日本語 data]", Worker: "gw1", PID: gw1, Basis: "xdist-crash",
				Evidence: []string{"ci.log:402: [gw1] node down: Not properly terminated"}},
		},
		Leaks: []correlate.Leak{
			{Test: "tests/test_cache.py::test_lru[<lambda>-*]", Worker: "gw0", PID: gw0, RetainedBytes: 2355 * mib,
				ShareOfKill: ptr(0.7666), Confidence: "high",
				Evidence: []string{"memdiag-gw0.jsonl:40: rss_after - rss_before = +2355 MiB, never released"}},
			{Test: "tests/test_grid.py::TestGrid::test_regrid[a | b]", Worker: "gw1", PID: gw1, RetainedBytes: 1843 * mib,
				ShareOfKill: ptr(0.7199), Confidence: "medium", OpenObjects: map[string]int{"h5py.File": 4},
				Evidence: []string{"memdiag-gw1.jsonl:31: rss_after - rss_before = +1843 MiB", "memdiag-gw1.jsonl:31: 4 h5py.File open"}},
			{Test: "tests/test_grid.py::TestGrid::test_interp", Worker: "gw1", PID: gw1, RetainedBytes: 300 * mib,
				ShareOfKill: nil, Confidence: "low",
				Evidence: []string{"memdiag-gw1.jsonl:35: +300 MiB, within 2x the noise floor"}},
		},
		Timeline: []correlate.TestSpan{
			{Test: "tests/test_cache.py::test_lru[<lambda>-*]", Worker: "gw0", PID: gw0,
				Start: ptr("2026-11-21T10:10:00Z"), End: ptr("2026-11-21T10:11:30Z"), Outcome: "passed",
				RSSBeforeBytes: ptr(250 * mib), RSSAfterBytes: ptr(2605 * mib), PeakBytes: ptr(2700 * mib)},
			{Test: "tests/test_grid.py::TestGrid::test_regrid[a | b]", Worker: "gw1", PID: gw1,
				Start: ptr("2026-11-21T10:10:00Z"), End: ptr("2026-11-21T10:10:50Z"), Outcome: "passed",
				RSSBeforeBytes: ptr(240 * mib), RSSAfterBytes: ptr(2083 * mib), PeakBytes: ptr(2150 * mib)},
			{Test: "tests/test_grid.py::TestGrid::test_interp", Worker: "gw1", PID: gw1,
				Start: ptr("2026-11-21T10:10:50Z"), End: ptr("2026-11-21T10:11:20Z"), Outcome: "failed",
				RSSBeforeBytes: ptr(2083 * mib), RSSAfterBytes: ptr(2383 * mib), PeakBytes: ptr(2400 * mib)},
			{Test: "tests/test_unicode.py::test_naïve[日本語 data]", Worker: "gw1", PID: gw1,
				Start: ptr("2026-11-21T10:11:20Z"), Outcome: "in-flight", RSSBeforeBytes: ptr(2383 * mib)},
			{Test: "tests/test_codec.py::test_decode[`raw`|utf-8]", Worker: "gw0", PID: gw0,
				Start: ptr("2026-11-21T10:11:30Z"), Outcome: "in-flight", RSSBeforeBytes: ptr(2605 * mib)},
		},
		Verdict: "2 tests leaked on 2 workers: tests/test_cache.py::test_lru[<lambda>-*] on gw0 (2.3 GiB, 77% of its kill) and tests/test_grid.py::TestGrid::test_regrid[a | b] on gw1 (1.8 GiB); the tests in flight were victims.",
		Warnings: []string{
			"dmesg.txt:61: kill record of pid 5102 is partial (no task list)",
			"ci.log: xdist replaced worker gw1; its later tests ran in a new process",
		},
	}
}

// noDiagnostics: a kernel record and a pytest log without -v, nothing else:
// the test in flight is known from the count of progress dots, nothing can
// be said about leaks.
func noDiagnostics() *correlate.Report {
	return &correlate.Report{
		Schema: correlate.SchemaV1,
		Inputs: []correlate.Input{
			{Path: "logs/syslog", Kinds: []string{"kernel-log"}},
			{Path: "logs/job.log", Kinds: []string{"pytest-log"}, Warnings: []string{"job.log:977: log ends mid-line"}},
			{Path: "logs/README.txt", Kinds: []string{"unrecognized"}},
		},
		Kills: []correlate.Kill{{
			Kind: "kernel-oom-kill", PID: 3001, Comm: "pytest", UptimeS: ptr(512.25), TimeBasis: "uptime",
			Constraint: "CONSTRAINT_MEMCG", OOMMemcg: "/actions_job/42", TaskMemcg: "/actions_job/42/step",
			AnonRSSBytes: ptr[int64](6871947673), TotalVMBytes: ptr[int64](9 * gib), MemcgUsageBytes: ptr(7 * gib), MemcgLimitBytes: ptr(7 * gib),
			EndedRun: true, Source: "syslog:2210",
		}},
		RunEnd: correlate.RunEnd{Kind: "oom-kill", ExitCode: ptr(137),
			Evidence: []string{"job.log:977: Killed"}},
		Alignment: correlate.Alignment{Method: "none"},
		InFlight: []correlate.InFlight{{
			Test: "tests/test_big.py::test_concat_many", Basis: "dots-position",
			Evidence: []string{"job.log:975: tests/test_big.py ..........F.. [ 61%]: 13 outcomes of 14 collected tests"},
		}},
		Timeline: []correlate.TestSpan{
			{Test: "tests/test_big.py::test_open", Outcome: "passed"},
			{Test: "tests/test_big.py::test_merge", Outcome: "failed"},
			{Test: "tests/test_big.py::test_concat_many", Outcome: "in-flight"},
		},
		Verdict: "No per-test memory diagnostics: oomlens cannot tell a leak from the victim; tests/test_big.py::test_concat_many was running when the memory cgroup /actions_job/42 hit its 7.0 GiB limit.",
		Warnings: []string{
			"no per-test memory diagnostics among the inputs: leaks cannot be attributed",
			"kernel log has no wall clock and no boot time is known: the kill cannot be put on the test timeline",
			"job.log:977: log ends mid-line",
		},
	}
}

// sigkillNoKernelRecord: the job was SIGKILLed (exit 137) but no kernel log
// was given; per-test RSS is known from the diagnostics, without times.
func sigkillNoKernelRecord() *correlate.Report {
	const pid = 777
	span := func(test, outcome string, before, after, peak int64) correlate.TestSpan {
		s := correlate.TestSpan{Test: test, PID: pid, Outcome: outcome, RSSBeforeBytes: ptr(before * mib)}
		if after > 0 {
			s.RSSAfterBytes = ptr(after * mib)
		}
		if peak > 0 {
			s.PeakBytes = ptr(peak * mib)
		}
		return s
	}
	return &correlate.Report{
		Schema: correlate.SchemaV1,
		Inputs: []correlate.Input{
			{Path: "ci-output.txt", Kinds: []string{"pytest-log"}},
			{Path: "memdiag.jsonl", Kinds: []string{"diagnostics-jsonl"}},
		},
		RunEnd: correlate.RunEnd{Kind: "sigkill", ExitCode: ptr(137),
			Evidence: []string{"ci-output.txt:88: Killed", "ci-output.txt:89: Error: Process completed with exit code 137."}},
		Alignment: correlate.Alignment{Method: "none"},
		InFlight: []correlate.InFlight{{
			Test: "tests/test_model.py::test_fit[large]", PID: pid, Basis: "verbose-log",
			AddedBytesEstimate: ptr(1500 * mib),
			Evidence:           []string{"ci-output.txt:87: tests/test_model.py::test_fit[large] (no outcome)"},
		}},
		Leaks: []correlate.Leak{{
			Test: "tests/test_model.py::test_fit[medium]", PID: pid, RetainedBytes: 900 * mib,
			ShareOfKill: nil, Confidence: "low", OpenObjects: map[string]int{},
			Evidence: []string{"memdiag.jsonl:12: +900 MiB retained; no kill record, so no share of the kill"},
		}},
		Timeline: []correlate.TestSpan{
			span("tests/test_model.py::test_fit[small]", "passed", 400, 420, 510),
			span("tests/test_model.py::test_fit[medium]", "passed", 420, 1320, 1400),
			span("tests/test_model.py::test_predict", "passed", 1320, 1330, 1700),
			span("tests/test_model.py::test_fit[large]", "in-flight", 1330, 0, 0),
		},
		Verdict: "The run was SIGKILLed (exit 137) without a kernel record; tests/test_model.py::test_fit[medium] retained 900.0 MiB (low confidence) and tests/test_model.py::test_fit[large] was running.",
		Warnings: []string{
			"no kernel log among the inputs: the kill cannot be confirmed as an OOM kill",
			"memdiag.jsonl: records have no timestamps; the timeline is in test order",
		},
	}
}
