// Package hugeheap asks Linux to back the growth of the Go heap with
// transparent huge pages (2 MiB) where the kernel leaves that to each
// process (/sys/kernel/mm/transparent_hugepage/enabled is "madvise", the
// default of Debian and Ubuntu kernels).
//
// Why: the model of a big suite is written once, page after page, and on the
// virtual machines CI runs on the first touch of each 4 KiB page is a fault
// the hypervisor takes part in, ~10 µs here (issue 18). `oomlens analyze` of
// a 100,000-test weathercop log (bench-out/wc-100k.log, 61 MB) took 20,200
// faults and 0.34 s, 0.16 s of it system time; with its heap in huge pages,
// 1,900 faults and 0.12-0.15 s (with gcpace; 3,300 before Reserve wrote
// nothing to its room and advise covered whole huge pages); a 1M-record
// diagnostics JSONL 105,000 -> 2,400 faults (scripts/bench-analyze.sh,
// README "Benchmarks"). Faulting
// the same pages ahead of use (MADV_POPULATE_WRITE) costs the same as
// faulting them one by one: only fewer, larger pages help.
//
// How: the Go runtime maps heap memory as it needs it and, since Go 1.21.1,
// leaves the kernel's default for it (runtime/mem_linux.go, sysMapOS). A
// mapping's huge-page advice lives as long as the mapping, so Reserve
// allocates one large object, which the runtime maps fresh and, made
// through strings.Builder, does not clear, advises MADV_HUGEPAGE over it
// (mm/khugepaged.c, hugepage_madvise) with the collector off (gcpace.Off),
// and lets it go: its pages return to the runtime's free pages, keep the
// advice, and are what the heap grows into next. Untouched, they are address
// space, not memory: resident memory grows only as the heap does, by up to
// one huge page more than it would have. The price: the runtime clears
// freed pages before it reuses them, so the model's big lists are cleared
// once more than fresh memory would be (~15 ms on wc-100k).
//
// Callers: job.Load, for inputs of per-test formats of 8 MiB or more (a
// kernel log's heap stays small whatever its size, and its RSS target is
// 32 MiB); job.Analyze, for kernel logs of thousands of OOM events; and
// `oomlens batch`.
package hugeheap

// AdviseMinBytes is the smallest object Advise acts on: two huge pages
// (2 MiB on x86-64 and arm64 with 4 KiB base pages). A smaller one is
// mostly in huge pages it shares with its neighbours, and the default
// pages serve it as fast.
const AdviseMinBytes = 4 << 20
