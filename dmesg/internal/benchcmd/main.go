// Command benchcmd parses kernel logs with dmesg.Parse and prints the
// number of events (or, with -v, every event as JSON). It is the driver of
// scripts/bench-kernel.sh until the oomlens CLI exists.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/oomlens/oomlens/dmesg"
)

func main() {
	verbose := flag.Bool("v", false, "print events and warnings as JSON")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	status := 0
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			status = 1
			continue
		}
		lg, err := dmesg.Parse(f, dmesg.Options{Name: name})
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			status = 1
		}
		if lg == nil {
			continue
		}
		if *verbose {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			enc.Encode(lg)
			continue
		}
		fmt.Printf("%s\t%d events\t%d lines\t%d boots\t%d warnings\n", name, len(lg.Events), lg.Lines, lg.Boots, len(lg.Warnings))
	}
	if status != 0 {
		pprof.StopCPUProfile()
		os.Exit(status)
	}
}
