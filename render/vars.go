package render

import (
	"slices"
	"strings"
)

// MissingVariableError is returned by Render when the document uses a
// {{placeholder}} for which Document.Variables has no value. Rendering a
// contract with a blank where the fee or a party's name should be would be
// worse than failing.
type MissingVariableError struct {
	Names []string // sorted, without duplicates
}

func (e *MissingVariableError) Error() string {
	if len(e.Names) == 1 {
		return "render: missing variable " + quote(e.Names[0])
	}
	quoted := make([]string, len(e.Names))
	for i, n := range e.Names {
		quoted[i] = quote(n)
	}
	return "render: missing variables " + strings.Join(quoted, ", ")
}

func quote(s string) string { return `"` + s + `"` }

// substituter fills in placeholders for one document and records the
// names it has no value for.
type substituter struct {
	vars    map[string]string
	missing map[string]struct{}
}

// blocks returns bs with placeholders substituted. bs may be shared (it
// comes from the template cache) and is not modified: blocks with
// placeholders get new runs, the others are reused as they are.
func (sub *substituter) blocks(bs []block) []block {
	out := make([]block, len(bs))
	for i, b := range bs {
		if b.vars {
			runs := make([]run, len(b.runs))
			for j, r := range b.runs {
				r.text = sub.text(r.text)
				runs[j] = r
			}
			b.runs = runs
		}
		out[i] = b
	}
	return out
}

// text replaces the {{name}} placeholders in s, a piece of text that
// has already been through the Markdown parser, so a value is only ever
// text: "**x**" in a value stays four asterisks and an x. The replacement
// is a single left-to-right pass, so a value that itself contains
// "{{other}}" is not expanded again.
//
// A name is letters, digits, '_', '.' or '-', optionally surrounded by
// spaces inside the braces. Anything else between "{{" and "}}" is not a
// placeholder and is printed as it is.
func (sub *substituter) text(s string) string {
	i := strings.Index(s, "{{")
	if i < 0 {
		return s // the common case: no allocation
	}
	var b strings.Builder
	for i >= 0 {
		name, end, ok := placeholderAt(s, i)
		if !ok {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			i = strings.Index(s, "{{")
			continue
		}
		b.WriteString(s[:i])
		if v, found := sub.vars[name]; found {
			b.WriteString(v)
		} else {
			sub.markMissing(name)
			b.WriteString(s[i:end])
		}
		s = s[end:]
		i = strings.Index(s, "{{")
	}
	b.WriteString(s)
	return b.String()
}

func (sub *substituter) markMissing(name string) {
	if sub.missing == nil {
		sub.missing = make(map[string]struct{})
	}
	sub.missing[name] = struct{}{}
}

// missingError reports every missing variable of the document at once, in
// sorted order so the message does not depend on map iteration.
func (sub *substituter) err() error {
	if len(sub.missing) == 0 {
		return nil
	}
	names := make([]string, 0, len(sub.missing))
	for n := range sub.missing {
		names = append(names, n)
	}
	slices.Sort(names)
	return &MissingVariableError{Names: names}
}

// placeholderAt parses a placeholder starting at s[i] == "{{" and returns
// its name and the index just past its closing "}}".
func placeholderAt(s string, i int) (name string, end int, ok bool) {
	j := i + 2
	for j < len(s) && s[j] == ' ' {
		j++
	}
	start := j
	for j < len(s) && isNameByte(s[j]) {
		j++
	}
	if j == start {
		return "", 0, false
	}
	name = s[start:j]
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if !strings.HasPrefix(s[j:], "}}") {
		return "", 0, false
	}
	return name, j + 2, true
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == '-'
}
