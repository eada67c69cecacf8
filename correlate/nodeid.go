package correlate

// This file holds the node-id helpers every stage uses: pytest's node ids
// ("path::Class::test[param]") split into their parts.

import "strings"

// nodeFile is the file part of a node id ("tests/test_x.py").
func nodeFile(id string) string {
	if i := strings.Index(id, "::"); i >= 0 {
		return id[:i]
	}
	return id
}

// nodeParent is the node id without its last "::" part (the class, or the
// file for a module-level test). Brackets of a parameter id are not split.
func nodeParent(id string) string {
	base := id
	if i := strings.Index(base, "["); i >= 0 {
		base = base[:i]
	}
	if i := strings.LastIndex(base, "::"); i >= 0 {
		return id[:i]
	}
	return id
}

// nodeName is the last "::" part of a node id, the parameter id included
// ("test_fit[clayton]"): what pytest's request.node.name is.
func nodeName(id string) string {
	base := id
	if i := strings.Index(base, "["); i >= 0 {
		base = base[:i]
	}
	if i := strings.LastIndex(base, "::"); i >= 0 {
		return id[i+2:]
	}
	return id
}

func itoa(n int) string {
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
