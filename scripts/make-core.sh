#!/bin/sh
# make-core.sh remakes the small real Linux core dumps elfcore/core_test.go
# reads: testdata/cores/oomcore-demo.core.xz (written by the kernel) and
# testdata/cores/oomcore-demo.gcore.xz (written by gdb's gcore), and
# testdata/cores/oomcore-demo-i386.core.xz (the same program built with
# gcc -m32, written by the kernel: the 32-bit note layouts; needs the Debian
# package gcc-multilib).
#
# How it is made: a tiny C program (below) puts 1 MiB of small allocations on
# the brk heap (512 x 2 KiB), mallocs 8 MiB and touches every byte (glibc
# serves it with its own mmap: an anonymous VMA of 8 MiB + 4 KiB), starts one
# idle thread with a 256 KiB stack (so the core has 2 threads and the 8 MiB
# block stays the largest anonymous region), then calls abort(). The kernel
# writes the core (SIGABRT, si_code SI_TKILL) because we raise RLIMIT_CORE with
# `ulimit -c unlimited`; it needs /proc/sys/kernel/core_pattern to be a plain
# file name such as "core" (not a "|handler" pipe). Then xz -9 compresses it.
#
# The pid, addresses and sizes differ on every run: after remaking the core,
# update the expected values in elfcore/core_test.go (TestReadCoreReal).
#
# Usage: scripts/make-core.sh [all|kernel|gcore|i386]     (default all)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/testdata/cores/oomcore-demo.core.xz"

pattern=$(cat /proc/sys/kernel/core_pattern)
case "${1:-all}:$pattern" in
gcore:*) ;;
*:'|'*) echo "core_pattern pipes to a handler ($pattern): cannot write a core file here (gcore still works: $0 gcore)" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

cat >oomcore-demo.c <<'CEOF'
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *idle(void *arg) {
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv) {
	/* 1 MiB of small blocks: served from the brk heap (main arena). */
	for (int i = 0; i < 512; i++) {
		char *p = malloc(2048);
		memset(p, 0x11, 2048);
	}
	/* 8 MiB, above M_MMAP_THRESHOLD: its own anonymous mapping. */
	size_t n = (size_t)8 << 20;
	char *big = malloc(n);
	memset(big, 0xA5, n);

	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_create(&t, &attr, idle, NULL);
	usleep(200 * 1000); /* let the thread start */
	if (argc > 1 && strcmp(argv[1], "--wait") == 0)
		for (;;)
			pause(); /* for gcore */
	abort();
}
CEOF
gcc -O0 -pthread -o oomcore-demo oomcore-demo.c

what=${1:-all}

if [ "$what" = all ] || [ "$what" = kernel ]; then
ulimit -c unlimited
# argv: three words, so NT_PRPSINFO's pr_psargs has something to show.
./oomcore-demo --alloc 8MiB || true

core=$(ls core* 2>/dev/null | head -n 1)
if [ -z "$core" ]; then
	echo "no core file written in $work (core_pattern=$pattern)" >&2
	exit 1
fi
xz -9 -c "$core" >"$out"
ls -l "$core" "$out"
fi

if [ "$what" = all ] || [ "$what" = gcore ]; then
# gcore of the same program, paused.
./oomcore-demo --wait --alloc 8MiB &
pid=$!
sleep 1
gcore -o gcore "$pid" >/dev/null
kill -9 "$pid" || true
wait "$pid" 2>/dev/null || true
gout="$root/testdata/cores/oomcore-demo.gcore.xz"
xz -9 -c "gcore.$pid" >"$gout"
ls -l "gcore.$pid" "$gout"
fi

if [ "$what" = all ] || [ "$what" = i386 ]; then
mkdir c32
cd c32
gcc -m32 -O0 -pthread -o oomcore-demo32 ../oomcore-demo.c
ulimit -c unlimited
./oomcore-demo32 --alloc 8MiB || true
core=$(ls core* 2>/dev/null | head -n 1)
if [ -z "$core" ]; then
	echo "no 32-bit core file written (core_pattern=$pattern)" >&2
	exit 1
fi
out32="$root/testdata/cores/oomcore-demo-i386.core.xz"
xz -9 -c "$core" >"$out32"
ls -l "$core" "$out32"
cd ..
fi
