package render

import (
	"errors"
	"strings"
)

// Document is a contract to render.
type Document struct {
	Title  string // printed once, centred at the top of the first page
	Header string // printed at the top of every page
	Footer string // printed at the bottom of every page, next to "Page N of M"

	Sections []Section // in order
	Signers  []Signer  // one signature block each, after the last section

	// Variables are the values of the {{name}} placeholders used in the
	// section bodies, headings, Title, Header and Footer. Values are plain
	// text: Markdown in a value is printed literally.
	Variables map[string]string
}

// Section is a titled part of the document.
type Section struct {
	Heading         string // plain text, may contain {{placeholders}}
	Markdown        string // CommonMark body, may contain {{placeholders}}
	PageBreakBefore bool   // start the section on a new page
}

// Signer is a party who signs the document.
type Signer struct {
	Role  string // e.g. "buyer", "talent", "studio_owner"; printed as "Studio Owner"
	Name  string
	Email string
}

// ErrNoContent is returned for a document with no title, sections or signers.
var ErrNoContent = errors.New("render: document has no content")

// Render lays out doc on A4 pages and returns the PDF. The same Document
// always gives the same bytes. It is safe for concurrent use.
//
// A placeholder without a value in doc.Variables makes Render fail with a
// *MissingVariableError naming every missing variable.
func Render(doc Document) ([]byte, error) {
	pdf, _, err := render(doc, true)
	return pdf, err
}

// SignatureField is where a signer signs: the space above their signature line, on a
// page (1-based), as a box in points from the page's top-left corner. E-sign providers
// place their signature fields there.
type SignatureField struct {
	Role       string
	Page       int
	X, Y, W, H float64
}

// RenderWithFields is Render that also returns each signer's signature field, in the
// order of doc.Signers. The bytes are Render's.
func RenderWithFields(doc Document) ([]byte, []SignatureField, error) {
	return render(doc, true)
}

// render is RenderWithFields; with fast false, pages are always drawn with gopdf's
// Cell (tests compare the two).
func render(doc Document, fast bool) ([]byte, []SignatureField, error) {
	if doc.Title == "" && len(doc.Sections) == 0 && len(doc.Signers) == 0 {
		return nil, nil, ErrNoContent
	}
	f, err := loadFonts()
	if err != nil {
		return nil, nil, err
	}
	sub := &substituter{vars: doc.Variables}
	title, header, footer := sub.text(doc.Title), sub.text(doc.Header), sub.text(doc.Footer)
	sections := make([]parsedSection, len(doc.Sections))
	for i, s := range doc.Sections {
		sections[i] = parsedSection{
			heading:   sub.text(s.Heading),
			blocks:    sub.blocks(parseCached(s.Markdown)),
			pageBreak: s.PageBreakBefore,
		}
	}
	if err := sub.err(); err != nil {
		return nil, nil, err
	}

	l := newLayout(f)
	l.title(title)
	for _, s := range sections {
		l.section(s)
	}
	l.signatures(doc.Signers)
	if fast && f.fastText {
		pdf, err := draw(f, l, title, header, footer, true)
		if !errors.Is(err, errFastText) {
			return pdf, l.fields, err
		}
	}
	pdf, err := draw(f, l, title, header, footer, false)
	return pdf, l.fields, err
}

type parsedSection struct {
	heading   string
	blocks    []block
	pageBreak bool
}

func (l *layout) title(t string) {
	if strings.TrimSpace(t) == "" {
		return
	}
	l.paragraphCentered(t, bold, titleSize, titleSize*1.3)
	l.y += 10
}

// paragraphCentered wraps s and centres each line.
func (l *layout) paragraphCentered(s string, st style, size, leading float64) {
	first := len(l.ops)
	l.paragraph([]run{{text: s}}, st, size, leading, marginL, contentW)
	for i := first; i < len(l.ops); i++ {
		o := &l.ops[i]
		o.x += (contentW - l.width(o.text, o.st, o.size)) / 2
	}
}

func (l *layout) section(s parsedSection) {
	if s.pageBreak && !l.pageEmpty() {
		l.newPage()
	}
	if strings.TrimSpace(s.heading) != "" {
		l.gap(sectionAbove)
		// Keep the heading with the first two lines of what follows.
		l.ensure(sectionSize*1.3 + 2*bodyLeading)
		l.paragraph([]run{{text: s.heading}}, bold, sectionSize, sectionSize*1.3, marginL, contentW)
		l.y += 2
	}
	for _, b := range s.blocks {
		l.block(b)
	}
}

// headingSizes are the font sizes of Markdown headings #, ## and ###
// (deeper levels use the last).
var headingSizes = [...]float64{10.5, 9.8, 9.2}

// maxIndent keeps deeply nested lists and quotes readable.
const maxIndent = contentW / 2

func (l *layout) block(b block) {
	indent := min(b.indent, maxIndent)
	x, w := marginL+indent, contentW-indent
	switch b.kind {
	case blockHeading:
		size := headingSizes[min(b.level, len(headingSizes))-1]
		st := bold
		if b.level >= 3 {
			st = boldItalic
		}
		l.gap(3)
		l.ensure(size*1.3 + 2*bodyLeading)
		l.paragraph(b.runs, st, size, size*1.3, x, w)
		l.y += 1.5
	case blockRule:
		l.ensure(8)
		l.y += 4
		l.rule(x, marginL+contentW)
		l.y += 4
	case blockListItem:
		l.ensure(bodyLeading)
		mw := l.width(b.marker, regular, bodySize)
		l.text(b.marker, regular, bodySize, x-markerGap-mw)
		if len(b.runs) == 0 {
			l.y += bodyLeading
		}
		l.paragraph(b.runs, regular, bodySize, bodyLeading, x, w)
		l.y += l.after(b)
	default:
		l.paragraph(b.runs, regular, bodySize, bodyLeading, x, w)
		l.y += l.after(b)
	}
}

func (l *layout) after(b block) float64 {
	if b.tight {
		return tightGap
	}
	return paraGap
}
