// Package e2e holds oomlens' end-to-end tests and nothing else: they run the
// leaking pytest suite testdata/e2e/suite/ live, under a real memory limit in
// a child memory cgroup (package harness), so that the real kernel OOM-kills
// it; write what a CI job would leave behind (the pytest or CI log, the
// diagnostics plugin's files, the kernel lines of the run) into a job folder;
// analyse that folder in-process (discover.Walk, job.Analyze: the pipeline
// `oomlens analyze` runs); and check the verdict against what the suite is known
// to do. One more test runs the suite under `oomlens record` inside the
// harness's cgroup. See README.md for the variants and how to run them.
package e2e
