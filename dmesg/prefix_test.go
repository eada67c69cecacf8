package dmesg

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// style renders one kernel message with a clock value c (seconds; kernel
// uptime where the sample has one).
type style struct {
	name   string
	render func(msg string, c float64, seq int) string
}

var base = time.Date(2026, 3, 5, 1, 2, 3, 0, time.UTC)

func at(c float64) time.Time { return base.Add(time.Duration(c * float64(time.Second))) }

// dmesgT renders a `dmesg -T` stamp with locale month and weekday names.
func dmesgT(wd []string, mon []string, dayFirst bool) func(string, float64, int) string {
	return func(msg string, c float64, _ int) string {
		t := at(c)
		d := fmt.Sprintf("%s %2d", mon[t.Month()-1], t.Day())
		if dayFirst {
			d = fmt.Sprintf("%d %s", t.Day(), mon[t.Month()-1])
		}
		return fmt.Sprintf("[%s %s %s %d] %s", wd[t.Weekday()], d, t.Format("15:04:05"), t.Year(), msg)
	}
}

func numMonths(suffix string) []string {
	var m []string
	for i := 1; i <= 12; i++ {
		m = append(m, fmt.Sprintf("%d%s", i, suffix))
	}
	return m
}

var styles = []style{
	{"bare uptime", func(m string, c float64, _ int) string { return fmt.Sprintf("[%12.6f] %s", c, m) }},
	{"caller id", func(m string, c float64, _ int) string { return fmt.Sprintf("[%12.6f][ T1234] %s", c, m) }},
	{"dmesg -r", func(m string, c float64, _ int) string { return fmt.Sprintf("<4>[%12.6f] %s", c, m) }},
	{"dmesg -x", func(m string, c float64, _ int) string { return fmt.Sprintf("kern  :warn  : [%12.6f] %s", c, m) }},
	{"syslog host uptime", func(m string, c float64, _ int) string {
		return fmt.Sprintf("%s host kernel: [%12.6f] %s", at(c).Format("Jan _2 15:04:05"), c, m)
	}},
	{"syslog no host", func(m string, c float64, _ int) string { return at(c).Format("Jan _2 15:04:05") + " kernel: " + m }},
	{"journal short", func(m string, c float64, _ int) string {
		return at(c).Format("Jan _2 15:04:05") + " node03 kernel: " + m
	}},
	{"journal short-iso", func(m string, c float64, _ int) string {
		return at(c).In(time.FixedZone("", 3600)).Format("2006-01-02T15:04:05-0700") + " host kernel: " + m
	}},
	{"journal short-iso-precise", func(m string, c float64, _ int) string {
		return at(c).In(time.FixedZone("", -7*3600)).Format("2006-01-02T15:04:05.000000-07:00") + " host kernel: " + m
	}},
	{"journal short-precise", func(m string, c float64, _ int) string {
		return at(c).Format("Jan _2 15:04:05.000000") + " host kernel: " + m
	}},
	{"journal short-monotonic", func(m string, c float64, _ int) string { return fmt.Sprintf("[%12.6f] host kernel: %s", c, m) }},
	{"journal short-unix", func(m string, c float64, _ int) string {
		t := at(c)
		return fmt.Sprintf("%d.%06d host kernel: %s", t.Unix(), t.Nanosecond()/1000, m)
	}},
	{"journal json", func(m string, c float64, _ int) string {
		b, _ := json.Marshal(map[string]string{
			"__REALTIME_TIMESTAMP":        fmt.Sprint(at(c).UnixMicro()),
			"_SOURCE_MONOTONIC_TIMESTAMP": fmt.Sprint(int64(c * 1e6)),
			"_TRANSPORT":                  "kernel",
			"SYSLOG_IDENTIFIER":           "kernel",
			"MESSAGE":                     m,
		})
		return string(b)
	}},
	{"dmesg -T en", dmesgT(strings.Fields("Sun Mon Tue Wed Thu Fri Sat"), strings.Fields("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"), false)},
	{"dmesg -T de", dmesgT(strings.Fields("So Mo Di Mi Do Fr Sa"), strings.Fields("Jan Feb Mär Apr Mai Jun Jul Aug Sep Okt Nov Dez"), false)},
	{"dmesg -T fr", dmesgT(strings.Fields("dim. lun. mar. mer. jeu. ven. sam."), strings.Fields("janv. févr. mars avril mai juin juil. août sept. oct. nov. déc."), true)},
	{"dmesg -T es", dmesgT(strings.Fields("dom lun mar mié jue vie sáb"), strings.Fields("ene feb mar abr may jun jul ago sep oct nov dic"), false)},
	{"dmesg -T it", dmesgT(strings.Fields("dom lun mar mer gio ven sab"), strings.Fields("gen feb mar apr mag giu lug ago set ott nov dic"), false)},
	{"dmesg -T pt", dmesgT(strings.Fields("dom seg ter qua qui sex sáb"), strings.Fields("jan fev mar abr mai jun jul ago set out nov dez"), false)},
	{"dmesg -T nl", dmesgT(strings.Fields("zo ma di wo do vr za"), strings.Fields("jan feb mrt apr mei jun jul aug sep okt nov dec"), false)},
	{"dmesg -T ru", dmesgT(strings.Fields("Вс Пн Вт Ср Чт Пт Сб"), strings.Fields("янв фев мар апр мая июн июл авг сен окт ноя дек"), false)},
	{"dmesg -T pl", dmesgT(strings.Fields("nie pon wto śro czw pią sob"), strings.Fields("sty lut mar kwi maj cze lip sie wrz paź lis gru"), false)},
	{"dmesg -T sv", dmesgT(strings.Fields("sön mån tis ons tor fre lör"), strings.Fields("jan feb mar apr maj jun jul aug sep okt nov dec"), false)},
	{"dmesg -T cs", dmesgT(strings.Fields("ne po út st čt pá so"), strings.Fields("led úno bře dub kvě čvn čvc srp zář říj lis pro"), false)},
	{"dmesg -T zh", dmesgT(strings.Fields("日 一 二 三 四 五 六"), numMonths("月"), false)},
	{"dmesg -T ja", dmesgT(strings.Fields("日 月 火 水 木 金 土"), numMonths("月"), false)},
	{"dmesg -T ko", dmesgT(strings.Fields("일 월 화 수 목 금 토"), numMonths("월"), false)},
	{"dmesg -T unknown month", dmesgT(strings.Fields("a b c d e f g"), strings.Fields("m1 m2 m3 m4 m5 m6 m7 m8 m9 m10 m11 m12"), false)},
	{"dmesg iso", func(m string, c float64, _ int) string {
		t := at(c)
		return fmt.Sprintf("%s,%06d+00:00 %s", t.Format("2006-01-02T15:04:05"), t.Nanosecond()/1000, m)
	}},
	{"dmesg -x iso", func(m string, c float64, _ int) string {
		t := at(c)
		return fmt.Sprintf("kern  :err   : %s,%06d+00:00 %s", t.Format("2006-01-02T15:04:05"), t.Nanosecond()/1000, m)
	}},
	{"rsyslog RFC3339", func(m string, c float64, _ int) string {
		return at(c).Format("2006-01-02T15:04:05.000000-07:00") + " host kernel: " + m
	}},
	{"kmsg", func(m string, c float64, seq int) string {
		return fmt.Sprintf("6,%d,%d,-;%s", 1000+seq, int64(c*1e6), m)
	}},
}

