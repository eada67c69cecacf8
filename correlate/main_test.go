package correlate

import (
	"fmt"
	"os"
	"reflect"
	"testing"
)

// TestMain checks, after every test of the package, that noRare, the
// shared testRare of the tests that have none, was never written: a write
// not through testMem.own would give every such test its figures.
func TestMain(m *testing.M) {
	code := m.Run()
	if !reflect.DeepEqual(noRare, testRare{}) {
		fmt.Fprintf(os.Stderr, "noRare was written: %+v\n", noRare)
		code = 1
	}
	os.Exit(code)
}
