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

func TestMemoryCgroup(t *testing.T) {
	mounts, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	v2only := []Mount{mounts[1]}
	for _, tt := range []struct {
		name        string
		cgroup      string
		mounts      []Mount
		want        Cgroup
		v1Unmounted string
		ok          bool
	}{
		{"v1 memory", "5:memory:/process_api/abc\n0::/\n", mounts, Cgroup{1, "/sys/fs/cgroup/memory/process_api/abc", "/process_api/abc"}, "", true},
		{"v1 among controllers", "4:cpu,memory:/job\n", mounts, Cgroup{1, "/sys/fs/cgroup/memory/job", "/job"}, "", true},
		{"v2 only", "0::/ci/job\n", v2only, Cgroup{2, "/sys/fs/cgroup/unified/ci/job", "/ci/job"}, "", true},
		{"v1 named, not mounted, v2 there", "5:memory:/x\n0::/y\n", v2only, Cgroup{2, "/sys/fs/cgroup/unified/y", "/y"}, "/x", true},
		{"nothing", "1:name=systemd:/\n", nil, Cgroup{}, "", false},
	} {
		cg, v1, ok := MemoryCgroup([]byte(tt.cgroup), tt.mounts)
		if cg != tt.want || v1 != tt.v1Unmounted || ok != tt.ok {
			t.Errorf("%s: %+v %q %v, want %+v %q %v", tt.name, cg, v1, ok, tt.want, tt.v1Unmounted, tt.ok)
		}
	}
}
