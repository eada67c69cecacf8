package report

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The HTML report is opened from file:// in headless Chromium (Debian's
// chromium package). The test fails when the page makes any network request,
// when the chart was not drawn, or when the screenshot is not a PNG of the
// window size. Chromium's own background requests (component updater,
// account probe, network time) are told apart by their initiator: the net
// log gives them "not an origin", while everything a file:// page asks for
// carries the page's opaque origin "null". --host-resolver-rules makes every
// name lookup fail, so none of those requests leaves the machine either way.
// Set OOMLENS_SCREENSHOT_DIR to keep the screenshots.

// findChromium returns the browser, or skips (fails under CI=true).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true: the HTML report must be checked in a browser (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium); the HTML browser test needs it, and fails instead of skipping when CI=true")
	return ""
}

// runChromium opens url in a fresh headless profile with the extra flags and
// returns stdout.
func runChromium(t *testing.T, bin, url string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-features=NetworkTimeServiceQuerying",
		"--host-resolver-rules=MAP * ~NOTFOUND",
		"--user-data-dir=" + t.TempDir(),
	}
	args = append(args, extra...)
	args = append(args, url)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\nstderr:\n%s", url, err, stderr.String())
	}
	return stdout.Bytes()
}

type netRequest struct{ url, initiator string }

// netLogRequests reads a Chromium net log (--log-net-log) and returns every
// URL request that was started.
func netLogRequests(t *testing.T, path string) []netRequest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("net log: %v", err)
	}
	var log struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int            `json:"type"`
			Params map[string]any `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatalf("net log %s: %v", path, err)
	}
	start, ok := log.Constants.LogEventTypes["URL_REQUEST_START_JOB"]
	if !ok {
		t.Fatalf("net log %s has no URL_REQUEST_START_JOB event type", path)
	}
	var out []netRequest
	for _, e := range log.Events {
		if e.Type != start {
			continue
		}
		u, _ := e.Params["url"].(string)
		if u == "" {
			continue // the end of a job: its start carried the URL
		}
		in, _ := e.Params["initiator"].(string)
		out = append(out, netRequest{u, in})
	}
	return out
}

// pageRequests keeps the requests made for the page (not Chromium's own)
// that are not file: or data: URLs.
func pageRequests(reqs []netRequest) []netRequest {
	var out []netRequest
	for _, r := range reqs {
		if r.initiator == "not an origin" {
			continue
		}
		if strings.HasPrefix(r.url, "file:") || strings.HasPrefix(r.url, "data:") {
			continue
		}
		out = append(out, r)
	}
	return out
}

var externalRef = regexp.MustCompile(`(?i)(src|href|action|poster|data)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?\s*(https?:)?//|@import`)

func TestHTMLInBrowser(t *testing.T) {
	bin := findChromium(t)
	dir := t.TempDir()

	// The control: a page that does fetch from the network must be caught
	// by the same net log check, or the check proves nothing.
	control := filepath.Join(dir, "control.html")
	if err := os.WriteFile(control, []byte(`<!DOCTYPE html><html><body><img src="http://oomlens.invalid/x.png"></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	controlLog := filepath.Join(dir, "control.netlog.json")
	runChromium(t, bin, "file://"+control, "--dump-dom", "--log-net-log="+controlLog)
	if got := pageRequests(netLogRequests(t, controlLog)); len(got) != 1 || got[0].url != "http://oomlens.invalid/x.png" {
		t.Fatalf("control page: the net log check found %v, want the one request to http://oomlens.invalid/x.png", got)
	}

	for _, tc := range []struct {
		fixture string
		want    []string // in the DOM after the scripts ran: the legend uPlot built
	}{
		{"memcg-two-leaks", []string{`class="uplot`, "<canvas", label("time"), label("pid 4242 RSS"), label("pid 4242 peak in test")}},
		{"xdist-two-workers", []string{`class="uplot`, "<canvas", label("gw0 (pid 5101) RSS"), label("gw1 (pid 5102) RSS")}},
		{"sigkill-no-kernel-record", []string{`class="uplot`, "<canvas", label("test"), label("pid 777 RSS")}},
		// 100,000 tests on 4 workers: the page is downsampled and cut to
		// the top rows, and must still load without a request.
		{"huge-100k", []string{`class="uplot`, "<canvas", label("gw3 (pid 5003) RSS"), "… and 19990 more"}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			var page bytes.Buffer
			reports := fixtures()
			if tc.fixture == "huge-100k" {
				reports = []fixture{{"huge-100k", hugeReport(100000)}}
			}
			for _, fx := range reports {
				if fx.name == tc.fixture {
					if err := Render(&page, fx.report, "html", Options{}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if m := externalRef.FindString(page.String()); m != "" {
				t.Errorf("the HTML refers to an external resource: %q", m)
			}
			path := filepath.Join(dir, tc.fixture+".html")
			if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			url := "file://" + path

			netLog := filepath.Join(dir, tc.fixture+".netlog.json")
			shot := filepath.Join(dir, tc.fixture+".png")
			runChromium(t, bin, url, "--screenshot="+shot, "--window-size=1280,1600", "--log-net-log="+netLog)
			reqs := netLogRequests(t, netLog)
			if bad := pageRequests(reqs); len(bad) > 0 {
				t.Errorf("the page made network requests: %v", bad)
			}
			for _, r := range reqs {
				if r.initiator == "not an origin" {
					t.Logf("chromium's own request (not the page's; name resolution blocked): %s", r.url)
				}
			}
			checkPNG(t, shot, 1280, 1600)
			if keep := os.Getenv("OOMLENS_SCREENSHOT_DIR"); keep != "" {
				b, _ := os.ReadFile(shot)
				if err := os.WriteFile(filepath.Join(keep, tc.fixture+".png"), b, 0o644); err != nil {
					t.Error(err)
				}
			}

			domLog := filepath.Join(dir, tc.fixture+".dom.netlog.json")
			dom := string(runChromium(t, bin, url, "--dump-dom", "--log-net-log="+domLog))
			if bad := pageRequests(netLogRequests(t, domLog)); len(bad) > 0 {
				t.Errorf("the page made network requests: %v", bad)
			}
			for _, w := range tc.want {
				if !strings.Contains(dom, w) {
					t.Errorf("the DOM after the scripts ran has no %q: the chart was not drawn", w)
				}
			}
			if m := externalRef.FindString(dom); m != "" {
				t.Errorf("the DOM refers to an external resource: %q", m)
			}
		})
	}
}

// label is how uPlot's legend shows a series name.
func label(s string) string { return `<div class="u-label">` + s + `</div>` }

// checkPNG fails unless path is a PNG of w×h that is not one flat colour.
func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
	}
	colours := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && len(colours) < 50; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, bl, a}] = true
		}
	}
	if len(colours) < 50 {
		t.Errorf("screenshot has only %d colours: the page did not render", len(colours))
	}
}
