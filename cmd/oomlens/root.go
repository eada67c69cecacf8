package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes, documented in the README and in `oomlens --help`.
const (
	exitOK    = 0 // analysed, whatever was found
	exitError = 1 // an unreadable input or an internal failure
	exitUsage = 2 // a bad command line
	exitLeak  = 3 // --fail-on-leak and leaks were named
)

// usageError marks an error that is the caller's command line, not the input.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCodeError carries an exit status that is not an error, such as
// --fail-on-leak's 3.
type exitCodeError struct{ code int }

func (e exitCodeError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

const exitCodesHelp = `Exit codes:
  0  analysed (whatever was found)
  1  error: an unreadable input or an internal failure
  2  usage: a bad command line
  3  with --fail-on-leak: leaks were named`

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "oomlens",
		Short: "Post-mortem of an out-of-memory kill: which tests leaked, which one was merely running",
		Long: `oomlens reads what an OOM-killed test job left behind (kernel OOM-killer
records, the partial pytest log, per-test memory diagnostics, core dumps),
rebuilds the memory timeline and names the tests that leaked the memory,
apart from the test that happened to be running when the kernel struck.

` + exitCodesHelp,
		Example: `  oomlens analyze job-1234/                 # what the killed job left behind
  oomlens analyze -o report.html job-1234/  # a page with the memory chart
  oomlens record -- pytest -v tests/        # run a suite and record it
  oomlens batch --jsonl all.jsonl archive/  # many jobs at once`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetVersionTemplate("oomlens {{.Version}}\n")
	var cpuProfile, memProfile string
	var stopProfile func()
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) to FILE")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentFlags().StringVar(&memProfile, "memprofile", "", "write an allocation profile (pprof) to FILE at exit")
	root.PersistentFlags().MarkHidden("memprofile")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if memProfile != "" {
			runtime.MemProfileRate = 4096
		}
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if stopProfile != nil {
			stopProfile()
		}
		if memProfile != "" {
			if f, err := os.Create(memProfile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}
	}
	root.AddCommand(newVersionCmd(), newAnalyzeCmd(), newBatchCmd(), newAggregateCmd())
	root.AddCommand(newRecordCmd(), newCollectCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the oomlens version",
		Long: `Print the oomlens version: the module version it was installed at (go install
github.com/oomlens/oomlens/cmd/oomlens@v1.2.3), or the commit it was built
from and its time, from the build information Go records in the binary.`,
		Example: `  oomlens version
  oomlens --version`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "oomlens %s\n", versionString())
			return err
		},
	}
}

// run executes the command line and turns its outcome into an exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	var ec exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	fmt.Fprintf(stderr, "oomlens: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsageError(err) {
		// The usage of the command that was given, not the root's.
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintf(stderr, "\n%s\nRun '%s --help' for more.\n", strings.TrimRight(cmd.UsageString(), "\n"), cmd.CommandPath())
		return exitUsage
	}
	return exitError
}

// isCobraUsageError recognises the errors cobra makes itself for a command
// line it cannot route (it returns them as plain errors).
func isCobraUsageError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown shorthand flag") ||
		strings.HasPrefix(msg, "unknown flag")
}

// usageArgs wraps a positional-argument check so that its failure exits 2.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
