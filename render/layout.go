package render

// Page geometry, in PDF points (1/72 inch). A4 is 210 × 297 mm.
const (
	pageW = 595.28
	pageH = 841.89

	marginL      = 50.0
	marginR      = 50.0
	contentW     = pageW - marginL - marginR
	contentTop   = 62.0
	contentBot   = pageH - 56.0
	headerY      = 30.0
	footerY      = pageH - 42.0
	headFootSize = 7.5

	bodySize    = 8.0
	bodyLeading = 10.2
	paraGap     = 4.2 // after a paragraph
	tightGap    = 1.2 // after an item of a tight list

	titleSize    = 15.0
	sectionSize  = 11.0
	sectionAbove = 7.0
	markerGap    = 4.0 // between a list marker and the item text
)

// op is one drawing operation on a page: a text cell (one gopdf Cell call)
// or, if rule is set, a horizontal line from x to x2.
type op struct {
	text string
	x, y float64 // top-left corner of the text, or the line's start
	x2   float64
	size float64
	st   style
	rule bool
}

// piece is the part of a word in one style ("**bold**," is two pieces).
type piece struct {
	text string
	st   style
	w    int // advance width in thousandths of the font size
}

// word is a run of pieces without whitespace between them.
type word struct {
	p0, p1 int  // pieces[p0:p1]
	w      int  // total width, thousandths of the font size
	brk    bool // starts a new line (hard line break, or a split long word)
}

// layout places text on pages. It runs before anything is drawn, so the
// page count ("Page N of M") is known when the pages are drawn.
type layout struct {
	f         *fonts
	ops       []op
	pageStart []int // index into ops where each page begins
	y         float64
	noBreak   bool             // inside keepTogether: do not start new pages
	fields    []SignatureField // where each signer signs, as laid out

	// Scratch space reused by every paragraph of the document.
	pieces []piece
	words  []word
	split  []word // second buffer for splitLongWords
	buf    []byte
}

func newLayout(f *fonts) *layout {
	l := &layout{f: f, ops: make([]op, 0, 512)}
	l.newPage()
	return l
}

func (l *layout) pages() int { return len(l.pageStart) }

func (l *layout) newPage() {
	l.pageStart = append(l.pageStart, len(l.ops))
	l.y = contentTop
}

// pageEmpty reports whether nothing has been placed on the current page.
func (l *layout) pageEmpty() bool { return l.pageStart[len(l.pageStart)-1] == len(l.ops) }

// ensure starts a new page unless h more points fit on this one.
func (l *layout) ensure(h float64) {
	if l.y+h > contentBot && !l.pageEmpty() && !l.noBreak {
		l.newPage()
	}
}

// gap adds vertical space, which is dropped at the top of a page.
func (l *layout) gap(h float64) {
	if !l.pageEmpty() {
		l.y += h
	}
}

// keepTogether lays out fn on one page: if it does not fit in what is left
// of the current page, it is undone and laid out again on a new page. Only
// content taller than a whole page is allowed to break.
func (l *layout) keepTogether(fn func()) {
	mark := l.mark()
	if l.fitsWithoutBreak(fn) {
		return
	}
	l.undo(mark)
	if !l.pageEmpty() {
		l.newPage()
		mark = l.mark()
		if l.fitsWithoutBreak(fn) {
			return
		}
		l.undo(mark)
	}
	fn()
}

type layoutMark struct {
	ops, pages, fields int
	y                  float64
}

func (l *layout) mark() layoutMark {
	return layoutMark{len(l.ops), len(l.pageStart), len(l.fields), l.y}
}

func (l *layout) undo(m layoutMark) {
	l.ops, l.pageStart, l.fields, l.y = l.ops[:m.ops], l.pageStart[:m.pages], l.fields[:m.fields], m.y
}

func (l *layout) fitsWithoutBreak(fn func()) bool {
	l.noBreak = true
	fn()
	l.noBreak = false
	return l.y <= contentBot
}

// text places a single unwrapped cell.
func (l *layout) text(s string, st style, size, x float64) {
	l.ops = append(l.ops, op{text: s, x: x, y: l.y, size: size, st: st})
}

func (l *layout) rule(x, x2 float64) {
	l.ops = append(l.ops, op{rule: true, x: x, x2: x2, y: l.y})
}

// width returns the advance width of s in points.
func (l *layout) width(s string, st style, size float64) float64 {
	return float64(l.f.metrics[st].textWidth(s)) * size / 1000
}

