// Command benchgen writes a large synthetic kernel log for
// scripts/bench-kernel.sh: kern.log-style noise lines (the kinds of
// messages a busy host logs) with complete real OOM records from
// testdata/corpus/kernel planted at random places, each re-rendered with
// a randomly chosen prefix style. It prints the number of events Parse
// must find (each planted record is parsed alone to count them).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/oomlens/oomlens/dmesg"
)

// samples holding complete records, and how their lines are prefixed.
var samples = map[string]string{
	"01-cadvisor-memcg-v1-3.13-syslog-nohost.log":                          "syslog",
	"02-cadvisor-global-3.13-syslog.log":                                   "syslog",
	"03-oomanalyser-archlinux-6.1.1-global.log":                            "raw",
	"04-oomanalyser-proxmox-memcg-v2.log":                                  "dmesgT",
	"05-oomanalyser-rhel7-3.10-global.log":                                 "raw",
	"06-oomanalyser-ubuntu2110-5.13-global.log":                            "raw",
	"07-parseoom-debian11-5.10-syslog-interleaved.log":                     "syslog",
	"09-raw-console-6.12-arm64-rss_anon-global.log":                        "raw",
	"14-rhel8-4.18-memcg-v1-k8s-no-tasklist-two-events.log":                "uptime",
	"15-rhel6-2.6.32-global-syslog-oom_adj-cpu-column-UID-killed-line.log": "syslog",
}

var (
	syslogRe = regexp.MustCompile(`^[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d (?:\S+ )?kernel: (?:\[ *\d+\.\d+\] )?`)
	uptimeRe = regexp.MustCompile(`^\[ *\d+\.\d+\] `)
	dmesgTRe = regexp.MustCompile(`^\[[^\]]*\d{4}\] `)
)

var noise = []string{
	"[UFW BLOCK] IN=eth0 OUT= MAC=f2:3c:91:e2:47:cc:00:1b:54:c2:50:c1:08:00 SRC=%d.%d.165.204 DST=72.14.187.238 LEN=40 TOS=0x00 PREC=0x00 TTL=243 ID=%d PROTO=TCP SPT=%d DPT=52734 WINDOW=1024 RES=0x00 SYN URGP=0",
	"usb 1-%d: new high-speed USB device number %d using xhci_hcd",
	"EXT4-fs (nvme0n1p%d): mounted filesystem with ordered data mode. Quota mode: none. %d",
	"audit: type=1400 audit(1700000000.%d:%d): apparmor=\"DENIED\" operation=\"open\" profile=\"snap.firefox\" name=\"/proc/pressure/memory\" requested_mask=\"r\" denied_mask=\"r\" fsuid=1000 ouid=0",
	"e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx %d %d",
	"docker0: port %d(veth%x) entered forwarding state",
	"br-5a0d0c6e6b1e: port %d(veth%x) entered disabled state",
	"device veth%x left promiscuous mode %d",
	"nvme nvme0: I/O %d QID %d timeout, completion polled",
	"perf: interrupt took too long (%d > 2500), lowering kernel.perf_event_max_sample_rate to %d",
	"TCP: request_sock_TCP: Possible SYN flooding on port %d. Sending cookies.  Check SNMP counters. %d",
	"kauditd_printk_skb: %d callbacks suppressed %d",
	"systemd-journald[%d]: Data hash table of /var/log/journal/abc/system.journal has a fill level at 75.0 (%d of 174762 items), suggesting rotation.",
	"IPv6: ADDRCONF(NETDEV_CHANGE): veth%x: link becomes ready %d",
	"cgroup: fork rejected by pids controller in /system.slice/docker-%x.scope %d",
	"x86/split lock detection: #AC: java/%d took a split_lock trap at address: 0x%x",
	"mce: [Hardware Error]: Machine check events logged %d %d",
	"ata%d.00: configured for UDMA/133 %d",
	"loop%d: detected capacity change from 0 to %d",
	"overlayfs: upper fs does not support RENAME_WHITEOUT. %d %d",
}

func main() {
	out := flag.String("o", "bench-out/kernel-1g.log", "output file")
	size := flag.Int64("size", 1<<30, "bytes to write")
	records := flag.Int("records", 300, "records to plant")
	corpus := flag.String("corpus", "testdata/corpus/kernel", "corpus directory")
	seed := flag.Int64("seed", 1, "random seed")
	flag.Parse()

	r := rand.New(rand.NewSource(*seed))
	var recs [][]string
	for name, style := range samples {
		b, err := os.ReadFile(filepath.Join(*corpus, name))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var msgs []string
		for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			switch style {
			case "syslog":
				loc := syslogRe.FindStringIndex(l)
				if loc == nil {
					continue // CRON and other daemons
				}
				l = l[loc[1]:]
			case "uptime":
				l = uptimeRe.ReplaceAllString(l, "")
			case "dmesgT":
				if loc := dmesgTRe.FindStringIndex(l); loc != nil {
					l = l[loc[1]:]
				} else {
					l = "\x00" + l // continuation line: keep as printed
				}
			}
			msgs = append(msgs, l)
		}
		recs = append(recs, msgs)
	}

	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	start := time.Date(2026, 7, 11, 5, 0, 0, 0, time.UTC)
	up := 1000.0
	var written int64
	plantEvery := *size / int64(*records+1)
	nextPlant := plantEvery
	planted, want := 0, 0
	line := func(s string) {
		n, _ := w.WriteString(s)
		w.WriteByte('\n')
		written += int64(n + 1)
	}
	for written < *size {
		if written >= nextPlant && planted < *records {
			rec := recs[r.Intn(len(recs))]
			style := r.Intn(6)
			var buf bytes.Buffer
			for _, m := range rec {
				s := render(style, m, start, up)
				buf.WriteString(s)
				buf.WriteByte('\n')
				line(s)
				up += 0.0001
			}
			lg, err := dmesg.Parse(bytes.NewReader(buf.Bytes()), dmesg.Options{})
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			want += len(lg.Events)
			planted++
			nextPlant += plantEvery
			continue
		}
		up += r.Float64() * 0.01
		n := noise[r.Intn(len(noise))]
		line(render(1, fmt.Sprintf(n, r.Intn(100000), r.Intn(1000000)), start, up))
	}
	w.Flush()
	f.Close()
	fmt.Println(want)
}

// render puts a message under one of the prefix styles: 0 bare uptime,
// 1 syslog with host and uptime, 2 dmesg -T, 3 dmesg --time-format iso,
// 4 /dev/kmsg, 5 journalctl short-precise.
func render(style int, msg string, start time.Time, up float64) string {
	if strings.HasPrefix(msg, "\x00") {
		return msg[1:]
	}
	t := start.Add(time.Duration(up * float64(time.Second)))
	switch style {
	case 0:
		return fmt.Sprintf("[%12.6f] %s", up, msg)
	case 1:
		return fmt.Sprintf("%s host01 kernel: [%12.6f] %s", t.Format("Jan _2 15:04:05"), up, msg)
	case 2:
		return fmt.Sprintf("[%s] %s", t.Format("Mon Jan _2 15:04:05 2006"), msg)
	case 3:
		return fmt.Sprintf("%s,%06d+00:00 %s", t.Format("2006-01-02T15:04:05"), t.Nanosecond()/1000, msg)
	case 4:
		return fmt.Sprintf("6,%d,%d,-;%s", int64(up*1000), int64(up*1e6), msg)
	default:
		return fmt.Sprintf("%s host01 kernel: %s", t.Format("Jan _2 15:04:05.000000"), msg)
	}
}
