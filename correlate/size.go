package correlate

import (
	"fmt"
	"math"
	"time"
)

// FormatBytes renders a size in binary units with one decimal: "900.0 MiB",
// "1.2 GiB", "512 B". Negative sizes keep their sign.
func FormatBytes(n int64) string {
	sign := ""
	u := float64(n)
	if n < 0 {
		sign = "-"
		u = -u
	}
	const k = 1024.0
	switch {
	case u < k:
		return fmt.Sprintf("%s%d B", sign, int64(u))
	case u < k*k:
		return fmt.Sprintf("%s%.1f KiB", sign, u/k)
	case u < k*k*k:
		return fmt.Sprintf("%s%.1f MiB", sign, u/(k*k))
	case u < k*k*k*k:
		return fmt.Sprintf("%s%.1f GiB", sign, u/(k*k*k))
	default:
		return fmt.Sprintf("%s%.1f TiB", sign, u/(k*k*k*k))
	}
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