// paragraph wraps runs into lines of at most width points starting at x,
// in the given size and leading; base is OR-ed into every run's style
// (headings are bold throughout). Each output line becomes one Cell per
// change of style on it, so a plain line is exactly one Cell.
func (l *layout) paragraph(runs []run, base style, size, leading, x, width float64) {
	maxW := int(width * 1000 / size)
	l.tokenize(runs, base, maxW)
	words := l.words
	for i := 0; i < len(words); {
		// Greedy fill: the space before a word is measured in the style of
		// the piece it follows, which is the cell it is drawn in.
		j, lineW := i+1, words[i].w
		for j < len(words) && !words[j].brk {
			w := lineW + l.spaceAfter(words[j-1]) + words[j].w
			if w > maxW {
				break
			}
			lineW = w
			j++
		}
		l.ensure(leading)
		l.emitLine(words[i:j], size, x)
		l.y += leading
		i = j
	}
}

// spaceAfter is the width of the space that follows w on a line.
func (l *layout) spaceAfter(w word) int {
	return l.f.metrics[l.pieces[w.p1-1].st].space
}

// emitLine appends the cells of one line: consecutive pieces of the same
// style share a cell, and the space between two words goes at the end of
// the cell on its left.
func (l *layout) emitLine(words []word, size, x float64) {
	l.buf = l.buf[:0]
	cellSt, cellX, units := style(0), x, 0
	open := false
	for wi, w := range words {
		for pi := w.p0; pi < w.p1; pi++ {
			p := l.pieces[pi]
			if wi > 0 && pi == w.p0 {
				l.buf = append(l.buf, ' ')
				units += l.f.metrics[cellSt].space
			}
			if !open || p.st != cellSt {
				if open {
					l.ops = append(l.ops, op{text: string(l.buf), x: cellX, y: l.y, size: size, st: cellSt})
					l.buf = l.buf[:0]
				}
				cellSt, cellX, open = p.st, x+float64(units)*size/1000, true
			}
			l.buf = append(l.buf, p.text...)
			units += p.w
		}
	}
	if open && len(l.buf) > 0 {
		l.ops = append(l.ops, op{text: string(l.buf), x: cellX, y: l.y, size: size, st: cellSt})
	}
}

// tokenize splits runs into words and measures them. Words wider than
// maxW (a long URL or a value without spaces) are split into line-sized
// chunks so that nothing is drawn past the margin.
func (l *layout) tokenize(runs []run, base style, maxW int) {
	l.pieces, l.words = l.pieces[:0], l.words[:0]
	inWord, brk := false, false
	for _, r := range runs {
		st := r.st | base
		m := l.f.metrics[st]
		start := -1
		s := r.text
		for i := 0; i <= len(s); i++ {
			sep := i == len(s) || isSeparator(s[i])
			if !sep {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 {
				if !inWord {
					l.words = append(l.words, word{p0: len(l.pieces), p1: len(l.pieces), brk: brk})
					inWord, brk = true, false
				}
				text := s[start:i]
				w := m.textWidth(text)
				l.pieces = append(l.pieces, piece{text: text, st: st, w: w})
				cur := &l.words[len(l.words)-1]
				cur.p1++
				cur.w += w
				start = -1
			}
			if i < len(s) {
				inWord = false // whitespace ends the word
			}
		}
		if r.brk {
			inWord, brk = false, true
		}
	}
	for _, w := range l.words {
		if w.w > maxW {
			l.splitLongWords(maxW)
			break
		}
	}
}

// isSeparator reports the bytes that separate words: ASCII whitespace and
// control characters (which have no glyph and are drawn as spaces anyway).
// A no-break space is multi-byte and so stays inside its word.
func isSeparator(c byte) bool { return c <= ' ' || c == 0x7f }

// splitLongWords replaces every word wider than maxW by chunks that each
// fit, each chunk after the first starting a new line.
func (l *layout) splitLongWords(maxW int) {
	out := l.split[:0]
	for _, w := range l.words {
		if w.w <= maxW {
			out = append(out, w)
			continue
		}
		cur := word{p0: len(l.pieces), p1: len(l.pieces), brk: w.brk}
		for pi := w.p0; pi < w.p1; pi++ {
			p := l.pieces[pi]
			m := l.f.metrics[p.st]
			from, pw := 0, 0
			for j, r := range p.text {
				rw := m.runeWidth(r)
				if cur.w+pw+rw > maxW && cur.w+pw > 0 {
					if j > from {
						l.pieces = append(l.pieces, piece{text: p.text[from:j], st: p.st, w: pw})
						cur.p1++
						cur.w += pw
					}
					out = append(out, cur)
					cur = word{p0: len(l.pieces), p1: len(l.pieces), brk: true}
					from, pw = j, 0
				}
				pw += rw
			}
			if len(p.text) > from {
				l.pieces = append(l.pieces, piece{text: p.text[from:], st: p.st, w: pw})
				cur.p1++
				cur.w += pw
			}
		}
		out = append(out, cur)
	}
	l.words, l.split = out, l.words
}
