package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parse(t *testing.T, name string) *Doc {
	t.Helper()
	path := filepath.Join("../testdata/kube", name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !Sniff(b) {
		t.Errorf("%s: not sniffed", name)
	}
	d, err := Parse(strings.NewReader(string(b)), path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPodJSON(t *testing.T) {
	d := parse(t, "pod-oomkilled.json")
	if d.Pods != 1 || len(d.Containers) != 1 {
		t.Fatalf("%+v", d)
	}
	c := d.Containers[0]
	if c.Name != "build" || !c.OOMKilled() || c.Last || c.ExitCode != 137 || !c.HasLimit || c.LimitBytes != 600<<20 ||
		c.Finished.Format("15:04:05") != "09:47:31" || c.Pod != "runner-t3ltvvny-project-4711-concurrent-0-8x2kq" {
		t.Errorf("%+v", c)
	}
}

func TestPodYAMLAndDescribe(t *testing.T) {
	for _, name := range []string{"pod-oomkilled.yaml", "describe-oomkilled.txt"} {
		d := parse(t, name)
		if len(d.Containers) != 1 {
			t.Fatalf("%s: %+v", name, d)
		}
		c := d.Containers[0]
		if c.Name != "tests" || !c.OOMKilled() || !c.Last || c.ExitCode != 137 || c.LimitBytes != 1<<30 || c.Namespace != "ci" ||
			c.Finished.UTC().Format("15:04:05") != "10:05:47" {
			t.Errorf("%s: %+v", name, c)
		}
	}
	d := parse(t, "describe-oomkilled.txt")
	if len(d.Events) != 1 || d.Events[0].Reason != "CgroupOOM" || d.Events[0].PID != 470521 || d.Events[0].Comm != "python" ||
		d.Events[0].Message != "Cgroup OOM encountered, victim process: python, pid: 470521" {
		t.Errorf("events: %+v", d.Events)
	}
}

func TestEvents(t *testing.T) {
	d := parse(t, "events-oomkilling.json")
	if len(d.Events) != 1 {
		t.Fatalf("%+v", d.Events)
	}
	e := d.Events[0]
	if e.Reason != "OOMKilling" || e.PID != 48213 || e.Comm != "python" || e.Object != "Node/gke-ci-pool-2-5d1c7e0b-q9vl" || !e.HasTime {
		t.Errorf("%+v", e)
	}
}

func TestSniffAndErrors(t *testing.T) {
	for _, no := range []string{"{\"event\": \"test_end\"}", "kind: Deployment\n", "Name: x\n", "============================= test session starts"} {
		if Sniff([]byte(no)) {
			t.Errorf("sniffed %q", no)
		}
	}
	if _, err := Parse(strings.NewReader("{\"kind\": \"Pod\", \"metadata\": "), "x.json"); err == nil || !strings.HasPrefix(err.Error(), "x.json: ") {
		t.Errorf("cut JSON: %v", err)
	}
	for q, want := range map[string]int64{"600Mi": 600 << 20, "1G": 1e9, "128974848": 128974848, "129e6": 129e6, "1.5Gi": 3 << 29} {
		if v, err := ParseQuantity(q); err != nil || v != want {
			t.Errorf("%s: %d %v", q, v, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	ents, _ := os.ReadDir("../testdata/kube")
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join("../testdata/kube", e.Name()))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		Sniff(b)
		Parse(strings.NewReader(string(b)), "fuzz")
	})
}
