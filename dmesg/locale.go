package dmesg

import (
	"strings"
	"time"
)

// monthNames maps lower-case month names and abbreviations, as printed by
// `dmesg -T` (strftime %b through the C library's locale data) and by
// journalctl/syslog, to months. Trailing dots are removed before lookup
// (fr "avril", "janv.", "déc."). Locales: en, de, fr, es, it, pt, nl, ru,
// pl, sv, cs, da/no, fi, tr, hu, and the numeric "3月"/"3월" forms of zh,
// ja and ko.
var monthNames = map[string]time.Month{}

// weekdayNames holds lower-case weekday abbreviations of the same locales;
// a `dmesg -T` stamp's first token is checked against them only to tell a
// stamp from other bracketed text.
var weekdayNames = map[string]bool{}

func init() {
	months := [][]string{
		// en
		{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"},
		{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"},
		{"", "", "", "", "", "", "", "", "sept", "", "", ""},
		// de
		{"jan", "feb", "mär", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "dez"},
		{"januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "dezember"},
		{"", "", "mrz", "", "", "", "", "", "", "", "", ""},
		// fr
		{"janv", "févr", "mars", "avr", "mai", "juin", "juil", "août", "sept", "oct", "nov", "déc"},
		{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		// es
		{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"},
		{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		{"", "", "", "", "", "", "", "", "sept", "", "", ""},
		// it
		{"gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"},
		// pt
		{"jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"},
		// nl
		{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"},
		// ru (genitive and nominative abbreviations)
		{"янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"},
		{"янв", "февр", "март", "апр", "май", "июнь", "июль", "авг", "сент", "окт", "нояб", "дек"},
		// pl
		{"sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"},
		// sv, da, no
		{"jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"},
		{"", "", "", "", "mai", "", "", "", "", "", "", "des"},
		// cs
		{"led", "úno", "bře", "dub", "kvě", "čvn", "čvc", "srp", "zář", "říj", "lis", "pro"},
		// fi
		{"tammi", "helmi", "maalis", "huhti", "touko", "kesä", "heinä", "elo", "syys", "loka", "marras", "joulu"},
		// tr
		{"oca", "şub", "mar", "nis", "may", "haz", "tem", "ağu", "eyl", "eki", "kas", "ara"},
		// hu
		{"jan", "febr", "márc", "ápr", "máj", "jún", "júl", "aug", "szept", "okt", "nov", "dec"},
	}
	for _, row := range months {
		for i, m := range row {
			if m == "" {
				continue
			}
			if _, dup := monthNames[m]; !dup {
				monthNames[m] = time.Month(i + 1)
			}
		}
	}
	for i := 1; i <= 12; i++ {
		n := itoa(i)
		monthNames[n+"月"] = time.Month(i) // zh, ja
		monthNames[n+"월"] = time.Month(i) // ko
	}
	for _, w := range strings.Fields(
		"sun mon tue wed thu fri sat " + // en
			"so mo di mi do fr sa son mon die mit don fre sam " + // de
			"dim lun mar mer jeu ven sam " + // fr
			"dom lun mar mié jue vie sáb " + // es
			"dom lun mar mer gio ven sab " + // it
			"dom seg ter qua qui sex sáb " + // pt
			"zo ma di wo do vr za " + // nl
			"вс пн вт ср чт пт сб " + // ru
			"nie pon wto śro czw pią sob " + // pl
			"sön mån tis ons tor fre lör " + // sv
			"ne po út st čt pá so " + // cs
			"日 月 火 水 木 金 土 " + // ja
			"一 二 三 四 五 六 " + // zh (日 above)
			"周一 周二 周三 周四 周五 周六 周日 星期一 星期二 星期三 星期四 星期五 星期六 星期日 " +
			"일 월 화 수 목 금 토 " + // ko
			"su ma ti ke to pe la " + // fi
			"paz pzt sal çar per cum cmt " + // tr
			"v h k sze cs p szo", // hu
	) {
		weekdayNames[w] = true
	}
}

// lookupMonth reads a month token: a name of the tables above, with an
// optional trailing dot, case-insensitive.
func lookupMonth(tok string) (time.Month, bool) {
	if m, ok, ascii := lookupASCIIMonth(tok); ascii {
		return m, ok
	}
	tok = strings.TrimSuffix(strings.ToLower(tok), ".")
	m, ok := monthNames[tok]
	return m, ok
}

// lookupASCIIMonth is lookupMonth for a short ASCII token ("Jul", a
// syslog stamp's), lowered in an array: strings.ToLower allocated once
// per stamped line. ascii is false when tok is not such a token.
func lookupASCIIMonth(tok string) (m time.Month, ok, ascii bool) {
	var low [16]byte
	if len(tok) > len(low) {
		return 0, false, false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c >= 0x80 {
			return 0, false, false
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	b := low[:len(tok)]
	if len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	m, ok = monthNames[string(b)]
	return m, ok, true
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return string(rune('0'+i/10)) + string(rune('0'+i%10))
}
