package correlate

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oomlens/oomlens/diagnostics"
	"github.com/oomlens/oomlens/weathercop"
)

// TestStreamsMatchParsedInputs: a job read through DiagnosticsStream and
// WeathercopStream (as job.Load reads it) gets the report a job of the same
// files parsed whole gets, for the diagnostics files of testdata (the two
// xdist workers' files together), each weathercop log alone and with the
// diagnostics (whose node ids resolve its bare names), in UTC and in a zone.
func TestStreamsMatchParsedInputs(t *testing.T) {
	diags, _ := filepath.Glob("../testdata/diagnostics/*.jsonl")
	xdist, _ := filepath.Glob("../testdata/diagnostics/xdist/*.jsonl")
	wcs, _ := filepath.Glob("../testdata/weathercop/*.log")
	if len(diags) == 0 || len(xdist) != 2 || len(wcs) == 0 {
		t.Fatal("testdata missing")
	}
	var jobs [][]string
	for _, d := range diags {
		jobs = append(jobs, []string{d})
	}
	jobs = append(jobs, xdist)
	for _, w := range wcs {
		jobs = append(jobs, []string{w}, []string{diags[0], w})
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	for _, files := range jobs {
		for _, loc := range []*time.Location{nil, berlin} {
			parsed, streamed := &Evidence{}, &Evidence{}
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasSuffix(f, ".jsonl") {
					d, err := diagnostics.Parse(strings.NewReader(string(data)), diagnostics.Options{Name: f})
					if err != nil {
						t.Fatal(err)
					}
					parsed.Diagnostics = append(parsed.Diagnostics, DiagnosticsInput{Path: f, Diag: d})
					st := NewDiagnosticsStream(f, int64(len(data)))
					d, err = diagnostics.Stream(strings.NewReader(string(data)), diagnostics.Options{Name: f}, st.Add)
					if err != nil {
						t.Fatal(err)
					}
					streamed.Diagnostics = append(streamed.Diagnostics, st.Input(d))
					continue
				}
				l, err := weathercop.Parse(strings.NewReader(string(data)), weathercop.Options{Name: f, Location: loc})
				if err != nil {
					t.Fatal(err)
				}
				parsed.Weathercop = append(parsed.Weathercop, WeathercopInput{Path: f, Log: l})
				st := NewWeathercopStream(f, loc, int64(len(data)))
				l, err = weathercop.Stream(strings.NewReader(string(data)), weathercop.Options{Name: f, Location: loc}, st.Add)
				if err != nil {
					t.Fatal(err)
				}
				streamed.Weathercop = append(streamed.Weathercop, st.Input(l))
			}
			opts := Options{Location: loc, hostBoot: func() (time.Time, error) { return time.Time{}, os.ErrNotExist }}
			want, _ := Analyze(parsed, opts)
			got, _ := Analyze(streamed, opts)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%v (zone %v): the streamed job's report differs:\n%+v\nwant\n%+v", files, loc, got, want)
			}
			if len(want.Timeline) == 0 {
				t.Errorf("%v: no timeline", files)
			}
		}
	}
}
