package render

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/signintech/gopdf"
)

// creator is written to the PDF's information dictionary. No creation
// date is written: it would make every rendering of a document different.
const creator = "trustdocs render"

// contentCompression is the zlib level of the page content streams: none.
// gopdf makes a new compressor for every page, and compress/flate
// allocates about 0.8 MB per compressor, so compressing three pages alone
// would exceed the 2 MB a document may allocate; deflating the ~70 KB of
// content of the standard contract would also add 0.6 ms (BestSpeed), more
// than half of a render. The cost is file size: ~65 KB more per 3-page
// document. contentStream (stream.go) writes uncompressed streams only: with
// any other level its start-up check fails and pages are drawn with Cell.
const contentCompression = zlib.NoCompression

// draw writes the laid-out pages with gopdf. With fast set, the page
// content streams are written by contentStream (stream.go) instead of
// gopdf's Cell; the bytes are the same either way.
func draw(f *fonts, l *layout, title, header, footer string, fast bool) ([]byte, error) {
	var pdf gopdf.GoPdf
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	pdf.SetCompressLevel(contentCompression)
	pdf.SetInfo(gopdf.PdfInfo{Title: title, Creator: creator})

	// Embed only the faces the document uses, always in the same order:
	// each embedded face adds a font program and its tables to the PDF.
	var used [numStyles]bool
	used[regular] = true // header, footer, page numbers
	for i := range l.ops {
		used[l.ops[i].st] = true
	}
	for st := style(0); st < numStyles; st++ {
		if used[st] {
			if err := pdf.AddTTFFontFromFontContainer(fontFamilies[st], f.container); err != nil {
				return nil, fmt.Errorf("render: add font %s: %w", fontFamilies[st], err)
			}
		}
	}

	var cs *contentStream
	d := drawer{c: &gopdfCanvas{pdf: &pdf}, font: -1}
	if fast {
		cs = newContentStream(f, &pdf, estimateContent(l))
		d.c = cs
	}
	total := strconv.Itoa(l.pages())
	for pg := range l.pages() {
		pdf.AddPage()
		if cs != nil {
			cs.beginPage(&pdf)
		}
		end := len(l.ops)
		if pg+1 < l.pages() {
			end = l.pageStart[pg+1]
		}
		for _, o := range l.ops[l.pageStart[pg]:end] {
			d.op(o)
		}
		d.headerFooter(l, header, footer, "Page "+strconv.Itoa(pg+1)+" of "+total)
		if d.err != nil {
			return nil, d.err
		}
		if cs != nil {
			cs.endPage()
		}
	}
	if cs != nil {
		if err := cs.install(&pdf); err != nil {
			return nil, err
		}
	}

	useCachedPrograms(&pdf, &f.programs)

	// Write into a buffer sized from the layout so the PDF is assembled
	// without regrowing, and hand that buffer to the caller as it is.
	buf := bytes.NewBuffer(make([]byte, 0, estimateSize(l, &f.programs, &used)))
	if _, err := pdf.WriteTo(buf); err != nil {
		return nil, fmt.Errorf("render: write pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// estimateSize is a slight overestimate of the PDF's size: each glyph is
// four hex digits in a content stream, each cell about 50 bytes of
// operators, plus the fonts and the fixed objects.
func estimateSize(l *layout, progs *[numStyles][]*fontProgram, used *[numStyles]bool) int {
	n := 4 << 10
	for i := range l.ops {
		n += 50 + 4*utf8.RuneCountInString(l.ops[i].text)
	}
	n += l.pages() * 1024 // header, footer, page objects
	for st, p := range progs {
		switch {
		case !used[st]:
		case len(p) > 0:
			n += len(p[0].body) + 3072 // program, widths, ToUnicode map
		default:
			n += 48 << 10 // a per-document subset
		}
	}
	return n
}

// canvas is what the drawer draws on: gopdf itself (gopdfCanvas), or the
// content stream writer of stream.go, which writes the same operators.
// Coordinates are in points from the top-left corner of the page.
type canvas interface {
	setFont(st style, size float64) error
	text(x, y float64, s string) error // s's top-left corner at x, y
	setLineWidth(w float64)
	setStrokeColor(r, g, b uint8)
	line(x1, y1, x2, y2 float64)
}

// gopdfCanvas draws through gopdf's public API: one Cell per text. It is
// the reference for contentStream and its fallback.
type gopdfCanvas struct {
	pdf  *gopdf.GoPdf
	size float64
}

func (c *gopdfCanvas) setFont(st style, size float64) error {
	c.size = size
	return c.pdf.SetFontWithStyle(fontFamilies[st], gopdf.Regular, size)
}

func (c *gopdfCanvas) text(x, y float64, s string) error {
	c.pdf.SetXY(x, y)
	// Left-aligned, so the cell width does not move the text; the layout
	// already made sure the text fits.
	return c.pdf.Cell(&gopdf.Rect{W: contentW, H: c.size}, s)
}

func (c *gopdfCanvas) setLineWidth(w float64)       { c.pdf.SetLineWidth(w) }
func (c *gopdfCanvas) setStrokeColor(r, g, b uint8) { c.pdf.SetStrokeColor(r, g, b) }
func (c *gopdfCanvas) line(x1, y1, x2, y2 float64)  { c.pdf.Line(x1, y1, x2, y2) }

// drawer replays ops on a canvas, switching font only when needed.
//
// All text is black: a text colour would add a colour operator to every
// cell. Header and footer are set apart by size and grey rules.
type drawer struct {
	c    canvas
	font int // style*1000+size*10 of the current font, -1 if unknown
	err  error
}

func (d *drawer) op(o op) {
	if d.err != nil {
		return
	}
	if o.rule {
		d.c.setLineWidth(0.6)
		d.c.line(o.x, o.y, o.x2, o.y)
		return
	}
	if key := int(o.st)*1000 + int(o.size*10); key != d.font {
		if err := d.c.setFont(o.st, o.size); err != nil {
			d.err = fmt.Errorf("render: set font: %w", err)
			return
		}
		d.font = key
	}
	if err := d.c.text(o.x, o.y, o.text); err != nil {
		d.err = fmt.Errorf("render: draw text: %w", err)
	}
}

// headerFooter draws the running header and footer of one page.
func (d *drawer) headerFooter(l *layout, header, footer, pageLabel string) {
	labelW := l.width(pageLabel, regular, headFootSize)
	if header != "" {
		d.op(op{text: truncate(l, header, contentW), x: marginL, y: headerY, size: headFootSize})
	}
	if footer != "" {
		d.op(op{text: truncate(l, footer, contentW-labelW-24), x: marginL, y: footerY, size: headFootSize})
	}
	d.op(op{text: pageLabel, x: marginL + contentW - labelW, y: footerY, size: headFootSize})
	d.c.setStrokeColor(170, 170, 170)
	d.c.setLineWidth(0.4)
	if header != "" {
		d.c.line(marginL, headerY+headFootSize+4, marginL+contentW, headerY+headFootSize+4)
	}
	d.c.line(marginL, footerY-5, marginL+contentW, footerY-5)
	d.c.setStrokeColor(0, 0, 0)
}

// truncate shortens a header or footer to one line of at most w points,
// ending it with an ellipsis if anything was cut. Control characters
// become spaces, as they would in body text.
func truncate(l *layout, s string, w float64) string {
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if isSeparator(s[i]) {
			clean = append(clean, ' ')
		} else {
			clean = append(clean, s[i])
		}
	}
	s = string(clean)
	if l.width(s, regular, headFootSize) <= w {
		return s
	}
	maxW := int((w - l.width("…", regular, headFootSize)) * 1000 / headFootSize)
	m := l.f.metrics[regular]
	used := 0
	for i, r := range s {
		used += m.runeWidth(r)
		if used > maxW {
			return s[:i] + "…"
		}
	}
	return s
}
