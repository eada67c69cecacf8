package correlate

import (
	"math"
	"strconv"
	"time"
)

// FormatBytes formats a byte count in binary units with one decimal:
// "512 B", "900.0 MiB", "1.2 GiB". A value that would round to 1024.0 of a
// unit is shown in the next unit ("1.0 MiB", not "1024.0 KiB").
func FormatBytes(n int64) string {
	sign := ""
	u := uint64(n)
	if n < 0 {
		sign = "-"
		u = uint64(-(n + 1)) + 1 // no overflow for math.MinInt64
	}
	if u < 1024 {
		return sign + strconv.FormatUint(u, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(u) / 1024
	i := 0
	for i < len(units)-1 && v >= 1024 {
		v /= 1024
		i++
	}
	// Round to one decimal the way %.1f does, then carry into the next unit.
	if s := strconv.FormatFloat(v, 'f', 1, 64); s == "1024.0" && i < len(units)-1 {
		v /= 1024
		i++
	}
	return sign + strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}

// signed renders a change with an explicit sign: "+1.2 GiB", "-300.0 MiB".
func signed(n int64) string {
	if n >= 0 {
		return "+" + FormatBytes(n)
	}
	return FormatBytes(n)
}

// unixTime turns Unix seconds into a time.Time in UTC.
func unixTime(s float64) time.Time {
	// Float Unix seconds carry about 0.2 µs of precision: round to the
	// microsecond so that 10.4 does not print as 10.400000095.
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC()
}

// rfc3339 renders Unix seconds as RFC 3339 with the fraction it has, or nil
// for 0 (unknown).
func rfc3339(s float64) *string {
	if s == 0 {
		return nil
	}
	v := unixTime(s).Format(time.RFC3339Nano)
	return &v
}

func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
