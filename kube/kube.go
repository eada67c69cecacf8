// Package kube reads what Kubernetes says about a killed job's pod: the pod
// status (`kubectl get pod -o json` or `-o yaml`, one pod or a List), the
// pod as `kubectl describe pod` prints it, and events (`kubectl get events
// -o json|yaml`). Of these it keeps what says how a container ended — its
// terminated state (reason OOMKilled, exit code, finish time), its memory
// limit — and the events that report an OOM kill: node-problem-detector's
// OOMKilling (its message is the kernel's "Killed process" line),
// OOMKilled, and the kubelet's SystemOOM and CgroupOOM.
//
// Field names are the core/v1 API's (k8s.io/api/core/v1 types.go:
// ContainerStatus.state/lastState.terminated, Event.involvedObject).
package kube

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Doc is one kubectl output.
type Doc struct {
	// Containers are the terminated states found, current and last.
	Containers []Container
	// Events are the events that report an OOM kill.
	Events []Event
	// Pods is how many pods the input described.
	Pods     int
	Warnings []Warning
}

// Container is one container's terminated state.
type Container struct {
	Namespace, Pod, Name string
	// Last is set for lastState (the run before a restart), clear for
	// state.
	Last bool
	// Reason is the runtime's: OOMKilled, Error, Completed…
	Reason      string
	ExitCode    int
	HasExitCode bool
	Finished    time.Time
	HasFinished bool
	// LimitBytes is the container's memory limit (spec resources.limits).
	LimitBytes int64
	HasLimit   bool
	// Line is the line of a describe output, 0 for JSON and YAML.
	Line int
}

// OOMKilled reports the runtime's reason for an OOM kill.
func (c Container) OOMKilled() bool { return c.Reason == "OOMKilled" || c.Reason == "OOM Killed" }

// Event is one event that reports an OOM kill.
type Event struct {
	Reason, Message, Type string
	// Object is the involved object ("Pod/ns/name", "Node/name").
	Object string
	// PID and Comm are the killed process's, when the message carries
	// the kernel's "Killed process <pid> (<comm>)" or the kubelet's
	// "victim process: <comm>, pid: <pid>".
	PID     int
	Comm    string
	Time    time.Time
	HasTime bool
	Count   int
	Line    int
}

// Warning is something the input holds that could not be read.
type Warning struct {
	Line    int
	Message string
}

// oomEventReasons are the event reasons that report an OOM kill.
var oomEventReasons = map[string]bool{"OOMKilling": true, "OOMKilled": true, "SystemOOM": true, "CgroupOOM": true}

var (
	reJSONKind    = regexp.MustCompile(`"kind"\s*:\s*"(Pod|PodList|List|Event|EventList)"`)
	reYAMLKind    = regexp.MustCompile(`(?m)^kind:\s*(Pod|PodList|List|Event|EventList)\s*$`)
	reKernelKill  = regexp.MustCompile(`Killed process (\d+) \(([^)]*)\)`)
	reKubeletKill = regexp.MustCompile(`victim process: ([^,]+), pid: (\d+)`)
)

// Sniff reports whether head is kubectl output about pods or events: a
// JSON or YAML object of kind Pod, Event or a list of them (a List must
// show a pod's containerStatuses or an event's involvedObject), or
// `kubectl describe pod`.
//
// Every input of a job is offered to Sniff, so the regular expressions run
// only on a head that holds their literal: the YAML one, anchored at a line
// start, has no literal prefix for the regexp package to skip to, and ran
// over every 64 KiB head of every pytest and kernel log (a tenth of
// `oomlens batch`'s CPU in scripts/bench-batch.sh).
func Sniff(head []byte) bool {
	if bytes.Contains(head, []byte(`"kind"`)) {
		if m := reJSONKind.FindSubmatch(head); m != nil {
			return listOK(head, m[1])
		}
	}
	if bytes.Contains(head, []byte("kind:")) {
		if m := reYAMLKind.FindSubmatch(head); m != nil {
			return listOK(head, m[1])
		}
	}
	return sniffDescribe(head)
}

func listOK(head, kind []byte) bool {
	if string(kind) != "List" {
		return true
	}
	return bytes.Contains(head, []byte("containerStatuses")) || bytes.Contains(head, []byte("involvedObject")) ||
		bytes.Contains(head, []byte(`"kind": "Pod"`)) || bytes.Contains(head, []byte("kind: Pod"))
}

func sniffDescribe(head []byte) bool {
	b := bytes.TrimLeft(head, " \t\r\n")
	if !bytes.HasPrefix(b, []byte("Name:")) {
		return false
	}
	return bytes.Contains(b, []byte("\nNamespace:")) && (bytes.Contains(b, []byte("\nContainers:")) || bytes.Contains(b, []byte("\nStatus:")))
}

