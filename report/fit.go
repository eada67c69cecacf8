package report

import (
	"strconv"
	"strings"
)

// A format with a size limit (the Markdown pasted into a GitHub issue body,
// 65,536 characters; the text on a terminal, 400 lines) lays every section
// out as parts, then fit decides how many rows, and how many rows' details,
// each section keeps: the verdict and the leaks first, then what explains
// the kill, then the rest. What is cut is cut between rows, and said.

// laidOut is one section rendered in parts.
type laidOut struct {
	head    string   // the heading, the table header, or the empty sentence
	rows    []string // one per row
	more    func(hidden int, reason string) string
	dhead   string   // before the first row's details
	details []string // one per row; "" when the row has none
	dmore   func(hidden int, reason string) string
	tail    string
	total   int // entries in the model (rows holds the top N)
}

// assemble writes the section with its first k rows and the details of its
// first d rows; reason says why rows beyond the top N were left out.
func (l *laidOut) assemble(b *strings.Builder, k, d int, reason string) {
	b.WriteString(l.head)
	for _, r := range l.rows[:k] {
		b.WriteString(r)
	}
	hidden := l.total - k
	if hidden > 0 && l.more != nil {
		why := ""
		if k < len(l.rows) {
			why = reason
		}
		b.WriteString(l.more(hidden, why))
	}
	first := true
	for _, s := range l.details[:d] {
		if s == "" {
			continue
		}
		if first {
			b.WriteString(l.dhead)
			first = false
		}
		b.WriteString(s)
	}
	if l.dmore != nil {
		left := 0
		for _, s := range l.details[d:k] {
			if s != "" {
				left++
			}
		}
		if left > 0 {
			b.WriteString(l.dmore(left, reason))
		}
	}
	b.WriteString(l.tail)
}

// fitOrder is the order in which sections get their rows, then their
// details, within a limit: the leaks before anything else.
var fitOrder = []string{"leaks", "in-flight", "kills", "run-end", "warnings", "hogs", "unclosed",
	"fixtures-held", "cores", "inputs", "timeline"}

// fitSections writes the sections (in their own order), keeping within
// limit as measured by cost (0: no limit). The preamble (the verdict) is
// always kept.
func fitSections(preamble string, ids []string, parts []*laidOut, limit int, cost func(string) int, reason string) string {
	k := make([]int, len(parts))
	d := make([]int, len(parts))
	for i, p := range parts {
		k[i], d[i] = len(p.rows), len(p.rows)
	}
	write := func() string {
		var b strings.Builder
		b.WriteString(preamble)
		for i, p := range parts {
			p.assemble(&b, k[i], d[i], reason)
		}
		return b.String()
	}
	out := write()
	if limit <= 0 || cost(out) <= limit {
		return out
	}
	// The fixed part of every section, with the longest notes it can get.
	left := limit - cost(preamble)
	for i, p := range parts {
		k[i], d[i] = 0, 0
		left -= cost(p.head) + cost(p.dhead) + cost(p.tail)
		if p.more != nil {
			left -= cost(p.more(p.total, reason))
		}
		if p.dmore != nil {
			left -= cost(p.dmore(len(p.rows), reason))
		}
	}
	rank := func(id string) int {
		for i, f := range fitOrder {
			if f == id {
				return i
			}
		}
		return len(fitOrder)
	}
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	for i := 1; i < len(order); i++ { // insertion sort by rank: a dozen sections
		for j := i; j > 0 && rank(ids[order[j]]) < rank(ids[order[j-1]]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for _, i := range order {
		p := parts[i]
		for k[i] < len(p.rows) && cost(p.rows[k[i]]) <= left {
			left -= cost(p.rows[k[i]])
			k[i]++
		}
		for d[i] < k[i] && cost(p.details[d[i]]) <= left {
			left -= cost(p.details[d[i]])
			d[i]++
		}
	}
	return write()
}

func countLines(s string) int { return strings.Count(s, "\n") }
func countBytes(s string) int { return len(s) }

// moreReason is the parenthesis of a "more" note: how to see what is left
// out.
func moreReason(reason string) string {
	if reason != "" {
		return "(" + reason + "; --format json has them all)"
	}
	return "(--top all, or --format json)"
}

func moreText(hidden int, reason string) string {
	return "… and " + strconv.Itoa(hidden) + " more " + moreReason(reason)
}
