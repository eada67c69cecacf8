// Command oomlens does the post-mortem of an out-of-memory kill: it reads the
// kernel OOM-killer records, the partial test log and the per-test memory
// evidence a killed CI job left behind, and names the tests that leaked.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
