// Command genjobs writes a tree of synthetic failed jobs for the batch
// benchmark (scripts/bench-batch.sh), each as jobgen.Job makes it: a verbose
// pytest log cut by a kill, a kernel log with noise and one memcg OOM record
// whose pid is the pytest process, and an oomlens diagnostics file in which
// two tests drawn from a small pool leak. About half the jobs are zipped.
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand"
	"os"

	"github.com/oomlens/oomlens/internal/jobgen"
)

func main() {
	n := flag.Int("n", 10000, "number of jobs")
	tests := flag.Int("tests", 500, "tests per job")
	out := flag.String("out", "bench-out/jobs", "output folder")
	zipEvery := flag.Int("zip-every", 2, "zip one job in this many")
	seed := flag.Int64("seed", 1, "random seed")
	unzipped := flag.String("unzipped", "", "also write every job, zipped or not, as a folder under this folder: the same jobs for the tools that cannot read a zip (grep, ripgrep)")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewSource(*seed))
	var total int64
	for i := 0; i < *n; i++ {
		files := jobgen.Job(rng, *tests)
		err := jobgen.WriteJob(*out, i, *zipEvery > 0 && i%*zipEvery == 0, files)
		if err == nil && *unzipped != "" {
			err = jobgen.WriteJob(*unzipped, i, false, files)
		}
		if err != nil {
			log.Fatal(err)
		}
		for _, f := range files {
			total += int64(len(f.Data))
		}
	}
	fmt.Printf("%d jobs, %d bytes uncompressed, %d planted kills\n", *n, total, *n)
}
