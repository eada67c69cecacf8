package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGolden renders every fixture in every format and compares the output
// byte for byte with report/testdata/<fixture>.<format>; -update rewrites
// the golden files.
func TestGolden(t *testing.T) {
	for _, fx := range fixtures() {
		for _, format := range Formats() {
			t.Run(fx.name+"."+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Render(&buf, fx.report, format, Options{}); err != nil {
					t.Fatalf("Render: %v", err)
				}
				path := filepath.Join("testdata", fx.name+"."+format)
				if *update {
					if err := os.MkdirAll("testdata", 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./report -update to create it)", err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s differs from the rendering:\n%s", path, firstDiff(want, buf.Bytes()))
				}
			})
		}
	}
}

// firstDiff shows the first line where got departs from want.
func firstDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		if i >= len(wl) || i >= len(gl) || wl[i] != gl[i] {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, w, g)
		}
	}
	return "(no line differs)"
}
