package render

import (
	"errors"
	"fmt"
	"sync"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
)

// style is a font face: a combination of the bold and italic bits.
type style uint8

const (
	regular    style = 0
	bold       style = 1
	italic     style = 2
	boldItalic style = bold | italic
	numStyles        = 4
)

// fontFamilies are the gopdf family names; each face is registered as its
// own family (with gopdf.Regular style) so SetFont never depends on gopdf's
// style matching rules.
var fontFamilies = [numStyles]string{
	regular:    "GoRegular",
	bold:       "GoBold",
	italic:     "GoItalic",
	boldItalic: "GoBoldItalic",
}

var fontData = [numStyles][]byte{
	regular:    goregular.TTF,
	bold:       gobold.TTF,
	italic:     goitalic.TTF,
	boldItalic: gobolditalic.TTF,
}

// widthTableSize covers Latin, Greek, Cyrillic and General Punctuation
// (quotes, dashes, bullet, ellipsis). Runes above it are looked up in the
// font's cmap on demand; that is rare in contracts and costs ~100 ns.
const widthTableSize = 0x2100

// metrics holds the glyph advance widths of one face in gopdf's units
// (thousandths of the font size, truncated to an integer exactly like
// gopdf's SubsetFontObj.GlyphIndexToPdfWidth), so our line widths are the
// widths gopdf itself would compute.
type metrics struct {
	sub   *gopdf.SubsetFontObj // read-only after loading
	space int                  // width of U+0020, also used for missing glyphs
	table [widthTableSize]uint16

	// glyphs is the glyph id each rune is drawn with: its own, or for a
	// rune the face lacks, that of the space gopdf puts in its place
	// (missing marks those runes). Used by the content stream writer.
	glyphs     [widthTableSize]uint16
	missing    [widthTableSize]bool
	spaceGlyph uint16
	ascent     float64 // typographic ascender, thousandths of the font size
}

// fonts is everything parsed from the TTF files, built once per process.
type fonts struct {
	// container holds the parsed TTF of each face. gopdf copies the
	// SubsetFontObj out of it for every document (AddTTFFontFromFontContainer)
	// and the copies share the parsed tables read-only, so no document
	// re-parses a font, and concurrent documents do not interfere.
	container *gopdf.FontContainer
	metrics   [numStyles]*metrics
	programs  [numStyles][]*fontProgram // smallest first; none if unavailable
	fastText  bool                      // contentStream may draw the pages (stream.go)
}

var (
	loadOnce   sync.Once
	loaded     *fonts
	errLoading error
)

// loadFonts parses the four Go fonts the first time it is called.
func loadFonts() (*fonts, error) {
	loadOnce.Do(func() {
		f := &fonts{container: &gopdf.FontContainer{}}
		for st := style(0); st < numStyles; st++ {
			if err := f.container.AddTTFFontData(fontFamilies[st], fontData[st]); err != nil {
				errLoading = fmt.Errorf("render: parse font %s: %w", fontFamilies[st], err)
				return
			}
			m, err := newMetrics(fontData[st])
			if err != nil {
				errLoading = fmt.Errorf("render: font metrics %s: %w", fontFamilies[st], err)
				return
			}
			f.metrics[st] = m
			f.programs[st] = buildPrograms(f.container, st)
		}
		f.fastText = fastTextAgrees(f)
		loaded = f
	})
	return loaded, errLoading
}

// newMetrics parses the font a second time (once per process) into a
// SubsetFontObj we own, because FontContainer does not expose its parsed
// fonts; the widths are then read through gopdf's own exported functions.
func newMetrics(ttf []byte) (*metrics, error) {
	m := &metrics{sub: &gopdf.SubsetFontObj{}}
	if err := m.sub.SetTTFData(ttf); err != nil {
		return nil, err
	}
	sp, ok := m.lookup(' ')
	if !ok {
		return nil, errors.New("font has no space glyph")
	}
	m.space = sp
	m.spaceGlyph, _ = m.glyph(' ')
	for r := rune(0); r < widthTableSize; r++ {
		w, ok := m.lookup(r)
		if !ok {
			w = m.space
		}
		m.table[r] = uint16(w)
		m.glyphs[r], m.missing[r] = m.spaceGlyph, true
		if g, ok := m.glyph(r); ok {
			m.glyphs[r], m.missing[r] = g, false
		}
	}
	p := m.sub.GetTTFParser()
	m.ascent = float64(p.TypoAscender()) * 1000.00 / float64(p.UnitsPerEm())
	return m, nil
}

// glyph returns the id of r's glyph, or false if the face has none.
func (m *metrics) glyph(r rune) (uint16, bool) {
	gi, err := m.sub.CharCodeToGlyphIndex(r)
	if err != nil || gi > 0xffff {
		return 0, false
	}
	return uint16(gi), true
}

// drawnGlyph returns the glyph r is drawn with and the rune gopdf records
// for it in the font's subset: r itself, or a space if the face lacks r
// (gopdf's DefaultOnGlyphNotFoundSubstitute).
func (m *metrics) drawnGlyph(r rune) (uint16, rune) {
	if r >= 0 && r < widthTableSize {
		if m.missing[r] {
			return m.spaceGlyph, ' '
		}
		return m.glyphs[r], r
	}
	if g, ok := m.glyph(r); ok {
		return g, r
	}
	return m.spaceGlyph, ' '
}

// lookup returns the width of r's glyph, or false if the font has none.
// It mirrors gopdf's AddChars: a rune without a glyph is replaced by a
// space when drawn, so it is measured as a space by the callers.
func (m *metrics) lookup(r rune) (int, bool) {
	gi, err := m.sub.CharCodeToGlyphIndex(r)
	if err != nil {
		return 0, false
	}
	return int(m.sub.GlyphIndexToPdfWidth(gi)), true
}

// runeWidth is the advance width of r in thousandths of the font size.
func (m *metrics) runeWidth(r rune) int {
	if r >= 0 && r < widthTableSize {
		return int(m.table[r])
	}
	if w, ok := m.lookup(r); ok {
		return w
	}
	return m.space
}

// textWidth is the advance width of s in thousandths of the font size:
// the same integer sum gopdf uses, so a line we measure as fitting is
// exactly as wide when gopdf draws it.
func (m *metrics) textWidth(s string) int {
	w := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			w += int(m.table[c])
			continue
		}
		// Multi-byte: decode the rest of the string the slow way.
		for _, r := range s[i:] {
			w += m.runeWidth(r)
		}
		break
	}
	return w
}