// rerender puts every kernel message of a sample under style s. Lines of
// other programs stay as printed; lines without a stamp in a stamped
// sample (continuations, hard wraps) stay raw.
func rerender(data []byte, s style) []byte {
	c := clockOf(Options{})
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	pres := make([]prefixed, len(lines))
	anyStamp := false
	var first time.Time
	for i, l := range lines {
		pres[i] = stripPrefix(l, c)
		if pres[i].stamped && (pres[i].tag == "" || pres[i].tag == "kernel") {
			anyStamp = true
		}
		if pres[i].st.hasTime && first.IsZero() {
			first = pres[i].st.t
		}
	}
	var b bytes.Buffer
	for i, l := range lines {
		pre := pres[i]
		switch {
		case pre.tag != "" && pre.tag != "kernel":
		case anyStamp && !pre.stamped:
		default:
			c := 1 + float64(i)*1e-6
			switch {
			case pre.st.hasUptime:
				c = pre.st.uptimeS
			case pre.st.hasTime:
				c = 1 + pre.st.t.Sub(first).Seconds()
			}
			l = s.render(strings.Join(pre.messages(), "#012"), c, i)
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// timeless clears what depends on the stamp style.
func timeless(evs []Event) []Event {
	out := make([]Event, len(evs))
	for i, ev := range evs {
		ev.Time, ev.HasTime, ev.TimeBasis, ev.UptimeS, ev.HasUptime, ev.Boot, ev.Host = time.Time{}, false, "", 0, false, 0, ""
		if ev.Reaped != nil {
			r := *ev.Reaped
			r.UptimeS, r.HasUptime = 0, false
			ev.Reaped = &r
		}
		out[i] = ev
	}
	return out
}

// hosts counts the hosts the events of lg name.
func hosts(lg *Log) int {
	seen := map[string]bool{}
	for _, ev := range lg.Events {
		seen[ev.Host] = true
	}
	return len(seen)
}

// TestEveryPrefixStyle re-renders every real record under every prefix
// style and expects the same events back (times aside).
func TestEveryPrefixStyle(t *testing.T) {
	for name, data := range corpus(t) {
		orig, err := Parse(bytes.NewReader(data), Options{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		want := timeless(orig.Events)
		if hosts(orig) > 1 {
			// Each host's records are assembled apart; the styles name
			// one host or none, so they agree with the sample read as one.
			one, err := Parse(bytes.NewReader(rerender(data, styles[0])), Options{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			want = timeless(one.Events)
		}
		for _, s := range styles {
			out := rerender(data, s)
			lg, err := Parse(bytes.NewReader(out), Options{Name: name, Year: 2026})
			if err != nil {
				t.Fatalf("%s / %s: %v", name, s.name, err)
			}
			got := timeless(lg.Events)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s / %s: events differ (%d vs %d)\n%s", name, s.name, len(got), len(want), firstDiff(got, want))
				continue
			}
			if s.name != "dmesg -T unknown month" && strings.HasPrefix(s.name, "dmesg -T") && len(lg.Events) > 0 && lg.Events[0].Kind == KindKernelOOMKill && lg.Events[0].TimeBasis != BasisDmesgTAssumedUTC {
				t.Errorf("%s / %s: basis %q", name, s.name, lg.Events[0].TimeBasis)
			}
			sameLog(t, name+" / "+s.name, out, Options{Name: name}, limits{blockBytes: 300, maxLineBytes: 300})
		}
	}
}

func firstDiff(a, b []Event) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if !reflect.DeepEqual(a[i], b[i]) {
			var sb strings.Builder
			va, vb := reflect.ValueOf(a[i]), reflect.ValueOf(b[i])
			for f := 0; f < va.NumField(); f++ {
				if !reflect.DeepEqual(va.Field(f).Interface(), vb.Field(f).Interface()) {
					fmt.Fprintf(&sb, "event %d %s:\n got  %+v\n want %+v\n", i, va.Type().Field(f).Name, va.Field(f).Interface(), vb.Field(f).Interface())
				}
			}
			return sb.String()
		}
	}
	return ""
}

func TestTimeBases(t *testing.T) {
	msg := "Out of memory: Killed process 996 (python) total-vm:2991716kB, anon-rss:122228kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:1156kB oom_score_adj:0"
	berlin := time.FixedZone("CET", 3600)
	cases := []struct {
		line  string
		opts  Options
		basis string
		time  time.Time
		up    float64
	}{
		{"[ 5864.708440] " + msg, Options{}, BasisUptime, time.Time{}, 5864.70844},
		{"6,30574067,3816544225424,-;" + msg, Options{}, BasisKmsgUptime, time.Time{}, 3816544.225424},
		{"Jan  5 15:19:27 host kernel: [ 5864.708440] " + msg, Options{Year: 2024, Location: berlin}, BasisSyslog, time.Date(2024, 1, 5, 15, 19, 27, 0, berlin), 5864.70844},
		{"Jan  5 15:19:27 host kernel: " + msg, Options{Year: 2024}, BasisSyslogAssumedUTC, time.Date(2024, 1, 5, 15, 19, 27, 0, time.UTC), 0},
		{"Jan  5 15:19:27 host kernel: " + msg, Options{}, BasisSyslogNoYear, time.Date(0, 1, 5, 15, 19, 27, 0, time.UTC), 0},
		{"[Wed Dec  6 23:54:11 2017] " + msg, Options{Location: berlin}, BasisDmesgT, time.Date(2017, 12, 6, 23, 54, 11, 0, berlin), 0},
		{"2025-01-21T08:41:30,287197+01:00 " + msg, Options{}, BasisISOWithZone, time.Date(2025, 1, 21, 7, 41, 30, 287197000, time.UTC), 0},
		{"2025-01-21T08:41:30 host kernel: " + msg, Options{}, BasisISOAssumedUTC, time.Date(2025, 1, 21, 8, 41, 30, 0, time.UTC), 0},
		{"2025-01-21T08:41:30 host kernel: " + msg, Options{Location: berlin}, BasisISO, time.Date(2025, 1, 21, 8, 41, 30, 0, berlin), 0},
		{"1700991685.123456 host kernel: " + msg, Options{}, BasisUnix, time.Unix(1700991685, 123456000), 0},
		{`{"__REALTIME_TIMESTAMP":"1700991685123456","_SOURCE_MONOTONIC_TIMESTAMP":"5864708440","_TRANSPORT":"kernel","MESSAGE":"` + msg + `"}`, Options{}, BasisJournalJSON, time.UnixMicro(1700991685123456), 5864.70844},
		{"Xyz  5 15:19:27 host kernel: " + msg, Options{}, BasisTimeOfDayOnly, time.Date(0, 1, 1, 15, 19, 27, 0, time.UTC), 0},
		{msg, Options{}, BasisNone, time.Time{}, 0},
	}
	for _, c := range cases {
		lg, err := Parse(strings.NewReader(c.line+"\n"), c.opts)
		if err != nil || len(lg.Events) != 1 {
			t.Fatalf("%q: %v %+v", c.line, err, lg)
		}
		ev := lg.Events[0]
		if ev.TimeBasis != c.basis || !ev.Time.Equal(c.time) || ev.HasTime != !c.time.IsZero() || ev.UptimeS != c.up || ev.HasUptime != (c.up != 0) {
			t.Errorf("%q:\n got  %s %v %v up %v %v\n want %s %v up %v", c.line, ev.TimeBasis, ev.Time, ev.HasTime, ev.UptimeS, ev.HasUptime, c.basis, c.time, c.up)
		}
		if ev.PID != 996 || ev.Comm != "python" || ev.PgtablesBytes != 1156*kB {
			t.Errorf("%q: %+v", c.line, ev)
		}
		if c.basis == BasisTimeOfDayOnly && (len(lg.Warnings) != 1 || !strings.Contains(lg.Warnings[0].Message, "not recognised")) {
			t.Errorf("no warning for an unknown month: %v", lg.Warnings)
		}
	}
}
