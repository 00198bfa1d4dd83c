package render

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/signintech/gopdf"
)

// Page content streams written without gopdf's Cell.
//
// gopdf's Cell is slow for what it does: per glyph it looks the rune up in
// the font's subset map several times (to record the glyph, to measure the
// text, to draw it) and formats the glyph id with fmt.Fprintf("%04X").
// That was about 80% of the time of a document. contentStream writes the
// same operators itself — for each cell "BT", "x y TD", "/Fn size Tf 0 Tc",
// "[<glyph ids in hex>] TJ", "ET", exactly as gopdf's cacheContentText does
// for a left-aligned cell, and the line and colour operators as gopdf
// writes them — with glyph ids from the per-face tables of fonts.go. The
// rest of the PDF (fonts, widths, ToUnicode maps, pages, cross-reference
// table) is still gopdf's:
//
//   - Glyph bookkeeping: every rune drawn in a face is passed, once and in
//     the order gopdf would have met it, to the SubsetFontObj.AddChars of
//     the document's copy of the face, so gopdf embeds the same glyphs and
//     writes the same widths and ToUnicode map (text extraction relies on
//     it) as if Cell had drawn the text.
//   - Streams: after gopdf.AddPage, one cheap public call makes gopdf create
//     the page's content object where it would anyway. When all pages are
//     drawn, each content object in gopdf's object table is replaced by a
//     gopdf.ImportedObj holding the stream written here, and the page's
//     exported Contents field is set to refer to it, as gopdf's own
//     prepare step would have done for a content object.
//
// The result is byte for byte the PDF the Cell path makes. This relies on
// gopdf internals in two ways: the object table (GoPdf.pdfObjs, reached as
// for fontprog.go) and the exact operators gopdf writes. Both are checked
// once per process by fastTextAgrees, which renders a probe document both
// ways and compares the bytes; if they differ (a gopdf upgrade), every
// document is drawn with Cell — correct but slower — and TestFastTextPath
// fails to say so.

// contentStream draws a document's pages into content streams of its own.
// It implements canvas.
type contentStream struct {
	f       *fonts
	subs    [numStyles]*gopdf.SubsetFontObj // the document's copy of each face
	fontNum [numStyles]int                  // the n of /Fn for each face

	page  []byte   // operators of the page being drawn
	pages []string // finished pages, as gopdf ImportedObj data

	m        *metrics // current font
	st       style
	size     float64
	tf       string                        // "/Fn size Tf 0 Tc\n" for the current font
	tfs      [numStyles]map[float64]string // tf of each face and size used
	runes    [numStyles][]rune             // runes drawn in each face, in order of first use
	seen     [numStyles][]uint64           // bit set of runes in runes below widthTableSize
	seenHigh [numStyles]map[rune]bool
}

// pageHeight is gopdf's page height in points, from which it computes
// the PDF's bottom-up y coordinates.
var pageHeight = gopdf.PageSizeA4.H

// errFastText means gopdf's objects are not as contentStream expects; the
// document is then drawn again with Cell.
var errFastText = errors.New("render: unexpected gopdf object table")

// newContentStream prepares to draw pdf, whose fonts have been added.
// contentSize is the expected size of the largest page's operators.
func newContentStream(f *fonts, pdf *gopdf.GoPdf, contentSize int) *contentStream {
	cs := &contentStream{f: f, page: make([]byte, 0, contentSize)}
	for _, o := range pdfObjects(pdf) {
		if sub, ok := o.(*gopdf.SubsetFontObj); ok {
			if st, ok := styleOfFamily(sub.GetFamily()); ok {
				cs.subs[st] = sub
				cs.fontNum[st] = sub.CountOfFont + 1
			}
		}
	}
	for st := range cs.seen {
		cs.seen[st] = make([]uint64, widthTableSize/64)
	}
	return cs
}

// beginPage starts the content of the page gopdf.AddPage just added. Any
// drawing call makes gopdf create the page's content object, at the place
// in the object table where drawing with Cell would have created it;
// install replaces it.
func (cs *contentStream) beginPage(pdf *gopdf.GoPdf) {
	pdf.SetStrokeColor(0, 0, 0)
	cs.page = cs.page[:0]
}

// endPage finishes the page as gopdf writes an uncompressed content
// object.
func (cs *contentStream) endPage() {
	var b strings.Builder
	n := strconv.Itoa(len(cs.page))
	b.Grow(len(cs.page) + len(n) + 40)
	b.WriteString("<<\n/Length ")
	b.WriteString(n)
	b.WriteString("\n>>\nstream\n")
	b.Write(cs.page)
	b.WriteString("endstream\n")
	cs.pages = append(cs.pages, b.String())
}

// install records the drawn glyphs in gopdf's font subsets and puts the
// content streams in place of gopdf's content objects. It is called once,
// after the last page.
func (cs *contentStream) install(pdf *gopdf.GoPdf) error {
	for st, sub := range cs.subs {
		if len(cs.runes[st]) == 0 {
			continue
		}
		if sub == nil {
			return errFastText
		}
		if _, err := sub.AddChars(string(cs.runes[st])); err != nil {
			return err
		}
	}
	objs := pdfObjects(pdf)
	var page *gopdf.PageObj
	n := 0
	for i, o := range objs {
		switch o := o.(type) {
		case *gopdf.PageObj:
			page = o
		case *gopdf.ContentObj:
			if page == nil || n == len(cs.pages) {
				return errFastText
			}
			// As gopdf's prepare writes it for a content object.
			page.Contents = " " + strconv.Itoa(i+1) + " 0 R "
			objs[i] = &gopdf.ImportedObj{Data: cs.pages[n]}
			page = nil
			n++
		}
	}
	if n != len(cs.pages) {
		return errFastText
	}
	return nil
}

