package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/oomlens/oomlens/report"
)

// The conventions of the report's output: where it goes (-o), in which
// format (--format, else -o's extension), with colour or not (--color,
// NO_COLOR, TERM=dumb), how many rows a section shows (--top).

// formatByExt is the format -o FILE picks by its extension when --format
// is not given.
var formatByExt = map[string]string{
	".txt": "text", ".text": "text",
	".md": "markdown", ".markdown": "markdown",
	".json": "json",
	".html": "html", ".htm": "html",
}

// outputFormat decides the report's format from --format (set says it was
// given) and -o's file name: the extension picks the format when --format
// is absent; the two must agree when both are given.
func outputFormat(format string, set bool, out string) (string, error) {
	if format == "" {
		format = "text"
	}
	if out == "" || out == "-" {
		return format, nil
	}
	ext := strings.ToLower(filepath.Ext(out))
	byExt, known := formatByExt[ext]
	switch {
	case set && known && byExt != format:
		return "", usageError{fmt.Errorf("--format %s and -o %s disagree: %s is the extension of %s reports; drop one of them", format, out, ext, byExt)}
	case set:
		return format, nil
	case known:
		return byExt, nil
	case ext == "" && isFormatName(filepath.Base(out)):
		// `-o json`: a format name given where a file name goes.
		return "", usageError{fmt.Errorf("-o %s: a file without an extension; did you mean --format %s? (-o takes a file name, and its extension .txt, .md, .json or .html picks the format)", out, filepath.Base(out))}
	}
	return format, nil
}

func isFormatName(s string) bool {
	for _, f := range report.Formats() {
		if s == f {
			return true
		}
	}
	return s == "md" || s == "txt"
}

// colorModes are the values of --color.
var colorModes = []string{"auto", "always", "never"}

// useColor decides --color: always and never are what they say; auto is
// colour on a terminal unless NO_COLOR is set (https://no-color.org: to any
// value but the empty string) or TERM is dumb.
func useColor(mode string, w io.Writer, getenv func(string) string) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(w)
}

func checkColor(mode string) error {
	for _, m := range colorModes {
		if mode == m {
			return nil
		}
	}
	return usageError{fmt.Errorf("--color %q: want auto, always or never", mode)}
}

// parseTop reads --top: a number of rows of at least 1, or all.
func parseTop(s string) (int, error) {
	if s == "all" {
		return report.All, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, usageError{fmt.Errorf("--top %q: want a number of rows such as 10, or all", s)}
	}
	return n, nil
}

// completeValues completes a flag from a fixed list, never with file names.
func completeValues(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// addReportFlags declares --format, --color and --top and their completion.
func addReportFlags(cmd *cobra.Command, o *analyzeOptions) {
	f := cmd.Flags()
	f.StringVar(&o.format, "format", o.format, "report format: "+strings.Join(report.Formats(), ", ")+
		" (default: from the output file's extension .txt, .md, .json, .html, else text)")
	f.StringVar(&o.color, "color", o.color, "colour in the text report: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always or never")
	f.StringVar(&o.top, "top", o.top, "rows shown per section in text, markdown and html: a number, or all (json is always complete)")
	cmd.RegisterFlagCompletionFunc("format", completeValues(report.Formats()...))
	cmd.RegisterFlagCompletionFunc("color", completeValues(colorModes...))
	cmd.RegisterFlagCompletionFunc("top", completeValues("10", "20", "50", "all"))
}

// workDir is the folder paths in reports are shown relative to.
func workDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	return wd
}

// lastByte remembers whether the last byte written through it ended a
// line, so that a report written after a command's output starts on a
// fresh line.
type lastByte struct {
	w    io.Writer
	last byte
}

func (l *lastByte) Write(p []byte) (int, error) {
	if len(p) > 0 {
		l.last = p[len(p)-1]
	}
	return l.w.Write(p)
}

// midLine reports whether something was written and its last line is not
// finished.
func (l *lastByte) midLine() bool { return l.last != 0 && l.last != '\n' }
