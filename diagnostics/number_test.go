package diagnostics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// diagNumberInputs are numbers as records write them, edge cases of the
// fast paths' limits (2^53, 18 and 19 digits, 22 fraction digits), and
// strings the fast paths must leave to strconv.
func diagNumberInputs() []string {
	in := []string{
		"0", "-0", "0.0", "-0.0", "1", "-1", "7", "1795687200.006000", "1795692433.7214627", "548.272792331",
		"9007199254740991", "9007199254740992", "9007199254740993", "900719925474099.1", "900719925474099.3",
		"999999999999999999", "-999999999999999999", "1000000000000000000", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "18446744073709551616", "0.1", "0.2", "0.3",
		"0.0000000000000000000001", "0.00000000000000000000001", "1.0000000000000000000001",
		"1e3", "1E-3", "-2.5e+10", "1.", ".5", "-", "", "1.2.3", "12a", "--1", "+1", "1_000", "0x10",
		"00012", "4.9e-324", "1.7976931348623157e308", "1e400", "123456789012345678.9",
		"2147483647", "2147483648", "-2147483648", "-2147483649",
	}
	r := rand.New(rand.NewPCG(18, 1))
	for range 20000 {
		n := r.Uint64() >> (r.IntN(64))
		s := strconv.FormatUint(n, 10)
		if r.IntN(2) == 0 && len(s) > 1 {
			k := 1 + r.IntN(len(s)-1)
			s = s[:k] + "." + s[k:]
		}
		if r.IntN(4) == 0 {
			s = "-" + s
		}
		in = append(in, s)
	}
	for range 2000 {
		in = append(in, fmt.Sprintf("%.6f", 1.7e9+r.Float64()*1e8), fmt.Sprint(r.Float64()*1e6))
	}
	return in
}

// diagCheckFastNumbers holds onePass's number readers to the general
// path on s followed by each of the bytes that may end a number in a
// line: whatever diagFastInt or diagFastFloat takes, diagPlainNumber
// checks to the same end and diagSmallInt or diagExactFloat reads to the
// same value; diagDigits reads the digits a byte loop does, and
// diagFloatDigits what diagDigits does.
func diagCheckFastNumbers(t *testing.T, s string) {
	for _, tail := range []string{"", ",", "}", " ", "e5", ".5", "0", "x12345678", ".1234567,", ".12345678}", ".123456789"} {
		b := []byte(s + tail)
		end, ok := 0, false
		if len(b) > 0 { // diagPlainNumber's callers see a byte first
			end, ok = diagPlainNumber(b, 0)
		}
		if n, fend, fok := diagFastInt(b, 0); fok {
			want, sok := diagSmallInt(b[:max(end, 0)])
			if !ok || fend != end || !sok || n != want {
				t.Fatalf("diagFastInt(%q) = %d to %d, diagPlainNumber to %d (%v), diagSmallInt %d (%v)", b, n, fend, end, ok, want, sok)
			}
		}
		if f, fend, fok := diagFastFloat(b, 0); fok {
			want, sok := diagExactFloat(b[:max(end, 0)])
			if !ok || fend != end || !sok || math.Float64bits(f) != math.Float64bits(want) {
				t.Fatalf("diagFastFloat(%q) = %v to %d, diagPlainNumber to %d (%v), diagExactFloat %v (%v)", b, f, fend, end, ok, want, sok)
			}
		}
		for i := range b {
			dend, m := diagDigits(b, i, 7)
			wend, wm := i, uint64(7)
			for wend < len(b) && b[wend] >= '0' && b[wend] <= '9' {
				wm = wm*10 + uint64(b[wend]-'0')
				wend++
			}
			if dend != wend || m != wm {
				t.Fatalf("diagDigits(%q, %d, 7) = %d, %d; a byte loop %d, %d", b, i, dend, m, wend, wm)
			}
			point, end, m := diagFloatDigits(b, i)
			lpoint, lend, lm := diagFloatDigitsLoop(b, i)
			if point != lpoint || end != lend || m != lm {
				t.Fatalf("diagFloatDigits(%q, %d) = %d, %d, %d; by diagDigits %d, %d, %d", b, i, point, end, m, lpoint, lend, lm)
			}
		}
	}
}

// TestDiagNumbersAgreeWithStrconv: the fast paths give strconv's value,
// bit for bit, whenever they take a number, and take the ones records
// carry.
func TestDiagNumbersAgreeWithStrconv(t *testing.T) {
	for i, s := range diagNumberInputs() {
		if i < 3000 {
			diagCheckFastNumbers(t, s)
		}
		if f, ok := diagExactFloat([]byte(s)); ok {
			want, err := strconv.ParseFloat(s, 64)
			if err != nil || math.Float64bits(f) != math.Float64bits(want) {
				t.Errorf("diagExactFloat(%q) = %v (%#x), strconv %v (%#x), %v", s, f, math.Float64bits(f), want, math.Float64bits(want), err)
			}
		}
		if n, ok := diagSmallInt([]byte(s)); ok {
			want, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n != want {
				t.Errorf("diagSmallInt(%q) = %d, strconv %d, %v", s, n, want, err)
			}
		}
	}
	for _, s := range []string{"1795687200.006000", "1773877887.254", "0.254", "-3.5", "12"} {
		if _, ok := diagExactFloat([]byte(s)); !ok {
			t.Errorf("diagExactFloat(%q) left to strconv", s)
		}
	}
	for _, s := range []string{"314572800", "4242", "-1", "0"} {
		if _, ok := diagSmallInt([]byte(s)); !ok {
			t.Errorf("diagSmallInt(%q) left to strconv", s)
		}
		if _, _, ok := diagFastInt([]byte(s+","), 0); !ok {
			t.Errorf("diagFastInt(%q) left to the general path", s)
		}
	}
	for _, s := range []string{"1795687200.006000", "1773877887.254", "0.254", "-3.5", "12"} {
		if _, _, ok := diagFastFloat([]byte(s+","), 0); !ok {
			t.Errorf("diagFastFloat(%q) left to the general path", s)
		}
	}
}

// FuzzDiagNumbers holds the fast paths to strconv, and onePass's number
// readers to them, on any bytes.
func FuzzDiagNumbers(f *testing.F) {
	for _, s := range diagNumberInputs()[:60] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		diagCheckFastNumbers(t, s)
		if v, ok := diagExactFloat([]byte(s)); ok {
			want, err := strconv.ParseFloat(s, 64)
			if err != nil || math.Float64bits(v) != math.Float64bits(want) {
				t.Fatalf("diagExactFloat(%q) = %v, strconv %v, %v", s, v, want, err)
			}
		}
		if n, ok := diagSmallInt([]byte(s)); ok {
			want, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n != want {
				t.Fatalf("diagSmallInt(%q) = %d, strconv %d, %v", s, n, want, err)
			}
		}
	})
}