func (cs *contentStream) setFont(st style, size float64) error {
	if cs.subs[st] == nil {
		return gopdf.ErrMissingFontFamily
	}
	cs.m, cs.st, cs.size = cs.f.metrics[st], st, size
	tf, ok := cs.tfs[st][size]
	if !ok {
		tf = "/F" + strconv.Itoa(cs.fontNum[st]) + " " + gopdf.FormatFloatTrim(size) + " Tf 0 Tc\n"
		if cs.tfs[st] == nil {
			cs.tfs[st] = make(map[float64]string)
		}
		cs.tfs[st][size] = tf
	}
	cs.tf = tf
	return nil
}

const hexDigits = "0123456789ABCDEF"

// text writes one cell as gopdf's cacheContentText does for a cell with
// Left|Top alignment, no border, colour or kerning: x is the left edge
// and y the top of the text (the baseline is one typographic ascender
// lower).
func (cs *contentStream) text(x, y float64, s string) error {
	if cs.m == nil {
		return gopdf.ErrMissingFontFamily
	}
	b := cs.page
	b = append(b, "BT\n"...)
	b = strconv.AppendFloat(b, x, 'f', 2, 64)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, pageHeight-y-cs.m.ascent*cs.size/1000.0, 'f', 2, 64)
	b = append(b, " TD\n"...)
	b = append(b, cs.tf...)
	b = append(b, "[<"...)
	for i := 0; i < len(s); {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		i += n
		g, drawn := cs.m.drawnGlyph(r)
		cs.use(drawn)
		b = append(b, hexDigits[g>>12], hexDigits[g>>8&15], hexDigits[g>>4&15], hexDigits[g&15])
	}
	b = append(b, ">] TJ\nET\n"...)
	cs.page = b
	return nil
}

// use records that r is drawn in the current face.
func (cs *contentStream) use(r rune) {
	st := cs.st
	if r >= 0 && r < widthTableSize {
		w, bit := &cs.seen[st][r/64], uint64(1)<<(r%64)
		if *w&bit != 0 {
			return
		}
		*w |= bit
	} else {
		if cs.seenHigh[st][r] {
			return
		}
		if cs.seenHigh[st] == nil {
			cs.seenHigh[st] = make(map[rune]bool)
		}
		cs.seenHigh[st][r] = true
	}
	cs.runes[st] = append(cs.runes[st], r)
}

func (cs *contentStream) setLineWidth(w float64) {
	cs.page = strconv.AppendFloat(cs.page, w, 'f', 2, 64)
	cs.page = append(cs.page, " w\n"...)
}

func (cs *contentStream) setStrokeColor(r, g, b uint8) {
	for _, c := range [3]uint8{r, g, b} {
		cs.page = strconv.AppendFloat(cs.page, float64(c)/255, 'f', 3, 64)
		cs.page = append(cs.page, ' ')
	}
	cs.page = append(cs.page, "RG\n"...)
}

func (cs *contentStream) line(x1, y1, x2, y2 float64) {
	b := cs.page
	b = append(b, "q\n"...)
	b = strconv.AppendFloat(b, x1, 'f', 2, 64)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, pageHeight-y1, 'f', 2, 64)
	b = append(b, " m "...)
	b = strconv.AppendFloat(b, x2, 'f', 2, 64)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, pageHeight-y2, 'f', 2, 64)
	b = append(b, " l S\nQ\n"...)
	cs.page = b
}

// estimateContent is a slight overestimate of the largest page's
// operators: four hex digits a glyph and about 50 bytes of operators a
// cell, plus the header and footer.
func estimateContent(l *layout) int {
	largest := 0
	for pg := range l.pages() {
		end := len(l.ops)
		if pg+1 < l.pages() {
			end = l.pageStart[pg+1]
		}
		n := 1024
		for i := l.pageStart[pg]; i < end; i++ {
			n += 50 + 4*utf8.RuneCountInString(l.ops[i].text)
		}
		largest = max(largest, n)
	}
	return largest
}

// fastTextAgrees reports whether contentStream writes the PDF gopdf's Cell
// path writes, by drawing a small probe document both ways: every face,
// several sizes, characters outside ASCII and one the fonts lack, rules,
// header, footer and two pages.
func fastTextAgrees(f *fonts) bool {
	if !programsUsable() {
		return false
	}
	l := newLayout(f)
	for st := range style(numStyles) {
		y := contentTop + 20*float64(st)
		l.ops = append(l.ops, op{text: "Probe: naïve “façade” – 12.5 € 你", x: marginL + float64(st), y: y, size: bodySize + float64(st)/3, st: st})
	}
	l.ops = append(l.ops, op{rule: true, x: marginL, x2: marginL + contentW, y: 150})
	l.newPage()
	l.ops = append(l.ops, op{text: "Second page", x: marginL, y: contentTop, size: titleSize, st: bold})
	slow, err := draw(f, l, "Probe", "Header", "Footer", false)
	if err != nil {
		return false
	}
	fast, err := draw(f, l, "Probe", "Header", "Footer", true)
	return err == nil && bytes.Equal(slow, fast)
}
