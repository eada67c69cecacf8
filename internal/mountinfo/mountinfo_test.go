package mountinfo

import (
	"strings"
	"testing"
)

// Lines of this machine's kind (cgroup v1 memory, cgroup2) and a container's,
// with an escaped space in a mount point.
const sample = `30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
31 25 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:13 - cgroup2 cgroup2 rw,nsdelegate
40 25 0:26 /docker/x /sys/fs/cgroup/mem\040ory rw master:1 - cgroup cgroup rw,memory
short line
`

func TestParse(t *testing.T) {
	ms, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 {
		t.Fatalf("%d mounts, want 3: %+v", len(ms), ms)
	}
	if m := ms[0]; m.FSType != "cgroup" || !m.HasOpt("memory") || !m.HasOpt("nosuid") || m.Point != "/sys/fs/cgroup/memory" {
		t.Errorf("v1 memory mount %+v", m)
	}
	if m := ms[1]; m.FSType != "cgroup2" || m.HasOpt("memory") {
		t.Errorf("cgroup2 mount %+v", m)
	}
	if m := ms[2]; m.Root != "/docker/x" || m.Point != "/sys/fs/cgroup/mem ory" {
		t.Errorf("escaped mount %+v", m)
	}
}

func TestJoin(t *testing.T) {
	for _, tt := range []struct {
		m        Mount
		cg, want string
	}{
		{Mount{Root: "/", Point: "/sys/fs/cgroup/memory"}, "/process_api/abc", "/sys/fs/cgroup/memory/process_api/abc"},
		{Mount{Root: "/docker/x", Point: "/sys/fs/cgroup/memory"}, "/docker/x", "/sys/fs/cgroup/memory"},
		{Mount{Root: "/docker/x", Point: "/sys/fs/cgroup"}, "/docker/x/sub", "/sys/fs/cgroup/sub"},
	} {
		if got := tt.m.Join(tt.cg); got != tt.want {
			t.Errorf("%+v.Join(%q) = %q, want %q", tt.m, tt.cg, got, tt.want)
		}
	}
}
