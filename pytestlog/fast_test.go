package pytestlog

import (
	"reflect"
	"strings"
	"testing"
)

// fastReaderCases are shapes around each reader's edges.
var fastReaderCases = []string{
	"=== test session starts ===", "=== test session starts ===\r", "= test session starts =", "=== test session starts", " === test session starts ===",
	"=== test session starts === x", "==== test session starts ====\f\t ", "=== test session starts =====\v", "===test session starts ===",
	"cachedir: .pytest_cache", "cachedir: ", "cachedir:  \r", "cachedir: a b \t", "cachedir: \f", "cachedir: x\ny", "cachedir: \xff\xfe",
	"plugins: xdist-3.1.0, timeout-2.1.0", "plugins: \n", "rootdir: /builds/project", "rootdir: /a, configfile: b.ini", "rootdir: ",
	"rootdir: /a b\r", "rootdir: /a\nb", "rootdir: /a, testpaths: t", "collecting ... collected 5 items", "collecting ...", "collecting ..",
	"collecting ... ", "collecting 5 items", "collected 500 items", "collected 1 item", "collected 1 item\r", "collected 1 items s",
	"collected 2 items / 1 error", "collected items", "collected 3 itemss", "collected 3 item x", "collected 03 items  \t",
	"tests/a.py::t Killed", "Killed", " Killed", "xKilled", "aKilled", "]Killed \r", "\xffKilled", "Killed\n", "KilledKilled", "Killed x",
	".Killed", "sKilled", "ZKilled  ", "\tKilled", "é Killed", "éKilled",
	"platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0 -- /usr/bin/python3",
	"platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0", "platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0\r",
	"platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0 \r", "platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0 -- ",
	"platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0 -- a\nb", "platform darwin -- Python 3.6.9, pytest-6.2.5, py-1.11.0, pluggy-1.0.0",
	"platform linux -- Python 3.9.16[pypy-7.3.11-final], pytest-7.2.1, pluggy-1.0.0", "platform linux -- Python 3.11, pytest-7,2, pluggy-1",
	"platform a,b -- Python 3, pytest-7, pluggy-1", "platform a\tb -- Python 3, pytest-7, pluggy-1", "platform  -- Python 3, pytest-7, pluggy-1",
	"platform linux -- Python 3, pytest-7, py-1, pluggy-1 -- x -- y", "platform linux -- Python 3, pytest-7, pluggy-, pluggy-1",
	"platform linux -- Python 3, pytest-7, py-, pluggy-1", "platform linux -- Python 3, pytest-7,  pluggy-1", "platform x -- Python 3 , pytest-7, pluggy-1",
	"##[error]Process completed with exit code 137.", "Error: Process completed with exit code -9", "Process completed with exit code 1",
	"##[error]Error: Process completed with exit code 2.", "##[error]##[error]Process completed with exit code 3", "Process completed with exit code -",
	"Process completed with exit code -x", "Process completed with exit code 1. Process completed with exit code 2", "xError: Process completed with exit code 0..",
	"##[error]Script failed with exit code: 137", "##[error]x exit code '137' y", "##[error]exit code:137", "##[error]exit code:  1", "##[error]exit code 1\n",
	"exit code 1 ##[error]", "##[error] exit code '-' 1", "##[error]exit code ''1", "##[error]exit code 1 exit code 2", "##[error]a ##[error]exit code 1",
	"##[error]exit code -1'x", "##[error]exit code: '12'.",
}

// checkFastReaders holds every reader to its expression on s.
func checkFastReaders(t *testing.T, s string) {
	t.Helper()
	for _, l := range allRegexps {
		if l.fast == nil {
			continue
		}
		loc, ok := l.fast(s)
		if !ok {
			continue
		}
		if want := l.get().FindStringSubmatchIndex(s); !reflect.DeepEqual(loc, want) {
			t.Fatalf("the reader of %s on %q gives %v, the expression %v", l.src, s, loc, want)
		}
	}
}

func TestFastReaders(t *testing.T) {
	readers := 0
	for _, l := range allRegexps {
		if l.fast != nil {
			readers++
		}
	}
	if readers < 10 {
		t.Fatalf("%d fast readers", readers)
	}
	for _, s := range append(sampleLines(t), fastReaderCases...) {
		checkFastReaders(t, s)
		checkFastReaders(t, strings.TrimRight(s, " \t"))
		checkFastReaders(t, strings.TrimSpace(s))
	}
}

func FuzzFastReaders(f *testing.F) {
	for _, s := range fastReaderCases {
		f.Add(s)
	}
	f.Fuzz(checkFastReaders)
}