// MaxBytes bounds a JSON or YAML input: the decoder holds a document
// whole, and a pod with its events is a few KiB.
const MaxBytes = 64 << 20

type limitedReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		l.over = true
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

// Parse reads one kubectl output. name is the input's path, for errors.
func Parse(r io.Reader, name string) (*Doc, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	if sniffDescribe(head) {
		return parseDescribe(br, name)
	}
	d := &Doc{}
	lr := &limitedReader{r: br, n: MaxBytes}
	dec := yaml.NewDecoder(lr)
	n := 0
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if lr.over {
			return nil, fmt.Errorf("%s: larger than %d bytes: not read (give the job's pod and its events, not a cluster's)", name, MaxBytes)
		}
		if err != nil {
			if n > 0 {
				d.Warnings = append(d.Warnings, Warning{Message: fmt.Sprintf("document %d: %v", n+1, err)})
				break
			}
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		n++
		d.add(&o)
	}
	if d.Pods == 0 && len(d.Events) == 0 && len(d.Containers) == 0 {
		return d, fmt.Errorf("%s: no pod and no OOM event in it", name)
	}
	return d, nil
}

type object struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
	Spec struct {
		Containers     []containerSpec `yaml:"containers"`
		InitContainers []containerSpec `yaml:"initContainers"`
	} `yaml:"spec"`
	Status struct {
		ContainerStatuses     []containerStatus `yaml:"containerStatuses"`
		InitContainerStatuses []containerStatus `yaml:"initContainerStatuses"`
	} `yaml:"status"`
	Items []object `yaml:"items"`
	// Event fields.
	Reason         string `yaml:"reason"`
	Message        string `yaml:"message"`
	Type           string `yaml:"type"`
	Count          int    `yaml:"count"`
	InvolvedObject struct {
		Kind      string `yaml:"kind"`
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"involvedObject"`
	LastTimestamp  string `yaml:"lastTimestamp"`
	FirstTimestamp string `yaml:"firstTimestamp"`
	EventTime      string `yaml:"eventTime"`
}

type containerSpec struct {
	Name      string `yaml:"name"`
	Resources struct {
		Limits map[string]string `yaml:"limits"`
	} `yaml:"resources"`
}

type containerStatus struct {
	Name      string         `yaml:"name"`
	State     containerState `yaml:"state"`
	LastState containerState `yaml:"lastState"`
}

type containerState struct {
	Terminated *struct {
		ExitCode   *int   `yaml:"exitCode"`
		Reason     string `yaml:"reason"`
		FinishedAt string `yaml:"finishedAt"`
	} `yaml:"terminated"`
}

func (d *Doc) add(o *object) {
	switch o.Kind {
	case "List", "PodList", "EventList", "":
		for i := range o.Items {
			d.add(&o.Items[i])
		}
		if o.Kind != "" {
			return
		}
	}
	switch {
	case o.Kind == "Pod" || o.Kind == "" && len(o.Status.ContainerStatuses) > 0:
		d.Pods++
		limits := map[string]string{}
		for _, c := range append(o.Spec.Containers, o.Spec.InitContainers...) {
			if m, ok := c.Resources.Limits["memory"]; ok {
				limits[c.Name] = m
			}
		}
		for _, cs := range append(o.Status.ContainerStatuses, o.Status.InitContainerStatuses...) {
			for _, st := range []struct {
				s    containerState
				last bool
			}{{cs.State, false}, {cs.LastState, true}} {
				t := st.s.Terminated
				if t == nil {
					continue
				}
				c := Container{Namespace: o.Metadata.Namespace, Pod: o.Metadata.Name, Name: cs.Name, Last: st.last, Reason: t.Reason}
				if t.ExitCode != nil {
					c.ExitCode, c.HasExitCode = *t.ExitCode, true
				}
				if ft, err := time.Parse(time.RFC3339, t.FinishedAt); err == nil {
					c.Finished, c.HasFinished = ft, true
				}
				if q, ok := limits[cs.Name]; ok {
					if v, err := ParseQuantity(q); err == nil {
						c.LimitBytes, c.HasLimit = v, true
					} else {
						d.Warnings = append(d.Warnings, Warning{Message: fmt.Sprintf("container %s: memory limit: %v", cs.Name, err)})
					}
				}
				d.Containers = append(d.Containers, c)
			}
		}
	case o.Kind == "Event" || o.Kind == "" && o.InvolvedObject.Kind != "":
		if !oomEventReasons[o.Reason] {
			return
		}
		e := Event{Reason: o.Reason, Message: o.Message, Type: o.Type, Count: o.Count}
		e.Object = strings.Trim(o.InvolvedObject.Kind+"/"+strings.Trim(o.InvolvedObject.Namespace+"/"+o.InvolvedObject.Name, "/"), "/")
		for _, ts := range []string{o.LastTimestamp, o.EventTime, o.FirstTimestamp} {
			if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
				e.Time, e.HasTime = t, true
				break
			}
		}
		e.victim()
		d.Events = append(d.Events, e)
	}
}

func (e *Event) victim() {
	if m := reKernelKill.FindStringSubmatch(e.Message); m != nil {
		e.PID, _ = strconv.Atoi(m[1])
		e.Comm = m[2]
	} else if m := reKubeletKill.FindStringSubmatch(e.Message); m != nil {
		e.Comm = strings.TrimSpace(m[1])
		e.PID, _ = strconv.Atoi(m[2])
	}
}

// ParseQuantity reads a Kubernetes quantity of bytes ("600Mi", "1G",
// "128974848", "129e6"; k8s.io/apimachinery resource.Quantity).
func ParseQuantity(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := map[string]float64{
		"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60,
		"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "m": 1e-3,
	}
	for _, suf := range []string{"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E", "m"} {
		if num, ok := strings.CutSuffix(s, suf); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("not a quantity: %q", s)
			}
			return int64(v * mult[suf]), nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("not a quantity: %q", s)
	}
	return int64(v), nil
}

// parseDescribe reads `kubectl describe pod`: the Containers (and Init
// Containers) sections' State / Last State blocks and Limits, and the
// Events table's OOM rows.
func parseDescribe(r io.Reader, name string) (*Doc, error) {
	d := &Doc{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var pod, ns, section, container string
	var cur *Container
	inLimits := false
	msgCol := -1 // the Events table's Message column
	limits := map[string]int64{}
	line := 0
	flush := func() {
		if cur != nil {
			d.Containers = append(d.Containers, *cur)
			cur = nil
		}
	}
	for sc.Scan() {
		line++
		raw := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(raw) == "" {
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " \t"))
		key, val, _ := strings.Cut(strings.TrimSpace(raw), ":")
		val = strings.TrimSpace(val)
		if indent == 0 {
			flush()
			section, inLimits = key, false
			switch key {
			case "Name":
				if pod == "" {
					pod = val
					d.Pods++
				}
			case "Namespace":
				ns = val
			}
			continue
		}
		switch section {
		case "Containers", "Init Containers":
			if indent == 2 && val == "" && !strings.Contains(key, " ") {
				flush()
				container, inLimits = key, false
				continue
			}
			switch key {
			case "State", "Last State":
				flush()
				inLimits = false
				if val == "Terminated" {
					cur = &Container{Namespace: ns, Pod: pod, Name: container, Last: key == "Last State", Line: line}
				}
			case "Reason":
				if cur != nil {
					cur.Reason = val
				}
			case "Exit Code":
				if cur != nil {
					if v, err := strconv.Atoi(val); err == nil {
						cur.ExitCode, cur.HasExitCode = v, true
					}
				}
			case "Finished":
				if cur != nil {
					for _, layout := range []string{time.RFC1123Z, "Mon, 02 Jan 2006 15:04:05 -0700", time.RFC3339} {
						if t, err := time.Parse(layout, val); err == nil {
							cur.Finished, cur.HasFinished = t, true
							break
						}
					}
				}
			case "Limits":
				flush()
				inLimits = true
			case "Requests", "Ready", "Restart Count", "Environment", "Mounts", "Image", "Port", "Host Port":
				if key != "Started" {
					flush()
				}
				inLimits = false
			case "memory":
				if inLimits {
					if v, err := ParseQuantity(val); err == nil {
						limits[container] = v
					} else {
						d.Warnings = append(d.Warnings, Warning{Line: line, Message: err.Error()})
					}
				}
			}
		case "Events":
			// A table: "Type  Reason  Age  From  Message", its columns
			// aligned (Age and From may hold spaces: "3m (x2 over 5m)").
			f := strings.Fields(raw)
			if len(f) >= 2 && f[0] == "Type" && f[1] == "Reason" {
				msgCol = strings.Index(raw, "Message")
				continue
			}
			if len(f) >= 3 && (f[0] == "Warning" || f[0] == "Normal") && oomEventReasons[f[1]] {
				e := Event{Type: f[0], Reason: f[1], Object: "Pod/" + strings.Trim(ns+"/"+pod, "/"), Line: line}
				if msgCol > 0 && msgCol < len(raw) {
					e.Message = strings.TrimSpace(raw[msgCol:])
				}
				e.victim()
				d.Events = append(d.Events, e)
			}
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: line %d: %w", name, line+1, err)
	}
	for i := range d.Containers {
		if v, ok := limits[d.Containers[i].Name]; ok {
			d.Containers[i].LimitBytes, d.Containers[i].HasLimit = v, true
		}
	}
	return d, nil
}
